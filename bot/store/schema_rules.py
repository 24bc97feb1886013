"""The competition-rules tables (issue 4), on the same declarative `Base` as `bot.store.schema`.

`disqualifications` is an append-only audit log (the current state is the latest action per entry);
`jury_picks` keeps every pick with its judge, time and reason; `frozen_results` holds the result
frozen at the deadline, written once and never overwritten; `result_revisions` the re-issues made
after it (jury picks, decisions, the pre-announcement re-check), each naming the digest it follows;
`announcement_checks` records every pre-announcement re-check and the replacements it made;
`final_snapshots` records phase one of the freeze: when the final snapshot of a competition's
entries was taken, its delay after the deadline and why (the standings freeze later, from it).
Migration `0002_rules` creates the same tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.schema import ID, Base, BigId, UTCDateTime

COMPETITION = String(64)


class DisqualificationRow(Base):
    __tablename__ = "disqualifications"
    __table_args__ = (Index("ix_disqualifications_competition_key", "competition_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    competition_id: Mapped[str] = mapped_column(COMPETITION)
    key: Mapped[str] = mapped_column(ID)
    action: Mapped[str] = mapped_column(String(16))  # "disqualify" | "requalify"
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class JuryPickRow(Base):
    __tablename__ = "jury_picks"
    __table_args__ = (
        UniqueConstraint(
            "competition_id", "category_id", "key", "judge", "picked_at", name="uq_jury_picks_pick"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    competition_id: Mapped[str] = mapped_column(COMPETITION, index=True)
    category_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(ID)
    rank: Mapped[int] = mapped_column(Integer)
    judge: Mapped[str] = mapped_column(String(200))
    picked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)


class FrozenResultRow(Base):
    """The result frozen at the deadline: `canonical` is `results.canonical_json` (UTF-8 text),
    `digest` its SHA-256 as recorded at the freeze."""

    __tablename__ = "frozen_results"

    competition_id: Mapped[str] = mapped_column(COMPETITION, primary_key=True)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    delay_seconds: Mapped[int] = mapped_column(Integer)
    delay_reason: Mapped[str] = mapped_column(String(32))  # "on-time" | "bot-not-running"
    canonical: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FinalSnapshotRow(Base):
    """Phase one of the freeze, written once: every entry's snapshot row at `taken_at` (whole
    seconds) is what the frozen standings use, whatever is read later."""

    __tablename__ = "final_snapshots"

    competition_id: Mapped[str] = mapped_column(COMPETITION, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    delay_seconds: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))  # "on-time" | "bot-not-running"
    entries: Mapped[int] = mapped_column(Integer)


class ResultRevisionRow(Base):
    """A re-issue of a frozen result (version 2, 3, ...; version 1 is the freeze itself)."""

    __tablename__ = "result_revisions"

    competition_id: Mapped[str] = mapped_column(COMPETITION, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    cause: Mapped[str] = mapped_column(String(16))  # "jury" | "decision" | "recheck"
    previous_digest: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AnnouncementCheckRow(Base):
    __tablename__ = "announcement_checks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    competition_id: Mapped[str] = mapped_column(COMPETITION, index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replacements: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
