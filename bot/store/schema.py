"""The database tables, as SQLAlchemy 2 typed ORM classes (used by `bot.store` only).

Types are kept portable between SQLite and PostgreSQL: strings for X ids (snowflakes as text),
JSON for small lists, and `UTCDateTime`, which stores UTC and always gives back aware UTC datetimes
(SQLite has no time-zone type). The Alembic migrations under `migrations/versions/` create the
same tables; a change here needs a new revision there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID = String(32)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store - pass aware UTC times")
        value = value.astimezone(UTC)
        # SQLite keeps the text it is given; storing naive UTC makes its ordering correct.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        if dialect.name != "sqlite":
            return self._aware_utc_processor(dialect)

        # SQLite's DATETIME text in one step (the decorator's processor, then SQLite's, cost two
        # Python calls a value on the ingest path): the same "YYYY-MM-DD HH:MM:SS.ffffff" of
        # naive UTC that SQLAlchemy's SQLite DATETIME writes, which existing databases hold.
        # A write gives the same `now` to many rows: the last value and its text are kept, as
        # one tuple so that threads sharing this processor read a consistent pair (datetimes are
        # immutable, and holding the object keeps its identity from being reused).
        last: list[tuple[Any, str]] = [(None, "")]

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            seen, seen_text = last[0]
            if value is seen:
                return seen_text
            if not isinstance(value, datetime):
                raise TypeError(f"expected a datetime for the store, got {value!r}")
            if value.tzinfo is None:
                raise ValueError(
                    f"naive datetime {value!r} given to the store - pass aware UTC times"
                )
            text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            last[0] = (value, text)
            return text

        return process

    def _aware_utc_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """`process_bind_param`, then the implementation's own processor (if any), in one call
        when there is none (the ingest path writes seven times a post)."""
        then = self.impl_instance.dialect_impl(dialect).bind_processor(dialect)
        if then is not None:
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> datetime | None:
            if value is None:
                return None
            if not isinstance(value, datetime):
                raise TypeError(f"expected a datetime for the store, got {value!r}")
            if value.tzinfo is UTC:
                return value
            return self.process_bind_param(value, dialect)

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


BigId = BigInteger().with_variant(Integer, "sqlite")

_encode_string = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str


def dumps_json(value: Any) -> str:
    """The text of a JSON column, the store's `json_serializer`: exactly `json.dumps(value)`, with
    a fast path for a list of strings (ids, hashtags, mentions: four columns of every post)."""
    if type(value) is list and all(type(v) is str for v in value):
        return "[" + ", ".join(map(_encode_string, value)) + "]"
    return json.dumps(value)


class Base(DeclarativeBase):
    pass


class CompetitionRow(Base):
    __tablename__ = "competitions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuthorRow(Base):
    __tablename__ = "authors"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    followers: Mapped[int] = mapped_column(Integer, default=0)
    following: Mapped[int] = mapped_column(Integer, default=0)
    tweet_count: Mapped[int] = mapped_column(Integer, default=0)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TweetRow(Base):
    """One entry per edit chain, keyed by the first id of its edit history; content and latest
    metrics are those of the newest version seen (`latest_id`)."""

    __tablename__ = "tweets"

    key: Mapped[str] = mapped_column(ID, primary_key=True)
    latest_id: Mapped[str] = mapped_column(ID)
    author_id: Mapped[str] = mapped_column(ID, index=True)
    text: Mapped[str] = mapped_column(Text)
    note_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    conversation_id: Mapped[str | None] = mapped_column(ID, nullable=True, index=True)
    in_reply_to_user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    lang: Mapped[str | None] = mapped_column(String(16), nullable=True)
    edit_history: Mapped[list[str]] = mapped_column(JSON)
    references: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    hashtags: Mapped[list[str]] = mapped_column(JSON)
    mentions: Mapped[list[str]] = mapped_column(JSON)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    reposts: Mapped[int] = mapped_column(Integer, default=0)
    quotes: Mapped[int] = mapped_column(Integer, default=0)
    bookmarks: Mapped[int] = mapped_column(Integer, default=0)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    metrics_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TweetIdRow(Base):
    """Every version id of an edit chain -> the chain's key."""

    __tablename__ = "tweet_ids"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(ID, ForeignKey("tweets.key"), index=True)


class CompetitionEntryRow(Base):
    __tablename__ = "competition_entries"

    competition_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("competitions.id"), primary_key=True
    )
    key: Mapped[str] = mapped_column(ID, ForeignKey("tweets.key"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReplyRow(Base):
    """A direct reply to an entry (for categories counting distinct repliers). `conversation_key`
    is the key of the entry it replies to (`in_reply_to_id` is one of that entry's version ids);
    rows from before migration 0006 have no `in_reply_to_id` and were credited by conversation."""

    __tablename__ = "replies"

    reply_id: Mapped[str] = mapped_column(ID, primary_key=True)
    conversation_key: Mapped[str] = mapped_column(ID, index=True)
    replier_id: Mapped[str] = mapped_column(ID, index=True)
    replier_username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    in_reply_to_id: Mapped[str | None] = mapped_column(ID, nullable=True)


class MetricSnapshotRow(Base):
    __tablename__ = "metric_snapshots"
    __table_args__ = (UniqueConstraint("key", "taken_at", name="uq_metric_snapshots_key_taken_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(ID, ForeignKey("tweets.key"))
    tweet_id: Mapped[str] = mapped_column(ID)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    likes: Mapped[int] = mapped_column(Integer)
    replies: Mapped[int] = mapped_column(Integer)
    reposts: Mapped[int] = mapped_column(Integer)
    quotes: Mapped[int] = mapped_column(Integer)
    bookmarks: Mapped[int] = mapped_column(Integer)
    impressions: Mapped[int] = mapped_column(BigInteger)


class CursorRow(Base):
    __tablename__ = "cursors"

    competition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    since_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    newest_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pending_next_token: Mapped[str | None] = mapped_column(String(512), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PollRunRow(Base):
    __tablename__ = "poll_runs"
    __table_args__ = (Index("ix_poll_runs_competition_finished", "competition_id", "finished_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    competition_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
