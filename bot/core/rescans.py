"""Re-scans for posts X indexes late, pure: which wide searches a stream needs now, which one run
serves them all, what that run covers, and when a competition's collection is complete.

X indexes some posts minutes to hours after they are created. The regular search resumes an
`overlap` before the newest post seen (`bot.core.polling.search_window`), so a post created before
that cursor and indexed later is never returned by it. Three re-scans search by `start_time`:

- recent: every `RescanPolicy.every`, from `lookback` before now. A post indexed up to
  `lookback - every - poll interval` late (6 h with the defaults and a 5-minute poll) is found
  within `every` plus one poll of becoming searchable.
- wide: once per UTC day, the whole readable window (the start, or 7 days back). X bills a post
  once per UTC day however often it is read (CONTRACT.md §7.3), so the wide re-scan waits until
  every tracked entry has been read that day (the metric refresh reads them all) and then costs
  nothing but the posts it finds; if that never happens it runs `wide_by` into the day anyway.
- final: once, `late_grace` after the end, the whole readable window up to the end. The freeze
  waits for it (`is_collection_complete`).

Each stream makes ONE run per cycle (`plan_run`): the regular window, widened to the earliest start
a due re-scan needs. A run covers every re-scan whose start it reached (`covered`), due or not, so
the first search of a competition (by start_time from its start) is all of them at once and a cold
cycle costs no extra request. The shell records a covered re-scan when the run's last page is
stored (a crash mid-pagination leaves it due) and reads that record back as `Rescan` marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from bot.core.polling import (
    END_TIME_LAG,
    HORIZON_MARGIN,
    SEARCH_HORIZON,
    SearchWindow,
    readable_floor,
    window_from,
)

RescanKind = Literal["recent", "wide", "final"]
RESCAN_KINDS: tuple[RescanKind, ...] = ("recent", "wide", "final")

DEFAULT_LATE_GRACE = timedelta(hours=6)
"""How long after the end a competition keeps searching for posts created before it (the
`late_posts_grace` default): a post indexed up to 6 h late always enters the frozen result."""
MIN_LATE_GRACE = timedelta(minutes=2)
MAX_LATE_GRACE = timedelta(days=2)
"""Well inside the 7-day horizon: the final re-scan must still reach back to the start of the last
days of the window."""


@dataclass(frozen=True)
class RescanPolicy:
    """How often and how far back the re-scans read. The defaults keep the goal "a post indexed
    up to 6 h late is in the live leaderboard within 30 minutes of becoming searchable" with a
    poll interval up to 15 minutes: found within `every` + one poll, provided it was created less
    than `lookback` before."""

    lookback: timedelta = timedelta(hours=7)
    every: timedelta = timedelta(minutes=15)
    wide_by: timedelta = timedelta(hours=20)

    def __post_init__(self) -> None:
        if self.every <= timedelta(0):
            raise ValueError(f"every={self.every}; the recent re-scan period must be positive")
        if not self.every < self.lookback <= SEARCH_HORIZON - HORIZON_MARGIN:
            raise ValueError(
                f"lookback={self.lookback}; it must exceed every={self.every} and stay inside "
                "the 7-day search horizon"
            )
        if not timedelta(0) <= self.wide_by < timedelta(days=1):
            raise ValueError(f"wide_by={self.wide_by}; it is a time of the UTC day (0 to 24 h)")


DEFAULT_RESCANS = RescanPolicy()


@dataclass(frozen=True)
class Rescan:
    """A re-scan a stream may owe: read posts created from `read_from` on; `due` when it must run
    now (else it is only recorded if a run happens to reach `read_from`). `owner` tells marks of
    the same kind apart when one stream serves several competitions (a shared mentions stream:
    each competition's own final re-scan), None otherwise."""

    kind: RescanKind
    read_from: datetime
    due: bool
    owner: str | None = None


@dataclass(frozen=True)
class SearchRun:
    """The one run a stream makes this cycle: its window, the instant it reads from, and the
    re-scans it covers (recorded done with its last page)."""

    window: SearchWindow
    read_from: datetime
    covers: tuple[Rescan, ...]
    widened: bool = False

    @property
    def label(self) -> str:
        """What the run is, for logs: the widest due re-scan it was widened for, else "search"."""
        kinds = {r.kind for r in self.covers if r.due}
        if self.widened:
            for kind in ("final", "wide", "recent"):
                if kind in kinds:
                    return kind
        return "search"


def utc_day_start(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day: X's read de-duplication resets then."""
    return datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)


def recent_rescan(
    start: datetime,
    end: datetime,
    now: datetime,
    last: datetime | None,
    *,
    policy: RescanPolicy = DEFAULT_RESCANS,
) -> Rescan | None:
    """The recent re-scan of a window [start, end): from `policy.lookback` before now (not before
    what is readable); due `policy.every` after the `last` one finished. None once nothing of the
    window lies in the lookback (long after the end)."""
    if now < start:
        return None
    read_from = max(readable_floor(start, now), now - policy.lookback)
    if read_from >= min(end, now - END_TIME_LAG):
        return None
    due = last is None or now - last >= policy.every
    return Rescan("recent", read_from, due)


def is_wide_pending(last: datetime | None, now: datetime) -> bool:
    """Whether today's wide re-scan has not run yet (the shell then looks up `stalest_read`)."""
    return last is None or last < utc_day_start(now)


def wide_rescan(
    start: datetime,
    end: datetime,
    now: datetime,
    last: datetime | None,
    *,
    stalest_read: datetime | None,
    policy: RescanPolicy = DEFAULT_RESCANS,
) -> Rescan | None:
    """The wide re-scan of [start, end): the whole readable window, once per UTC day. Due when it
    has not run today and re-reading is free (`stalest_read`, the oldest last read of a tracked
    entry, None when there is none, falls in today) or `policy.wide_by` of the day has passed."""
    floor = readable_floor(start, now)
    if now < start or floor >= min(end, now - END_TIME_LAG):
        return None
    day = utc_day_start(now)
    cheap = stalest_read is None or stalest_read >= day
    due = is_wide_pending(last, now) and (cheap or now >= day + policy.wide_by)
    return Rescan("wide", floor, due)


def final_rescan(
    start: datetime,
    end: datetime,
    now: datetime,
    last: datetime | None,
    *,
    late_grace: timedelta,
    owner: str | None = None,
) -> Rescan | None:
    """The final re-scan: the whole readable window up to the end, once `late_grace` after the
    end has passed; due until one has finished since then. None before, or when nothing of the
    window is readable any more."""
    settled = end + late_grace
    floor = readable_floor(start, now)
    if now < settled or floor >= end:
        return None
    return Rescan("final", floor, last is None or last < settled, owner)


def search_rescans(
    start: datetime,
    end: datetime,
    now: datetime,
    marks: dict[RescanKind, datetime | None],
    *,
    late_grace: timedelta,
    stalest_read: datetime | None,
    policy: RescanPolicy = DEFAULT_RESCANS,
) -> tuple[Rescan, ...]:
    """The re-scans a competition's search stream may owe now, from when each last finished
    (`marks`; missing: never)."""
    found = (
        recent_rescan(start, end, now, marks.get("recent"), policy=policy),
        wide_rescan(start, end, now, marks.get("wide"), stalest_read=stalest_read, policy=policy),
        final_rescan(start, end, now, marks.get("final"), late_grace=late_grace),
    )
    return tuple(r for r in found if r is not None)


def plan_run(regular: SearchWindow, rescans: Sequence[Rescan]) -> SearchRun:
    """The one run that serves the regular search and every due re-scan: the regular window,
    unless a due re-scan must read from earlier than it does; then a start_time window from the
    earliest such start, with the regular window's end."""
    read_from = window_from(regular)
    need = min((r.read_from for r in rescans if r.due), default=None)
    if need is not None and need < read_from:
        window = SearchWindow(since_id=None, start_time=need, end_time=regular.end_time)
        return SearchRun(window, need, covered(need, rescans), widened=True)
    return SearchRun(regular, read_from, covered(read_from, rescans))


def covered(read_from: datetime, rescans: Iterable[Rescan]) -> tuple[Rescan, ...]:
    """The re-scans a run reading from `read_from` (up to now, or the end) fulfils."""
    return tuple(r for r in rescans if read_from <= r.read_from)


def is_collection_complete(
    end: datetime, late_grace: timedelta, now: datetime, finals: Sequence[datetime | None]
) -> bool:
    """Whether a competition's posts are all collected, so it may freeze: `late_grace` after the
    end has passed and every stream's final re-scan (`finals`: when each last finished) ran since;
    or the whole window has left the 7-day horizon (no search can add anything any more)."""
    settled = end + late_grace
    if now < settled:
        return False
    if end <= now - SEARCH_HORIZON + HORIZON_MARGIN:
        return True
    return all(f is not None and f >= settled for f in finals)


def freezes_from(end: datetime, late_grace: timedelta) -> datetime:
    """The earliest a competition's results freeze: `late_grace` after the end, once the final
    re-scan is done."""
    return end + late_grace


def rescan_stream(kind: RescanKind, stream: str) -> str:
    """The cursor stream under which a stream's re-scan of `kind` is recorded (its `updated_at`
    is when the last such run finished), e.g. "rescan:recent:search:0"."""
    return f"rescan:{kind}:{stream}"


@dataclass(frozen=True)
class RescanCost:
    """One day of re-scans of a running competition, from the planner's figures: runs, requests
    (and how many more than the regular polls they replace), posts returned, and how many distinct
    posts those are: X bills each at most once that UTC day, and nothing extra when the metric
    refresh reads it that day anyway (it reads every entry at least every tail interval)."""

    recent_runs: int
    wide_runs: int
    requests: int
    extra_requests: int
    reads: int
    distinct: int


def daily_cost(
    entries: int,
    days: float,
    *,
    policy: RescanPolicy = DEFAULT_RESCANS,
    page: int = 100,
) -> RescanCost:
    """A day of re-scans near the end of a competition of `entries` posts arriving evenly over
    `days`: `24 h / every` recent runs over the posts of the last `lookback` and one wide run over
    the readable window (at most 7 days), each run at least one request of `page` posts. Each run
    replaces that cycle's regular search (one request), hence `extra_requests`."""
    if entries < 0 or days <= 0:
        raise ValueError(f"entries={entries}, days={days}: use entries >= 0 and days > 0")
    day = timedelta(days=1)
    per_day = entries / days
    readable = min(entries, round(per_day * (SEARCH_HORIZON - HORIZON_MARGIN) / day))
    recent_posts = min(readable, round(per_day * (policy.lookback / day)))
    recent_runs = round(day / policy.every)
    recent_pages = max(1, -(-recent_posts // page))
    wide_pages = max(1, -(-readable // page))
    requests = recent_runs * recent_pages + wide_pages
    return RescanCost(
        recent_runs=recent_runs,
        wide_runs=1,
        requests=requests,
        extra_requests=requests - (recent_runs + 1),
        reads=recent_runs * recent_posts + readable,
        distinct=readable,
    )
