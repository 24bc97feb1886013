"""The daemon's scheduler on the injected clock, and the clock a run uses.

`schedule` reads `datetime.now()` itself; `ClockedScheduler` (its own instance, never the module
default) and `ClockedJob` replace those reads with the injected `Clock`, so tests drive the daemon
with a `ManualClock` and subprocess tests with an accelerated one. Only interval jobs (seconds)
are needed. A job function may return a `datetime`: the job then runs next at that moment instead
of after its interval (adaptive cadence, backoff). `clock_from_spec` reads the testing aid
`CONTESTBOT_CLOCK=accelerated:<ISO start>[@<unix time>]:<speed>` (not for production).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import schedule

from bot.clock import AcceleratedClock, Clock, SystemClock

CLOCK_ENV = "CONTESTBOT_CLOCK"


def _naive(when: datetime) -> datetime:
    # schedule compares naive datetimes; ours are naive UTC.
    return when.astimezone(UTC).replace(tzinfo=None)


class ClockedJob(schedule.Job):
    """An interval job (seconds) whose time is the scheduler's clock."""

    def __init__(self, interval: float, scheduler: ClockedScheduler) -> None:
        super().__init__(1, scheduler)
        self.period = timedelta(seconds=interval)
        self.clock = scheduler.clock
        self.unit = "seconds"
        self.name = ""

    def named(self, name: str) -> ClockedJob:
        self.name = name
        self.tags.add(name)
        return self

    @property
    def should_run(self) -> bool:
        assert self.next_run is not None
        return _naive(self.clock.now()) >= self.next_run

    def run(self) -> Any:
        ret = self.job_func() if self.job_func is not None else None
        self.last_run = _naive(self.clock.now())
        if isinstance(ret, datetime):
            self.defer_until(ret)
        else:
            self._schedule_next_run()
        return ret

    def _schedule_next_run(self) -> None:
        self.next_run = _naive(self.clock.now() + self.period)

    def defer_until(self, when: datetime) -> None:
        """Run next at `when` (never earlier than now)."""
        self.next_run = max(_naive(when), _naive(self.clock.now()))

    def run_now(self) -> None:
        self.next_run = _naive(self.clock.now())

    @property
    def next_run_utc(self) -> datetime | None:
        return None if self.next_run is None else self.next_run.replace(tzinfo=UTC)


class ClockedScheduler(schedule.Scheduler):
    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def every(self, interval: float = 1) -> ClockedJob:
        return ClockedJob(interval, self)

    def job(self, name: str) -> ClockedJob:
        for j in self.jobs:
            if isinstance(j, ClockedJob) and j.name == name:
                return j
        raise KeyError(name)

    @property
    def idle_seconds(self) -> float | None:
        nxt = self.get_next_run()
        if nxt is None:
            return None
        return (nxt - _naive(self.clock.now())).total_seconds()


def capped_sleep(idle: float | None, *, cap: float, floor: float = 0.0) -> float:
    """How long to sleep before the next job: until it is due, at most `cap` (so signals, leases
    and heartbeats are looked at regularly), never negative."""
    if idle is None:
        return cap
    return max(floor, min(cap, idle))


class ClockSpecError(ValueError):
    pass


MAX_SPEED = 1_000_000.0  # simulated seconds per real second


def parse_clock_spec(spec: str) -> tuple[datetime, float | None, float] | None:
    """(start, anchor unix time or None, speed) of an accelerated spec; None for the system clock.
    Raises `ClockSpecError` (naming the variable, never a bare ValueError or OverflowError) for
    anything a clock cannot be built from: a non-finite or huge speed or anchor, a start out of
    range, text that is not valid UTF-8."""
    if not spec or spec.strip() == "system":
        return None
    fix = "use accelerated:2026-09-01T12:00:00+00:00@1767225600.0:60 (start@unix-time:speed)"
    shown = repr(spec) if len(spec) <= 80 and spec.isprintable() else "(the value set)"
    if not spec.startswith("accelerated:"):
        raise ClockSpecError(f"{CLOCK_ENV}={shown} is not a clock; {fix}")
    body = spec[len("accelerated:") :]
    start_part, _, speed_part = body.rpartition(":")
    iso, _, anchor_part = start_part.partition("@")
    try:
        start = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        speed = float(speed_part)
        anchor = float(anchor_part) if anchor_part else None
    except ValueError:
        raise ClockSpecError(f"{CLOCK_ENV}={shown} cannot be read; {fix}") from None
    if start.tzinfo is None or not math.isfinite(speed) or not 0 < speed <= MAX_SPEED:
        raise ClockSpecError(
            f"{CLOCK_ENV}={shown} needs an offset and a speed above 0, at most {MAX_SPEED:g}; {fix}"
        )
    if anchor is not None and (not math.isfinite(anchor) or abs(anchor) > 1e11):
        raise ClockSpecError(f"{CLOCK_ENV}={shown} has an anchor that is not a unix time; {fix}")
    return start, anchor, speed


def clock_from_spec(spec: str | None) -> Clock:
    """`None`/"" /"system" -> SystemClock; `accelerated:<ISO start>[@<unix time>]:<speed>` -> an
    accelerated clock at `start` when the wall clock read `unix time` (default: now), so separate
    processes given the same spec agree on the simulated time. A testing aid, not for production."""
    parsed = parse_clock_spec(spec or "")
    if parsed is None:
        return SystemClock()
    start, anchor, speed = parsed
    if anchor is not None:
        # The one wall-clock read: how far the shared simulated timeline has already run.
        try:
            start += timedelta(seconds=(time.time() - anchor) * speed)
        except OverflowError:
            raise ClockSpecError(
                f"{CLOCK_ENV}: the start plus the time elapsed since the anchor is past the year "
                "9999 - use a nearer anchor or a lower speed"
            ) from None
    return AcceleratedClock(start, speed)


def accelerated_spec(clock: AcceleratedClock) -> str:
    """The spec that makes another process's clock agree with `clock` from now on."""
    now = clock.now()
    return f"accelerated:{now.isoformat()}@{time.time():.6f}:{clock.speed:g}"
