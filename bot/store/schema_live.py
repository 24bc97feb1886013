"""The live leaderboard's tables (issue 14), on the same declarative `Base` as `bot.store.schema`.

`live_changes` is the change log the store's writes append to: the key of every entry chain
written, and the id of every account whose facts changed (its entries and the entries it replied
to change with it). `live_state` holds, per competition, how far the log has been applied
(`seq`), the fingerprint of the rules it was computed under, the organisers' decisions and picks
and the organiser ids it used, and the exclusion counts. `live_exclusions` holds the global
exclusions of the entries that fail a rule; `live_scores` one row per eligible entry and category,
indexed in the category's order (`ix_live_scores_order`), so the top of a category is the first
rows of an index. `bot.store.live` keeps them; migration `0008_live` creates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.schema import ID, Base, BigId, UTCDateTime

COMPETITION = String(64)
# Compared byte by byte, as Python compares it: PostgreSQL's default collation may not.
TIEBREAK = String(64).with_variant(String(64, collation="C"), "postgresql")


ORDER = ("g0", "g1", "tiebreak", "key_len", "key")
"""A category's order (`bot.core.board.BoardRow.order`): pick group, score, tie-break, key."""


class LiveChangeRow(Base):
    __tablename__ = "live_changes"
    # Never reuse a number once the log is pruned (SQLite would hand out max(rowid) + 1 again).
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str | None] = mapped_column(ID, nullable=True)
    author_id: Mapped[str | None] = mapped_column(ID, nullable=True)


class LiveStateRow(Base):
    __tablename__ = "live_state"

    competition_id: Mapped[str] = mapped_column(COMPETITION, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    decisions: Mapped[dict[str, Any]] = mapped_column(JSON)
    organisers: Mapped[list[str]] = mapped_column(JSON)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LiveExclusionRow(Base):
    __tablename__ = "live_exclusions"

    competition_id: Mapped[str] = mapped_column(COMPETITION, primary_key=True)
    key: Mapped[str] = mapped_column(ID, primary_key=True)
    post_id: Mapped[str] = mapped_column(ID)
    username: Mapped[str] = mapped_column(String(64))
    rules: Mapped[list[list[str]]] = mapped_column(JSON)  # [[code, reason], ...] in rule order


class LiveScoreRow(Base):
    __tablename__ = "live_scores"
    __table_args__ = (
        Index("ix_live_scores_order", "competition_id", "category_id", "ranked", *ORDER),
        Index(
            "ix_live_scores_author", "competition_id", "category_id", "author_id", "ranked", *ORDER
        ),
        Index("ix_live_scores_key", "competition_id", "key"),
    )

    competition_id: Mapped[str] = mapped_column(COMPETITION, primary_key=True)
    category_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(ID, primary_key=True)
    post_id: Mapped[str] = mapped_column(ID)
    author_id: Mapped[str] = mapped_column(ID)
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    audience: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    pick_rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rule: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    tiebreak: Mapped[str] = mapped_column(TIEBREAK)
    key_len: Mapped[int] = mapped_column(Integer)
    g0: Mapped[int] = mapped_column(Integer)
    g1: Mapped[float] = mapped_column(Float)
    ranked: Mapped[bool] = mapped_column(Boolean)
