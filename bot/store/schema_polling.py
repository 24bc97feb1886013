"""The polling tables added by migration `0005_polling` (used by `bot.store` only): the raw
mentions of every tracked account, read once per cycle by the poller and shared by every
competition listing the account and by the mention responder; and which entry conversations a
competition's replies collection has read at least once (`reply_scans`).

Same conventions as `bot.store.schema` (portable types, `UTCDateTime`, ids as text).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.schema import ID, Base, UTCDateTime


class MentionRow(Base):
    """One tweet (one version) of an account's mentions timeline, as the API returned it."""

    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_account_created", "account_id", "created_at"),)

    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    tweet_id: Mapped[str] = mapped_column(ID, primary_key=True)
    author_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tweet: Mapped[dict[str, Any]] = mapped_column(JSON)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReplyScanRow(Base):
    """A conversation whose replies a competition has read from its entry's creation on; later
    reads of it start from the competition's replies cursor."""

    __tablename__ = "reply_scans"

    competition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ID, primary_key=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
