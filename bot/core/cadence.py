"""Adaptive metric-refresh planning: which tracked entries to re-read now, and when to look again.

Pure: the daemon passes the tracked entries (post id, last refresh time, best current rank), the
moment the freeze snapshot is due (the competition end, plus any grace), `now`, and a budget factor
from `bot.core.budget`; it gets back the ids due now, in batches of at most 100 (one GET /2/tweets
request each), and the next time anything falls due. Leading entries (top K in any category) and
every entry in the last hour before the end refresh often; the long tail rarely. Once the end has
passed, every entry not re-read since the end is due: that is the freeze snapshot, and it ignores
the budget factor so the results are always taken from metrics read after the deadline. A budget
factor below 1 stretches the other intervals (interval / factor).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

BATCH_SIZE = 100  # GET /2/tweets?ids= accepts at most 100 ids
NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Tracked:
    """One entry the bot keeps fresh. `entry_id` is the post id to read (the latest version);
    `best_rank` is its best 1-based rank over all categories, None when it ranks nowhere (yet);
    `last_refreshed` is None when its metrics were never re-read after discovery."""

    entry_id: str
    last_refreshed: datetime | None
    best_rank: int | None = None


@dataclass(frozen=True)
class CadencePolicy:
    """How often to refresh. Intervals are before stretching by the budget factor."""

    hot_interval: timedelta = timedelta(minutes=2)
    tail_interval: timedelta = timedelta(minutes=30)
    lead_k: int = 10
    deadline_window: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.hot_interval <= timedelta(0):
            raise ValueError(f"hot_interval={self.hot_interval}; it must be positive")
        if self.tail_interval < self.hot_interval:
            raise ValueError(
                f"tail_interval={self.tail_interval} is shorter than hot_interval="
                f"{self.hot_interval}; the long tail should refresh less often"
            )
        if self.lead_k < 0:
            raise ValueError(f"lead_k={self.lead_k}; use 0 or more leading entries")
        if self.deadline_window < timedelta(0):
            raise ValueError(f"deadline_window={self.deadline_window}; it cannot be negative")


DEFAULT_POLICY = CadencePolicy()


@dataclass(frozen=True)
class RefreshPlan:
    """What to refresh now. `batches` hold at most `BATCH_SIZE` ids each, leading and stalest
    first. `freeze` is True when the batches are (part of) the freeze snapshot. `next_due` is when
    the next entry falls due once these batches are done, None when nothing ever will (the freeze
    snapshot is complete, or nothing is tracked)."""

    batches: tuple[tuple[str, ...], ...]
    next_due: datetime | None
    freeze: bool

    @property
    def due_ids(self) -> tuple[str, ...]:
        return tuple(i for batch in self.batches for i in batch)

    @property
    def freeze_complete(self) -> bool:
        """True after the end once every tracked entry has been re-read since the end."""
        return self.freeze and not self.batches


def is_leading(entry: Tracked, policy: CadencePolicy = DEFAULT_POLICY) -> bool:
    return entry.best_rank is not None and entry.best_rank <= policy.lead_k


def due_at(
    entry: Tracked,
    *,
    end: datetime,
    factor: float = 1.0,
    policy: CadencePolicy = DEFAULT_POLICY,
) -> datetime | None:
    """When `entry` next needs a refresh; None when it never will (re-read after the end).

    The freeze reading is due at `end` whatever the factor; before that a leading entry is due a
    stretched hot interval after its last refresh, and a tail entry a stretched tail interval
    after, or a hot interval after once the deadline window opens, whichever comes first."""
    _check_factor(factor)
    last = entry.last_refreshed
    if last is None:
        return NEVER  # never re-read since discovery: due at once
    if last >= end:
        return None
    hot = policy.hot_interval / factor
    tail = policy.tail_interval / factor
    window_opens = end - policy.deadline_window
    if is_leading(entry, policy):
        regular = last + hot
    else:
        regular = min(last + tail, max(last + hot, window_opens))
    return min(regular, end)


def plan_refresh(
    tracked: Iterable[Tracked],
    *,
    end: datetime,
    now: datetime,
    factor: float = 1.0,
    policy: CadencePolicy = DEFAULT_POLICY,
) -> RefreshPlan:
    """The entries due at `now`, batched, and the next due time after refreshing them now."""
    _check_factor(factor)
    if now.tzinfo is None or end.tzinfo is None:
        raise ValueError("now and end must be timezone-aware UTC datetimes")
    due: list[Tracked] = []
    later: list[datetime] = []
    for entry in tracked:
        when = due_at(entry, end=end, factor=factor, policy=policy)
        if when is None:
            continue
        if when <= now:
            due.append(entry)
            # Refreshed now, the entry falls due again as if its last refresh were `now`.
            again = due_at(
                Tracked(entry.entry_id, now, entry.best_rank),
                end=end,
                factor=factor,
                policy=policy,
            )
            if again is not None:
                later.append(again)
        else:
            later.append(when)
    due.sort(key=lambda e: _priority(e, policy))
    ids = [e.entry_id for e in due]
    batches = tuple(tuple(ids[i : i + BATCH_SIZE]) for i in range(0, len(ids), BATCH_SIZE))
    return RefreshPlan(batches=batches, next_due=min(later, default=None), freeze=now >= end)


def _priority(entry: Tracked, policy: CadencePolicy) -> tuple[int, int, datetime, str]:
    # Leaders first by rank, then the stalest; never-read entries count as stalest of all.
    leading = is_leading(entry, policy)
    rank = entry.best_rank if leading and entry.best_rank is not None else 0
    stamp = entry.last_refreshed or NEVER
    return (0 if leading else 1, rank, stamp, entry.entry_id)


def _check_factor(factor: float) -> None:
    if not 0.0 < factor <= 1.0:
        raise ValueError(f"factor={factor}; the budget factor must be in (0, 1]")
