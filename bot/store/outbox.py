"""The outbox in the database: `OutboxStore` inserts posts by their deterministic key (an existing
key is left alone, so planning is idempotent), moves them between states with compare-and-set
updates (a post the organiser cancelled while it was being considered is not overwritten), and
keeps the responder's mentions cursor and the last reply per user.

Each method is one short transaction. The "sending" state (with `sending_at`) is committed before
the poster calls the API; `record` after it. Takes and returns `bot.core.outbox.OutboxPost`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.core.cost import DEFAULT_PRICES, PriceTable
from bot.core.outbox import TERMINAL, OutboxPost, PostKind, PostState, transition
from bot.store import Store
from bot.store.schema_posting import MentionCursorRow, MentionReplyRow, OutboxRow

OPEN_STATES: tuple[PostState, ...] = ("pending", "approved", "sending")


class OutboxError(ValueError):
    """An organiser's outbox command cannot be done (unknown id, wrong state); says why."""


@dataclass(frozen=True)
class OutboxEntry:
    """A stored post with what the CLI shows besides the post itself."""

    post: OutboxPost
    scope: str
    period: str
    cost: Decimal
    approved_by: str | None
    sending_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ReplyMark:
    """A user the responder queued a reply for (one reply per user per period)."""

    user_id: str
    username: str
    mention_id: str


def key_fields(key: str) -> tuple[str, str]:
    """(scope, period) of an outbox key "type:id:kind:period:lang"."""
    parts = key.split(":")
    if len(parts) != 5:
        raise ValueError(f"outbox key {key!r} does not have the form type:id:kind:period:lang")
    return f"{parts[0]}:{parts[1]}", parts[3]


def _post(row: OutboxRow) -> OutboxPost:
    return OutboxPost(
        key=row.key,
        kind=cast(PostKind, row.kind),
        lang=row.lang,
        parts=tuple(row.parts),
        due_at=row.due_at,
        state=cast(PostState, row.state),
        needs_approval=row.needs_approval,
        approved_at=row.approved_at,
        starts_at=row.starts_at,
        reply_to=row.reply_to,
        has_media=row.has_media,
        posted_ids=tuple(row.posted_ids),
        attempts=row.attempts,
        not_before=row.next_attempt_at,
        last_error=row.last_error,
        id=row.id,
    )


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        post=_post(row),
        scope=row.scope,
        period=row.period,
        cost=Decimal(row.cost_usd),
        approved_by=row.approved_by,
        sending_at=row.sending_at,
        sent_at=row.sent_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(post: OutboxPost) -> dict[str, Any]:
    """The columns a state change may touch."""
    return {
        "parts": list(post.parts),
        "state": post.state,
        "needs_approval": post.needs_approval,
        "approved_at": post.approved_at,
        "attempts": post.attempts,
        "next_attempt_at": post.not_before,
        "last_error": post.last_error,
        "posted_ids": list(post.posted_ids),
        "has_media": post.has_media,
    }


