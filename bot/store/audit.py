"""The store's rows as an auditor reads them: what the crash test, the fault runs and the store's
own tests check (no entry stored twice, no snapshot doubled, cursors and job runs as left behind).
The bot itself never reads through here; its surface is `Store` and the facades by concept
(docs/ARCHITECTURE.md, "The store, by concept")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.core.polling import Cursor
from bot.store import Store
from bot.store.ops import JobRun
from bot.store.schema import CompetitionRow, CursorRow, MetricSnapshotRow, TweetRow
from bot.store.schema_ops import JobRunRow


class StoreAudit:
    def __init__(self, store: Store) -> None:
        self.store = store

    def competition_digest(self, competition_id: str) -> str | None:
        """The SHA-256 the store keeps of a competition's declaration (None: not synced)."""
        with self.store.session() as s:
            return s.scalar(
                select(CompetitionRow.digest).where(CompetitionRow.id == competition_id)
            )

    def cursor_rows(self) -> list[tuple[str, str, Cursor]]:
        """Every stored stream cursor as (competition id, stream, cursor), one per row."""
        with self.store.session() as s:
            rows = s.scalars(select(CursorRow).order_by(CursorRow.competition_id, CursorRow.stream))
            return [
                (
                    r.competition_id,
                    r.stream,
                    Cursor(r.since_id, r.newest_created_at, r.pending_next_token, r.updated_at),
                )
                for r in rows
            ]

    def edit_histories(self) -> list[tuple[str, ...]]:
        """The edit history of every stored post row (an id in two rows: an entry stored twice)."""
        with self.store.session() as s:
            return [tuple(h) for h in s.scalars(select(TweetRow.edit_history))]

    def snapshot_moments(self) -> list[tuple[str, datetime]]:
        """(entry key, taken_at) of every metric snapshot row, in key then time order; a pair
        listed twice would be a doubled snapshot."""
        with self.store.session() as s:
            q = select(MetricSnapshotRow.key, MetricSnapshotRow.taken_at)
            rows = s.execute(q.order_by(MetricSnapshotRow.key, MetricSnapshotRow.taken_at))
            return [(k, at) for k, at in rows]

    def job_runs(self, competition_id: str | None = None) -> list[JobRun]:
        """Every job run, oldest first (of one competition when `competition_id` is given)."""
        with self.store.session() as s:
            q = select(JobRunRow).order_by(JobRunRow.started_at, JobRunRow.id)
            if competition_id is not None:
                q = q.where(JobRunRow.competition_id == competition_id)
            return [_job_run(r) for r in s.scalars(q).all()]

    def open_job_runs(self) -> list[tuple[int, JobRun]]:
        """Unfinished job runs with their row ids, oldest first: what a killed process left open."""
        with self.store.session() as s:
            q = select(JobRunRow).where(JobRunRow.finished_at.is_(None))
            rows = s.scalars(q.order_by(JobRunRow.started_at, JobRunRow.id)).all()
            return [(int(r.id), _job_run(r)) for r in rows]


def _job_run(r: JobRunRow) -> JobRun:
    return JobRun(
        r.instance_id,
        r.competition_id,
        r.job,
        r.started_at,
        r.lease_expires_at,
        r.finished_at,
        r.ok,
        r.detail,
    )
