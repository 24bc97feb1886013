"""The own-posts table added by migration `0007_own_posts` (used by `bot.store` only): which stored
tweets are the bot's own posts (sent from the outbox) or the organisers' posts on their own
timelines, tracked for the post analysis (issue 11).

The posts' content and metric snapshots live in the shared `tweets`, `tweet_ids` and
`metric_snapshots` tables, keyed by the edit chain's first id like every tweet; this table only
marks a chain as an own post. It never makes one a competition entry: entries are the rows of
`competition_entries`. Same conventions as `bot.store.schema` (portable types, `UTCDateTime`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.schema import ID, Base, UTCDateTime


class OwnPostRow(Base):
    """One own post (an edit chain). `owner` is "bot" or "organiser"; `outbox_key` and `kind`
    name the outbox post a bot's post was sent for (None for the organisers' posts)."""

    __tablename__ = "own_posts"

    key: Mapped[str] = mapped_column(ID, ForeignKey("tweets.key"), primary_key=True)
    owner: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(64))
    outbox_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
