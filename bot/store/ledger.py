"""The API call ledger and the recent-errors log: what every X API request cost and what failed.

A mixin of `bot.store.ops.OpsStore` (same engine, same short sessions; one transaction per method).
The ledger stores one row per X API request with the billable reads it returned and its estimated
cost (Decimal, as text), summed per UTC day and month for `bot.core.budget`; the error log keeps
each failure a job met, and the latest rate limit per endpoint with its reset time. Methods return
small frozen dataclasses (`ApiCall`, `UsageTotals`, `OpsError`), never rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select

from bot.store.schema_ops import ApiCallRow, OpsErrorRow

if TYPE_CHECKING:
    from bot.store import Store


@dataclass(frozen=True)
class ApiCall:
    at: datetime
    method: str
    endpoint: str
    status: int | None
    post_reads: int = 0
    user_reads: int = 0
    cost: Decimal = Decimal(0)


@dataclass(frozen=True)
class UsageTotals:
    """Requests, billable reads and spend this UTC day and month."""

    day_requests: int
    month_requests: int
    day_post_reads: int
    month_post_reads: int
    day_user_reads: int
    month_user_reads: int
    day_spend: Decimal
    month_spend: Decimal

    @property
    def day_reads(self) -> int:
        return self.day_post_reads + self.day_user_reads

    @property
    def month_reads(self) -> int:
        return self.month_post_reads + self.month_user_reads


@dataclass(frozen=True)
class OpsError:
    at: datetime
    instance_id: str
    job: str
    competition_id: str | None
    kind: str
    persistent: bool
    message: str
    retry_at: datetime | None = None
    endpoint: str | None = None
    reset_at: datetime | None = None


class LedgerMixin:
    if TYPE_CHECKING:  # provided by `bot.store.ops.OpsStore`
        store: Store

    def record_calls(self, instance_id: str, calls: Iterable[ApiCall]) -> int:
        rows = [
            {
                "at": c.at,
                "instance_id": instance_id,
                "method": c.method,
                "endpoint": c.endpoint,
                "status": c.status,
                "post_reads": c.post_reads,
                "user_reads": c.user_reads,
                "cost": str(c.cost),
            }
            for c in calls
        ]
        if rows:
            with self.store.transaction() as s:
                s.execute(insert(ApiCallRow), rows)
        return len(rows)

    def usage(self, now: datetime) -> UsageTotals:
        """Totals for the UTC day and calendar month containing `now`."""
        now = now.astimezone(UTC)
        day = datetime(now.year, now.month, now.day, tzinfo=UTC)
        month = datetime(now.year, now.month, 1, tzinfo=UTC)
        with self.store.session() as s:
            rows = s.execute(
                select(
                    ApiCallRow.at, ApiCallRow.post_reads, ApiCallRow.user_reads, ApiCallRow.cost
                ).where(ApiCallRow.at >= month)
            ).all()
        totals = {"dr": 0, "mr": 0, "dp": 0, "mp": 0, "du": 0, "mu": 0}
        day_spend, month_spend = Decimal(0), Decimal(0)
        for at, post_reads, user_reads, cost in rows:
            money = Decimal(cost)
            totals["mr"] += 1
            totals["mp"] += post_reads
            totals["mu"] += user_reads
            month_spend += money
            if at >= day:
                totals["dr"] += 1
                totals["dp"] += post_reads
                totals["du"] += user_reads
                day_spend += money
        return UsageTotals(
            day_requests=totals["dr"],
            month_requests=totals["mr"],
            day_post_reads=totals["dp"],
            month_post_reads=totals["mp"],
            day_user_reads=totals["du"],
            month_user_reads=totals["mu"],
            day_spend=day_spend,
            month_spend=month_spend,
        )

    def calls(self) -> list[ApiCall]:
        with self.store.session() as s:
            rows = s.scalars(select(ApiCallRow).order_by(ApiCallRow.id)).all()
            return [
                ApiCall(
                    r.at,
                    r.method,
                    r.endpoint,
                    r.status,
                    r.post_reads,
                    r.user_reads,
                    Decimal(r.cost),
                )
                for r in rows
            ]

    # ------------------------------------------------------------------------------------------
    # Errors
    # ------------------------------------------------------------------------------------------

    def record_error(self, instance_id: str, error: OpsError) -> None:
        with self.store.transaction() as s:
            s.add(
                OpsErrorRow(
                    at=error.at,
                    instance_id=instance_id,
                    job=error.job,
                    competition_id=error.competition_id,
                    kind=error.kind,
                    persistent=error.persistent,
                    message=error.message,
                    retry_at=error.retry_at,
                    endpoint=error.endpoint,
                    reset_at=error.reset_at,
                )
            )

    def recent_errors(self, limit: int = 10) -> list[OpsError]:
        with self.store.session() as s:
            rows = s.scalars(
                select(OpsErrorRow)
                .order_by(OpsErrorRow.at.desc(), OpsErrorRow.id.desc())
                .limit(limit)
            ).all()
            return [_error(r) for r in rows]

    def rate_limits(self) -> list[OpsError]:
        """The latest rate-limit error per endpoint (with its reset time)."""
        with self.store.session() as s:
            latest = (
                select(OpsErrorRow.endpoint, func.max(OpsErrorRow.id).label("last"))
                .where(OpsErrorRow.kind == "rate-limited", OpsErrorRow.endpoint.is_not(None))
                .group_by(OpsErrorRow.endpoint)
                .subquery()
            )
            rows = s.scalars(
                select(OpsErrorRow)
                .join(latest, OpsErrorRow.id == latest.c.last)
                .order_by(OpsErrorRow.endpoint)
            ).all()
            return [_error(r) for r in rows]


def _error(r: OpsErrorRow) -> OpsError:
    return OpsError(
        at=r.at,
        instance_id=r.instance_id,
        job=r.job,
        competition_id=r.competition_id,
        kind=r.kind,
        persistent=r.persistent,
        message=r.message,
        retry_at=r.retry_at,
        endpoint=r.endpoint,
        reset_at=r.reset_at,
    )
