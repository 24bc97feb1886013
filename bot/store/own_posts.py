"""The own posts in the database (issue 11, post analysis): `OwnPostsStore` stores the bot's sent
posts and the organisers' timeline posts with a metric snapshot per tracking run, and reads them
back as `bot.core.analysis.OwnPost` series for the report.

A post's content and snapshots go to the shared `tweets`, `tweet_ids` and `metric_snapshots`
tables (keyed by the edit chain's first id, so an edit stays one chain); the `own_posts` table
only marks the chain as the bot's or an organiser's. Own posts never become competition entries
(no `competition_entries` row is ever written here), and a post that already is an entry of a
competition not frozen yet is left to the refresh job: its tweet row and snapshots are the entry's,
and tracking must not move what the leaderboard or the freeze reads. Each method is one short
transaction; `save` is idempotent (one snapshot per chain and `taken_at`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.core.analysis import OwnerKind, OwnPost
from bot.core.models import Lookup, Metrics, Page, Post
from bot.core.polling import CursorUpdate
from bot.store import Store
from bot.store.schema import CompetitionEntryRow, CursorRow, MetricSnapshotRow, TweetRow
from bot.store.schema_own import OwnPostRow
from bot.store.schema_posting import OutboxRow
from bot.store.schema_rules import FrozenResultRow
from bot.store.writes import (
    add_snapshots,
    insert_ignoring,
    upsert_authors,
    upsert_tweets,
    write_cursor,
)

OWN_POSTS = "__own_posts__"
"""The `competition_id` under which the tracking runs' stamp is kept in `cursors`."""
RUN_STREAM = "run"
_CHUNK = 500  # bound the size of IN (...) lists (SQLite's variable limit)


class SentPost(NamedTuple):
    """One tweet the bot posted for an outbox post (a thread has one per part)."""

    tweet_id: str
    outbox_key: str
    kind: str


