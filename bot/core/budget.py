"""Monthly budget accounting for X API reads and money, and the refresh slow-down it implies.

Pure: the shell sums the recorded API calls into a `Usage` (billable reads this UTC day and month,
spend this month), and this module projects the month's end total, turns projection and the
organiser's `Budget` into a factor in (0, 1] that stretches the metric-refresh cadence
(`bot.core.cadence`), and words a warning for the organiser. Money is `Decimal` throughout. Default
prices are X's pay-per-use prices (CONTRACT.md §7.3). The months are UTC calendar months, which is
what the bot can see; X's billing cycle may start on another day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.core.cost import DEFAULT_PRICES, PriceTable

MONTHLY_POST_READ_CAP = 3_000_000  # X's pay-per-use cap per billing cycle (CONTRACT.md §7.3)
DEFAULT_FLOOR = 0.05
# Today's rate only counts once the day is old enough for it to mean something.
MIN_DAY_WINDOW = timedelta(hours=1)


def read_cost(
    post_reads: int = 0,
    user_reads: int = 0,
    owned_reads: int = 0,
    prices: PriceTable = DEFAULT_PRICES,
) -> Decimal:
    """The cost of billable reads (resources returned, after X's per-day de-duplication)."""
    for name, n in (
        ("post_reads", post_reads),
        ("user_reads", user_reads),
        ("owned_reads", owned_reads),
    ):
        if n < 0:
            raise ValueError(f"{name}={n}; read counts cannot be negative")
    return (
        post_reads * prices.post_read
        + user_reads * prices.user_read
        + (owned_reads * prices.owned_read)
    )


@dataclass(frozen=True)
class Usage:
    """Billable reads this UTC day and month, and spend this month. `day_spend` is today's spend
    when known; without it today's spend is estimated at the month's average price per read."""

    day_reads: int
    month_reads: int
    month_spend: Decimal
    day_spend: Decimal | None = None

    def __post_init__(self) -> None:
        if self.day_reads < 0 or self.month_reads < 0:
            raise ValueError(
                f"day_reads={self.day_reads}, month_reads={self.month_reads}; "
                "read counts cannot be negative"
            )
        if self.day_reads > self.month_reads:
            raise ValueError(
                f"day_reads={self.day_reads} exceeds month_reads={self.month_reads}; "
                "today's reads are part of the month's"
            )
        if self.month_spend < 0 or (self.day_spend is not None and self.day_spend < 0):
            raise ValueError(f"month_spend={self.month_spend}; spend cannot be negative")


@dataclass(frozen=True)
class Budget:
    """The organiser's monthly limits; None means no limit on that dimension."""

    month_reads: int | None = None
    month_spend: Decimal | None = None


@dataclass(frozen=True)
class Projection:
    """Month-to-date usage and the month's projected totals at the current rate."""

    used_reads: int
    used_spend: Decimal
    month_reads: int
    month_spend: Decimal
    month_end: datetime


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The UTC calendar month containing `now`: [start, end)."""
    now = now.astimezone(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def projection(usage: Usage, now: datetime, *, active_until: datetime | None = None) -> Projection:
    """Project the month's totals: month-to-date plus the current rate until the month ends (or
    until `active_until`, the last running competition's end, if that comes first).

    The current rate is the higher of the month's average and today's (once today is an hour old):
    a competition that just started burns faster than the month so far suggests, and erring high
    slows the refresh a little early rather than overspending."""
    if now.tzinfo is None:
        raise ValueError(f"now={now!r} is naive; pass a timezone-aware UTC datetime")
    now = now.astimezone(UTC)
    start, end = month_bounds(now)
    day_start = datetime(now.year, now.month, now.day, tzinfo=UTC)
    stop = end if active_until is None else max(now, min(end, active_until.astimezone(UTC)))
    remaining = (stop - now).total_seconds()
    month_elapsed = (now - start).total_seconds()
    day_elapsed = now - day_start

    read_rate = usage.month_reads / month_elapsed if month_elapsed > 0 else 0.0
    spend_rate = usage.month_spend / Decimal(month_elapsed) if month_elapsed > 0 else Decimal(0)
    if day_elapsed >= MIN_DAY_WINDOW:
        day_s = day_elapsed.total_seconds()
        read_rate = max(read_rate, usage.day_reads / day_s)
        day_spend = usage.day_spend
        if day_spend is None:
            day_spend = (
                usage.month_spend * usage.day_reads / usage.month_reads
                if usage.month_reads
                else Decimal(0)
            )
        spend_rate = max(spend_rate, day_spend / Decimal(day_s))
    return Projection(
        used_reads=usage.month_reads,
        used_spend=usage.month_spend,
        month_reads=usage.month_reads + round(read_rate * remaining),
        month_spend=(usage.month_spend + spend_rate * Decimal(remaining)).quantize(
            Decimal("0.001")
        ),
        month_end=end,
    )


def budget_factor(
    projection: Projection,
    budget: Budget,
    *,
    current: float = 1.0,
    reserve_reads: int = 0,
    reserve_spend: Decimal = Decimal(0),
    floor: float = DEFAULT_FLOOR,
) -> float:
    """The refresh-cadence factor in [floor, 1]: 1 while the projection fits the budget.

    Compares what is left of the budget, minus a reserve held back for the freeze snapshots still
    to come, with the projected rest-of-month usage at the current rate. That rate was produced at
    the `current` factor, so the new factor is `current` x (left / projected): it settles where the
    projection meets the budget, and climbs back towards 1 when usage falls."""
    if not 0.0 < floor <= 1.0:
        raise ValueError(f"floor={floor}; it must be in (0, 1]")
    if not 0.0 < current <= 1.0:
        raise ValueError(f"current={current}; the current factor must be in (0, 1]")
    ratios: list[float] = []
    if budget.month_reads is not None:
        left = budget.month_reads - projection.used_reads - reserve_reads
        ahead = projection.month_reads - projection.used_reads
        ratios.append(_ratio(Decimal(left), Decimal(ahead)))
    if budget.month_spend is not None:
        left_spend = budget.month_spend - projection.used_spend - reserve_spend
        ahead_spend = projection.month_spend - projection.used_spend
        ratios.append(_ratio(left_spend, ahead_spend))
    factor = current * min(ratios, default=float("inf"))
    return max(floor, min(1.0, factor))


def warning(
    projection: Projection,
    budget: Budget,
    *,
    factor: float = 1.0,
) -> str | None:
    """A sentence for the organiser when the month is projected (or already) over budget or over
    X's monthly post-read cap; None when all is well."""
    problems: list[str] = []
    if budget.month_spend is not None and projection.month_spend > budget.month_spend:
        verb = "has reached" if projection.used_spend >= budget.month_spend else "is projected at"
        problems.append(
            f"this month's X API spend {verb} ${projection.month_spend:.2f} against a budget of "
            f"${budget.month_spend:.2f} (${projection.used_spend:.2f} so far)"
        )
    if budget.month_reads is not None and projection.month_reads > budget.month_reads:
        verb = "have reached" if projection.used_reads >= budget.month_reads else "are projected at"
        problems.append(
            f"this month's billable reads {verb} {projection.month_reads:,} against a budget of "
            f"{budget.month_reads:,} ({projection.used_reads:,} so far)"
        )
    if projection.month_reads > MONTHLY_POST_READ_CAP:
        problems.append(
            f"projected reads {projection.month_reads:,} exceed X's monthly cap of "
            f"{MONTHLY_POST_READ_CAP:,} post reads"
        )
    if not problems:
        return None
    action = (
        f"metric refresh slowed to {factor:.0%} of its normal rate (the freeze snapshot is kept)"
        if factor < 1.0
        else "raise the budget or expect the refresh to slow down"
    )
    return "; ".join(problems) + f" - {action}"


def _ratio(left: Decimal, ahead: Decimal) -> float:
    if left <= 0:
        return 0.0
    if ahead <= 0:
        return float("inf")
    return float(left / ahead)