class OutboxStore:
    """The outbox and mention-reply tables of `store` (same engine, same short sessions)."""

    def __init__(self, store: Store, prices: PriceTable = DEFAULT_PRICES) -> None:
        self.store = store
        self.prices = prices

    # ------------------------------------------------------------------------------- inserting

    def add(self, posts: Iterable[OutboxPost], *, now: datetime) -> int:
        """Insert the posts whose key is new; returns how many were inserted."""
        wanted = {p.key: p for p in posts}
        if not wanted:
            return 0
        present = self.keys_present(wanted)
        rows = [self._row(p, now) for k, p in wanted.items() if k not in present]
        if not rows:
            return 0
        try:
            with self.store.transaction() as s:
                s.execute(insert(OutboxRow), rows)
            return len(rows)
        except IntegrityError:
            # Another process inserted one of these keys meanwhile: insert one by one.
            added = 0
            for row in rows:
                try:
                    with self.store.transaction() as s:
                        s.execute(insert(OutboxRow), [row])
                    added += 1
                except IntegrityError:
                    continue
            return added

    def _row(self, p: OutboxPost, now: datetime) -> dict[str, Any]:
        scope, period = key_fields(p.key)
        return {
            "key": p.key,
            "scope": scope,
            "kind": p.kind,
            "period": period,
            "lang": p.lang,
            "due_at": p.due_at,
            "starts_at": p.starts_at,
            "reply_to": p.reply_to,
            "cost_usd": str(p.cost(self.prices)),
            "approved_by": None,
            "sending_at": None,
            "sent_at": None,
            "created_at": now,
            "updated_at": now,
            **_values(p),
        }

    def keys_present(self, keys: Iterable[str]) -> set[str]:
        ks = list(keys)
        found: set[str] = set()
        with self.store.session() as s:
            for i in range(0, len(ks), 500):
                found.update(
                    s.scalars(select(OutboxRow.key).where(OutboxRow.key.in_(ks[i : i + 500])))
                )
        return found

    # --------------------------------------------------------------------------------- reading

    def get(self, ident: int | str) -> OutboxEntry | None:
        """A post by row id, or by key."""
        with self.store.session() as s:
            if isinstance(ident, int) or ident.isdigit():
                row = s.get(OutboxRow, int(ident))
            else:
                row = s.scalars(select(OutboxRow).where(OutboxRow.key == ident)).first()
            return _entry(row) if row else None

    def entries(
        self, *, states: Sequence[str] = (), kinds: Sequence[str] = ()
    ) -> list[OutboxEntry]:
        """Stored posts, by due time then id, optionally only some states and kinds."""
        q = select(OutboxRow).order_by(OutboxRow.due_at, OutboxRow.id)
        if states:
            q = q.where(OutboxRow.state.in_(list(states)))
        if kinds:
            q = q.where(OutboxRow.kind.in_(list(kinds)))
        with self.store.session() as s:
            return [_entry(r) for r in s.scalars(q)]

    def open_posts(self) -> list[OutboxPost]:
        """Posts not yet in a terminal state, by due time then id."""
        return [e.post for e in self.entries(states=OPEN_STATES)]

    def spent_between(self, start: datetime, end: datetime) -> Decimal:
        """Estimated cost of the posts sent in [start, end)."""
        with self.store.session() as s:
            costs = s.scalars(
                select(OutboxRow.cost_usd).where(
                    OutboxRow.sent_at >= start, OutboxRow.sent_at < end
                )
            ).all()
        return sum((Decimal(c) for c in costs), Decimal(0))

    def posted_ids_since(self, since: datetime) -> set[str]:
        """Tweet ids recorded on posts updated since `since` (so reconciling one post never
        claims a tweet that another post already owns)."""
        with self.store.session() as s:
            lists = s.scalars(select(OutboxRow.posted_ids).where(OutboxRow.updated_at >= since))
            return {i for ids in lists for i in ids}

    # -------------------------------------------------------------------------------- changing

    def update(
        self,
        post: OutboxPost,
        expected: PostState,
        *,
        now: datetime,
        sending_at: datetime | None = None,
        sent_at: datetime | None = None,
    ) -> bool:
        """Write `post`'s state fields if the stored post is still in state `expected` (one
        transaction, committed on return). False when someone changed it meanwhile."""
        values = _values(post) | {"updated_at": now}
        if sending_at is not None:
            values["sending_at"] = sending_at
        if sent_at is not None:
            values["sent_at"] = sent_at
        with self.store.transaction() as s:
            result = s.execute(
                update(OutboxRow)
                .where(OutboxRow.key == post.key, OutboxRow.state == expected)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    def approve(self, ident: int | str, *, by: str, now: datetime) -> OutboxEntry:
        entry = self._require(ident)
        post = entry.post
        if post.state != "pending" or post.approved_at is not None:
            raise OutboxError(
                f"post {post.id} is {post.state}{' and approved' if post.approved_at else ''}; "
                "only a pending post can be approved (see `contestbot outbox`)"
            )
        if not post.needs_approval:
            raise OutboxError(
                f"post {post.id} ({post.kind}) does not wait for approval; it goes out when due"
            )
        approved = transition(post, "approved", approved_at=now)
        if not self.update(approved, "pending", now=now):
            raise OutboxError(f"post {post.id} changed meanwhile; look again with `outbox`")
        with self.store.transaction() as s:
            s.execute(update(OutboxRow).where(OutboxRow.key == post.key).values(approved_by=by))
        return self._require(ident)

    def cancel(self, ident: int | str, *, now: datetime) -> OutboxEntry:
        entry = self._require(ident)
        post = entry.post
        if post.state == "sending":
            raise OutboxError(f"post {post.id} is being sent right now; look again in a minute")
        if post.state in TERMINAL:
            raise OutboxError(f"post {post.id} is already {post.state}; nothing to cancel")
        if not self.update(transition(post, "cancelled"), post.state, now=now):
            raise OutboxError(f"post {post.id} changed meanwhile; look again with `outbox`")
        return self._require(ident)

    def _require(self, ident: int | str) -> OutboxEntry:
        entry = self.get(ident)
        if entry is None:
            raise OutboxError(f"no post {ident} in the outbox; list them with `contestbot outbox`")
        return entry

    # -------------------------------------------------------------------------------- mentions

    def mention_cursor(self, account_id: str) -> str | None:
        with self.store.session() as s:
            row = s.get(MentionCursorRow, account_id)
            return row.since_id if row else None

    def last_replies(self, user_ids: Iterable[str]) -> dict[str, datetime]:
        ids = list(set(user_ids))
        if not ids:
            return {}
        with self.store.session() as s:
            rows = s.scalars(select(MentionReplyRow).where(MentionReplyRow.user_id.in_(ids)))
            return {r.user_id: r.last_reply_at for r in rows}

    def queue_replies(
        self,
        account_id: str,
        posts: Sequence[OutboxPost],
        marks: Sequence[ReplyMark],
        *,
        since_id: str | None,
        now: datetime,
    ) -> int:
        """In ONE transaction: insert the reply posts (new keys only), note each replied user's
        last reply time, and move the mentions cursor to `since_id`. Returns posts inserted."""
        with self.store.transaction() as s:
            keys = [p.key for p in posts]
            known = (
                set(s.scalars(select(OutboxRow.key).where(OutboxRow.key.in_(keys))))
                if keys
                else set()
            )
            rows = [self._row(p, now) for p in posts if p.key not in known]
            if rows:
                s.execute(insert(OutboxRow), rows)
            for m in marks:
                mark = s.get(MentionReplyRow, m.user_id)
                if mark is None:
                    s.add(
                        MentionReplyRow(
                            user_id=m.user_id,
                            username=m.username,
                            last_reply_at=now,
                            last_mention_id=m.mention_id,
                        )
                    )
                else:
                    mark.username, mark.last_reply_at, mark.last_mention_id = (
                        m.username,
                        now,
                        m.mention_id,
                    )
            cursor = s.get(MentionCursorRow, account_id)
            if cursor is None:
                s.add(MentionCursorRow(account_id=account_id, since_id=since_id, updated_at=now))
            elif since_id is not None:
                cursor.since_id, cursor.updated_at = since_id, now
            return len(rows)

    def count(self) -> int:
        with self.store.session() as s:
            return s.scalar(select(func.count()).select_from(OutboxRow)) or 0
