"""The posting tables (issue 5), on the same declarative `Base` as `bot.store.schema`: the outbox,
the last mention reply per user, and the responder's mentions cursor.

The outbox row is the unit of exactly-once: `key` is UNIQUE (planning inserts by key, so planning
twice adds nothing); `state` = "sending" with `sending_at` is the marker committed BEFORE each API
call, so a restart knows a call may have happened and reconciles instead of re-posting;
`posted_ids` holds one id per thread part already posted, so a half-sent thread resumes at the
right part. Money is kept as decimal text (SQLite has no exact decimal type). Migration
`0003_posting` creates the same tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.schema import ID, Base, BigId, UTCDateTime


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_outbox_key"),
        Index("ix_outbox_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(64))
    parts: Mapped[list[str]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    posted_ids: Mapped[list[str]] = mapped_column(JSON)
    reply_to: Mapped[str | None] = mapped_column(ID, nullable=True)
    has_media: Mapped[bool] = mapped_column(Boolean, default=False)
    cost_usd: Mapped[str] = mapped_column(String(24))
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MentionReplyRow(Base):
    """The last reply the bot queued for a user (one reply per user per period)."""

    __tablename__ = "mention_replies"

    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    last_reply_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_mention_id: Mapped[str] = mapped_column(ID)


class MentionCursorRow(Base):
    """How far the responder has read the bot's mentions timeline."""

    __tablename__ = "mention_cursors"

    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    since_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
