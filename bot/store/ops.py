"""Operations storage: leases, instances, heartbeats, job runs, refresh states, housekeeping.

`OpsStore(store)` shares the `Store`'s engine. Leases follow docs/OPERATIONS.md exactly: one
`INSERT ... ON CONFLICT DO UPDATE ... WHERE holder = me OR expires_at <= now RETURNING holder`
acquires, renews or takes over atomically (PostgreSQL locks the conflicting row; SQLite's write
lock serialises writers), and a release sets the expiry to now. The API call ledger and the error
log come from `bot.store.ledger.LedgerMixin` (its dataclasses are re-exported here). Methods
return small frozen dataclasses, never rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.lease import Lease
from bot.store import Store
from bot.store.ledger import ApiCall, LedgerMixin, OpsError, UsageTotals
from bot.store.schema import CompetitionEntryRow, MetricSnapshotRow, TweetRow
from bot.store.schema_ops import ApiCallRow, InstanceRow, JobRunRow, LeaseRow, OpsErrorRow

__all__ = [
    "ApiCall",
    "Instance",
    "JobRun",
    "OpsError",
    "OpsStore",
    "RefreshState",
    "UsageTotals",
]


@dataclass(frozen=True)
class Instance:
    instance_id: str
    hostname: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    state: Mapping[str, Any]


@dataclass(frozen=True)
class JobRun:
    instance_id: str
    competition_id: str
    job: str
    started_at: datetime
    lease_expires_at: datetime
    finished_at: datetime | None
    ok: bool | None
    detail: str | None


@dataclass(frozen=True)
class RefreshState:
    """A tracked entry as the cadence planner needs it: the id to read, its entry key, and when its
    metrics were last re-read (None: never since discovery)."""

    key: str
    latest_id: str
    last_refreshed: datetime | None


class OpsStore(LedgerMixin):
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ------------------------------------------------------------------------------------------
    # Leases
    # ------------------------------------------------------------------------------------------

    def acquire(self, competition_id: str, me: str, *, now: datetime, ttl: timedelta) -> bool:
        """Acquire, renew or take over the lease (docs/OPERATIONS.md); True when `me` holds it
        until `now + ttl`."""
        table = LeaseRow.__table__
        assert isinstance(table, Table)
        dialect = self.engine.dialect.name
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = make(table).values(competition_id=competition_id, holder=me, expires_at=now + ttl)
        upsert = stmt.on_conflict_do_update(
            index_elements=[table.c.competition_id],
            set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
            where=or_(table.c.holder == me, table.c.expires_at <= now),
        ).returning(table.c.holder)
        with self.engine.begin() as conn:
            return conn.execute(upsert).first() is not None

    def release(self, competition_id: str, me: str, *, now: datetime) -> bool:
        with self.store.transaction() as s:
            result = s.execute(
                update(LeaseRow)
                .where(LeaseRow.competition_id == competition_id, LeaseRow.holder == me)
                .values(expires_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    def leases(self) -> list[Lease]:
        with self.store.session() as s:
            rows = s.scalars(select(LeaseRow).order_by(LeaseRow.competition_id)).all()
            return [Lease(r.competition_id, r.holder, r.expires_at) for r in rows]

    def lease(self, competition_id: str) -> Lease | None:
        with self.store.session() as s:
            r = s.get(LeaseRow, competition_id)
            return None if r is None else Lease(r.competition_id, r.holder, r.expires_at)

    # ------------------------------------------------------------------------------------------
    # Instances and heartbeats
    # ------------------------------------------------------------------------------------------

    def heartbeat(
        self,
        instance_id: str,
        *,
        hostname: str,
        pid: int,
        started_at: datetime,
        now: datetime,
        state: Mapping[str, Any],
    ) -> None:
        with self.store.transaction() as s:
            row = s.get(InstanceRow, instance_id)
            if row is None:
                s.add(
                    InstanceRow(
                        instance_id=instance_id,
                        hostname=hostname,
                        pid=pid,
                        started_at=started_at,
                        heartbeat_at=now,
                        stopped_at=None,
                        state=dict(state),
                    )
                )
            else:
                row.heartbeat_at, row.state, row.stopped_at = now, dict(state), None
                row.hostname, row.pid, row.started_at = hostname, pid, started_at

    def stop_instance(self, instance_id: str, *, now: datetime) -> None:
        with self.store.transaction() as s:
            row = s.get(InstanceRow, instance_id)
            if row is not None:
                row.stopped_at = now

    def instances(self) -> list[Instance]:
        with self.store.session() as s:
            rows = s.scalars(select(InstanceRow).order_by(InstanceRow.instance_id)).all()
            return [
                Instance(
                    r.instance_id,
                    r.hostname,
                    r.pid,
                    r.started_at,
                    r.heartbeat_at,
                    r.stopped_at,
                    dict(r.state or {}),
                )
                for r in rows
            ]

    def live_instances(self, *, now: datetime, within: timedelta) -> list[str]:
        """Instances whose heartbeat is newer than `within` and that did not stop cleanly."""
        with self.store.session() as s:
            return list(
                s.scalars(
                    select(InstanceRow.instance_id)
                    .where(
                        InstanceRow.heartbeat_at > now - within,
                        InstanceRow.stopped_at.is_(None),
                    )
                    .order_by(InstanceRow.instance_id)
                )
            )

    # ------------------------------------------------------------------------------------------
    # Job runs (acting intervals)
    # ------------------------------------------------------------------------------------------

    def start_job(
        self,
        instance_id: str,
        competition_id: str,
        job: str,
        *,
        now: datetime,
        lease_expires_at: datetime,
    ) -> int:
        with self.store.transaction() as s:
            row = JobRunRow(
                instance_id=instance_id,
                competition_id=competition_id,
                job=job,
                started_at=now,
                lease_expires_at=lease_expires_at,
            )
            s.add(row)
            s.flush()
            return int(row.id)

    def finish_job(self, run_id: int, *, now: datetime, ok: bool, detail: str | None) -> None:
        with self.store.transaction() as s:
            s.execute(
                update(JobRunRow)
                .where(JobRunRow.id == run_id)
                .values(finished_at=now, ok=ok, detail=detail)
            )

    def extend_job(self, run_id: int, *, lease_expires_at: datetime) -> None:
        with self.store.transaction() as s:
            s.execute(
                update(JobRunRow)
                .where(JobRunRow.id == run_id)
                .values(lease_expires_at=lease_expires_at)
            )

    # ------------------------------------------------------------------------------------------
    # Refresh planning and housekeeping
    # ------------------------------------------------------------------------------------------

    def refresh_states(self, competition_id: str) -> list[RefreshState]:
        """Every not-deleted entry of the competition with its last snapshot time, in key order."""
        with self.store.session() as s:
            last = (
                select(MetricSnapshotRow.key, func.max(MetricSnapshotRow.taken_at).label("at"))
                .group_by(MetricSnapshotRow.key)
                .subquery()
            )
            rows = s.execute(
                select(TweetRow.key, TweetRow.latest_id, last.c.at)
                .join(CompetitionEntryRow, CompetitionEntryRow.key == TweetRow.key)
                .outerjoin(last, last.c.key == TweetRow.key)
                .where(
                    CompetitionEntryRow.competition_id == competition_id,
                    TweetRow.status != "deleted",
                )
                .order_by(TweetRow.key)
            ).all()
        return [RefreshState(k, latest, _aware(at)) for k, latest, at in rows]

    def prune(self, *, now: datetime, keep: Mapping[str, timedelta] | None = None) -> int:
        """Drop old ledger rows (kept 62 days: this and last month), errors and job runs."""
        keep = dict(keep or {})
        plan: Sequence[tuple[Any, Any, timedelta]] = (
            (ApiCallRow, ApiCallRow.at, keep.get("api_calls", timedelta(days=62))),
            (OpsErrorRow, OpsErrorRow.at, keep.get("ops_errors", timedelta(days=30))),
            (JobRunRow, JobRunRow.started_at, keep.get("job_runs", timedelta(days=14))),
        )
        removed = 0
        with self.store.transaction() as s:
            for table, column, age in plan:
                result = s.execute(delete(table).where(column < now - age))
                removed += int(getattr(result, "rowcount", 0) or 0)
        return removed


def _aware(value: datetime | None) -> datetime | None:
    # Aggregates bypass the column type, so SQLite hands back naive UTC (or even text).
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
