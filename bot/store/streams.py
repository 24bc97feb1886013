"""The store's shared streams: the mentions of each tracked account (read once per cycle and
shared by every competition listing the account and by the mention responder), and the replies
collected from entries' conversations with the conversations each competition has read.

A mixin of `bot.store.Store` (same engine, same short sessions; one transaction per method).
A mention page lands with its raw tweets, the entries it adds to each competition and the
account's cursor in ONE transaction, so a crash never leaves a cursor ahead of its tweets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.edits import newest_versions
from bot.core.models import Account, Post
from bot.core.polling import CursorUpdate
from bot.store.convert import user_from_row
from bot.store.schema import AuthorRow, ReplyRow
from bot.store.schema_polling import MentionRow, ReplyScanRow
from bot.store.writes import (
    Chains,
    add_entries,
    add_snapshots,
    existing,
    insert_ignoring,
    note_changes,
    tweet_from_json,
    tweet_json,
    upsert_authors,
    upsert_tweets,
    write_cursor,
)

ACCOUNTS = "__accounts__"
"""The `competition_id` under which the cursor of an account's mentions stream is kept."""


class StreamsMixin:
    if TYPE_CHECKING:  # provided by `bot.store.Store`

        def session(self) -> Session: ...

        def transaction(self) -> AbstractContextManager[Session]: ...

    def save_mentions(
        self,
        account_id: str,
        stream: str,
        tweets: Sequence[Post],
        users: Sequence[Account],
        *,
        now: datetime,
        entries: Mapping[str, Sequence[Post]],
        cursor_update: CursorUpdate | None = None,
        joined: Sequence[str] = (),
        marks: Sequence[tuple[str, str]] = (),
    ) -> dict[str, int]:
        """Store one page of `account_id`'s mentions in ONE transaction: the raw mentions
        (idempotent by tweet id), their authors, the tweets that are entries (with a metric snapshot
        each, as `Store.save_page`) and, per competition in `entries`, its entries (source
        "mentions"); with `cursor_update`, the account's cursor
        and the mark of each competition in `joined` (read from its start on); `marks`:
        (owner, stream) pairs stamped done now (the re-scans a run's last page completes). Returns
        how many entries were new, per competition."""
        added: dict[str, int] = {}
        with self.transaction() as s:
            upsert_authors(s, users, now)
            raw = [
                {
                    "account_id": account_id,
                    "tweet_id": t.id,
                    "author_id": t.author_id,
                    "created_at": t.created_at,
                    "tweet": tweet_json(t),
                    "found_at": now,
                }
                for t in {t.id: t for t in tweets}.values()
            ]
            if raw:
                s.execute(insert_ignoring(s, MentionRow, ["account_id", "tweet_id"]), raw)
            read: dict[str, Post] = {}
            stored = Chains()
            for competition_id, chosen in entries.items():
                written = upsert_tweets(s, chosen, now, metrics_at=now)
                stored = stored.merged(written)
                added[competition_id] = add_entries(s, competition_id, written, "mentions", now)
                read.update((t.id, t) for t in chosen)
            add_snapshots(s, newest_versions(list(read.values())), now, stored)
            if cursor_update is not None:
                write_cursor(s, ACCOUNTS, stream, cursor_update, now)
                for competition_id in joined:
                    write_cursor(s, competition_id, stream, cursor_update, now)
            for owner, mark in marks:
                write_cursor(s, owner, mark, CursorUpdate(None, None), now)
        return added

    def mentions(
        self, account_id: str, *, since_id: str | None, created_from: datetime
    ) -> tuple[list[Post], dict[str, Account]]:
        """The stored mentions of `account_id` newer than `since_id` and created at or after
        `created_from`, oldest first, with their known authors by id."""
        with self.session() as s:
            rows = s.scalars(
                select(MentionRow).where(
                    MentionRow.account_id == account_id, MentionRow.created_at >= created_from
                )
            ).all()
            tweets = sorted(
                (
                    tweet_from_json(r.tweet)
                    for r in rows
                    if since_id is None or int(r.tweet_id) > int(since_id)
                ),
                key=lambda t: int(t.id),
            )
            authors = list({t.author_id for t in tweets})
            users = {
                a.id: user_from_row(a)
                for a in s.scalars(select(AuthorRow).where(AuthorRow.id.in_(authors)))
            }
        return tweets, users

    # ------------------------------------------------------------------------------ replies

    def save_conversation_replies(
        self, by_key: Mapping[str, Sequence[Post]], users: Sequence[Account], *, now: datetime
    ) -> int:
        """Record direct replies per entry key (the entry each replies to; idempotent by reply id)
        and their authors, in one transaction. A reply stored before its parent was recorded
        (migration 0006) gets its parent and entry now. Returns how many were new."""
        names = {u.id: u.username for u in users}
        rows: list[dict[str, Any]] = []
        with self.transaction() as s:
            upsert_authors(s, users, now)
            ids = sorted({r.id for replies in by_key.values() for r in replies})
            known = existing(s, ReplyRow.reply_id, ids)
            # The entries whose repliers change: the ones replied to, and any a known reply
            # without a parent was credited to before.
            touched = set(by_key)
            for i in range(0, len(ids), 500):
                touched.update(
                    s.scalars(
                        select(ReplyRow.conversation_key).where(
                            ReplyRow.reply_id.in_(ids[i : i + 500])
                        )
                    )
                )
            note_changes(s, keys=sorted(touched))
            for key, replies in by_key.items():
                for r in replies:
                    if r.id in known:
                        s.execute(
                            update(ReplyRow)
                            .where(ReplyRow.reply_id == r.id, ReplyRow.in_reply_to_id.is_(None))
                            .values(conversation_key=key, in_reply_to_id=r.replied_to_id)
                        )
                        continue
                    known.add(r.id)
                    rows.append(
                        {
                            "reply_id": r.id,
                            "conversation_key": key,
                            "replier_id": r.author_id,
                            "replier_username": names.get(r.author_id, ""),
                            "created_at": r.created_at,
                            "in_reply_to_id": r.replied_to_id,
                        }
                    )
            for row in rows:
                s.execute(insert_ignoring(s, ReplyRow, ["reply_id"]).values(**row))
        return len(rows)

    def scanned_conversations(self, competition_id: str) -> set[str]:
        with self.session() as s:
            return set(
                s.scalars(
                    select(ReplyScanRow.conversation_id).where(
                        ReplyScanRow.competition_id == competition_id
                    )
                )
            )

    def finish_replies_run(
        self,
        competition_id: str,
        stream: str,
        cursor_update: CursorUpdate,
        scanned: Sequence[str],
        *,
        now: datetime,
    ) -> None:
        """After every page of a replies run is stored: move the competition's replies cursor
        and mark the conversations read from their start, in one transaction."""
        with self.transaction() as s:
            write_cursor(s, competition_id, stream, cursor_update, now)
            for conversation_id in sorted(set(scanned)):
                s.execute(
                    insert_ignoring(s, ReplyScanRow, ["competition_id", "conversation_id"]).values(
                        competition_id=competition_id,
                        conversation_id=conversation_id,
                        scanned_at=now,
                    )
                )