class OwnPostsStore:
    """The own-posts table of `store` (same engine, same short sessions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --------------------------------------------------------------------------------- writing

    def save(
        self,
        found: Lookup | Page,
        *,
        owner: OwnerKind,
        taken_at: datetime,
        sent: Sequence[SentPost] = (),
        username: str | None = None,
    ) -> int:
        """Store a look-up of the bot's posts (`owner="bot"`, `sent` naming their outbox posts)
        or a page of an organiser's timeline (`owner="organiser"`) in ONE transaction: the
        authors, each post's newest version, one metric snapshot per post at `taken_at`, and its
        own-post mark. `username` is used when the answer carries no author. A post that is an
        entry of a competition not frozen yet keeps its mark only (see the module docstring).
        A bot's post already marked as an organiser's becomes the bot's; never the other way.
        Returns the snapshots written (0 when repeated with the same `taken_at`)."""
        latest: dict[str, Post] = {}
        for t in found.posts:
            if t.key not in latest or int(t.id) > int(latest[t.key].id):
                latest[t.key] = t
        if not latest:
            if found.accounts:
                self.store.save_accounts(found.accounts, now=taken_at)
            return 0
        names = {u.id: u.username for u in found.accounts}
        outbox = {p.tweet_id: p for p in sent}
        with self.store.transaction() as s:
            upsert_authors(s, found.accounts, taken_at)
            busy = _unfrozen_entries(s, list(latest))
            writable = [t for k, t in latest.items() if k not in busy]
            stored = upsert_tweets(s, writable, taken_at, metrics_at=taken_at)
            written = add_snapshots(s, writable, taken_at, stored)
            marked = _owners(s, list(latest))
            for key, t in latest.items():
                post = next(
                    (outbox[i] for i in (t.id, *reversed(t.edit_history_ids)) if i in outbox), None
                )
                values = {
                    "owner": owner,
                    "username": names.get(t.author_id) or username or "",
                    "outbox_key": post.outbox_key if post else None,
                    "kind": post.kind if post else None,
                }
                if key not in marked:
                    s.execute(
                        insert_ignoring(s, OwnPostRow, ["key"]).values(
                            key=key, first_seen_at=taken_at, **values
                        )
                    )
                elif owner == "bot":
                    s.execute(update(OwnPostRow).where(OwnPostRow.key == key).values(**values))
        return written

    def record_run(self, at: datetime) -> None:
        """Stamp a finished tracking run (every instance reads it: one run per interval)."""
        with self.store.transaction() as s:
            write_cursor(s, OWN_POSTS, RUN_STREAM, CursorUpdate(None, None), at)

    # --------------------------------------------------------------------------------- reading

    def last_run(self) -> datetime | None:
        """When the last tracking run finished (any instance), or None."""
        with self.store.session() as s:
            row = s.get(CursorRow, (OWN_POSTS, RUN_STREAM))
            return row.updated_at if row is not None else None

    def own_posts(
        self, since: datetime, until: datetime, *, owner: OwnerKind | None = None
    ) -> list[OwnPost]:
        """The own posts created in [since, until) (the chain's first version), with every
        metric snapshot of their chain, oldest first; sorted by creation, then key."""
        q = (
            select(OwnPostRow, TweetRow)
            .join(TweetRow, TweetRow.key == OwnPostRow.key)
            .where(TweetRow.created_at >= since, TweetRow.created_at < until)
            .order_by(TweetRow.created_at, TweetRow.key)
        )
        if owner is not None:
            q = q.where(OwnPostRow.owner == owner)
        with self.store.session() as s:
            rows = s.execute(q).all()
            series = _snapshots(s, [o.key for o, _ in rows])
        return [
            OwnPost(
                key=o.key,
                post_id=t.latest_id,
                owner="bot" if o.owner == "bot" else "organiser",
                username=o.username,
                created_at=t.created_at,
                text=t.note_text or t.text,
                kind=o.kind,
                snapshots=tuple(series.get(o.key, ())),
            )
            for o, t in rows
        ]

    def sent_bot_posts(self, since: datetime) -> list[SentPost]:
        """Every tweet of the outbox posts sent at or after `since` (thread parts in order),
        oldest post first; ids that are not X ids are left out."""
        sent_at = func.coalesce(OutboxRow.sent_at, OutboxRow.updated_at)
        with self.store.session() as s:
            rows = s.execute(
                select(OutboxRow.key, OutboxRow.kind, OutboxRow.posted_ids)
                .where(OutboxRow.state == "sent", sent_at >= since)
                .order_by(sent_at, OutboxRow.id)
            ).all()
        out: dict[str, SentPost] = {}
        for key, kind, ids in rows:
            for tweet_id in ids or ():
                text = str(tweet_id)
                if text.isdigit() and text not in out:
                    out[text] = SentPost(text, key, kind)
        return list(out.values())


def _unfrozen_entries(s: Session, keys: Sequence[str]) -> set[str]:
    """Which of `keys` are entries of a competition without a frozen result."""
    frozen = select(FrozenResultRow.competition_id)
    found: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        found.update(
            s.scalars(
                select(CompetitionEntryRow.key).where(
                    CompetitionEntryRow.key.in_(keys[i : i + _CHUNK]),
                    CompetitionEntryRow.competition_id.not_in(frozen),
                )
            )
        )
    return found


def _owners(s: Session, keys: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(keys), _CHUNK):
        out.update(
            (k, o)
            for k, o in s.execute(
                select(OwnPostRow.key, OwnPostRow.owner).where(
                    OwnPostRow.key.in_(keys[i : i + _CHUNK])
                )
            )
        )
    return out


def _snapshots(s: Session, keys: Sequence[str]) -> dict[str, list[tuple[datetime, Metrics]]]:
    out: dict[str, list[tuple[datetime, Metrics]]] = {}
    for i in range(0, len(keys), _CHUNK):
        for r in s.scalars(
            select(MetricSnapshotRow)
            .where(MetricSnapshotRow.key.in_(keys[i : i + _CHUNK]))
            .order_by(MetricSnapshotRow.key, MetricSnapshotRow.taken_at)
        ):
            out.setdefault(r.key, []).append(
                (
                    r.taken_at,
                    Metrics(
                        likes=r.likes,
                        replies=r.replies,
                        reposts=r.reposts,
                        quotes=r.quotes,
                        bookmarks=r.bookmarks,
                        impressions=r.impressions,
                    ),
                )
            )
    return out
