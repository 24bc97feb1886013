"""Where a competition is in its life, as the daemon's steps see it; decided from values.

`refresh_phase`: before its start it waits (due at the start), while it runs its entries are
re-read at the adaptive cadence (`bot.core.cadence`), once ended it goes to the two-phase freeze.
The freeze is `is_due` from the end (the final snapshot at the first chance) and may happen once
`is_settled` (the late grace after the end, when the search for posts indexed late has had its
chance) and the final re-scan is done; `freeze_wait` says until when a step looks again.
`next_refresh_run` is when the refresh job runs next. Pure: `now` is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from bot.core.models import Competition

Phase = Literal["waiting", "running", "ended"]
MIN_REFRESH_GAP = timedelta(seconds=1)


def refresh_phase(competition: Competition, now: datetime) -> Phase:
    if now < competition.start:
        return "waiting"
    return "running" if now < competition.end else "ended"


def is_due(competition: Competition, now: datetime) -> bool:
    """Whether the freeze's first phase (the final snapshot) is due: from the end."""
    return now >= competition.end


def is_settled(competition: Competition, now: datetime, *, settle: timedelta | None = None) -> bool:
    """Whether the standings may freeze: the competition's late grace (or `settle`) after the end,
    when the search for posts indexed late has had its chance."""
    grace = competition.late_grace if settle is None else settle
    return now >= competition.end + grace


def freeze_wait(competition: Competition, now: datetime) -> datetime | None:
    """While the final re-scan is not done: when to look again (the end of the late grace), or
    None once it has passed (the next tick looks anyway)."""
    settled = competition.end + competition.late_grace
    return settled if now < settled else None


def next_refresh_run(
    dues: Iterable[datetime], *, now: datetime, poll_interval: timedelta
) -> datetime | None:
    """The earliest due time, never sooner than a second from now, never later than a poll
    interval; None when nothing is due (the job's own interval applies)."""
    times = list(dues)
    if not times:
        return None
    return max(now + MIN_REFRESH_GAP, min(min(times), now + poll_interval))
