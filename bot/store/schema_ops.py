"""The operations tables (used by `bot.store.ops` only): competition leases, live instances and
their heartbeats, the API call ledger (cost accounting), recent errors, and the job-run log that
doubles as the record of when an instance acted on a competition.

Same conventions as `bot.store.schema` (portable types, `UTCDateTime`, ids as text); migration
`0004_ops` creates these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.schema import Base, BigId, UTCDateTime


class LeaseRow(Base):
    __tablename__ = "leases"

    competition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InstanceRow(Base):
    """One running (or recently running) daemon; `heartbeat_at` is refreshed every loop."""

    __tablename__ = "instances"

    instance_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)


class ApiCallRow(Base):
    """One HTTP request to the X API, with what it returned that X bills."""

    __tablename__ = "api_calls"
    __table_args__ = (Index("ix_api_calls_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    instance_id: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8))
    endpoint: Mapped[str] = mapped_column(String(200))
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    post_reads: Mapped[int] = mapped_column(Integer)
    user_reads: Mapped[int] = mapped_column(Integer)
    # Decimal dollars as text: exact on every backend, summed in Python.
    cost: Mapped[str] = mapped_column(String(32))


class OpsErrorRow(Base):
    """A failure a job met (after translation), for `contestbot status`."""

    __tablename__ = "ops_errors"
    __table_args__ = (Index("ix_ops_errors_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    instance_id: Mapped[str] = mapped_column(String(200))
    job: Mapped[str] = mapped_column(String(32))
    competition_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    persistent: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(Text)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # For rate limits: the endpoint and its reset time, so status can show the limit state.
    endpoint: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobRunRow(Base):
    """One job step an instance ran for a competition, written when the step starts (with the lease
    just renewed) and closed when it ends: the acting intervals several instances must not share."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_competition_started", "competition_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(String(200))
    competition_id: Mapped[str] = mapped_column(String(64))
    job: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
