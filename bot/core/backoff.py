"""Retry decisions after an X API failure: how long the daemon waits, and whether a human is needed.

Pure: the daemon passes the error (our `bot.core.errors` hierarchy, or any other exception), how
many consecutive failures it has seen, `now` and a random value in [0, 1), and gets back a
`Decision`: the moment to try again, a sentence for the logs and `contestbot status`, whether the
failure is persistent (credits, credentials, a usage cap: it will not heal by itself within
minutes) and a severity. Rate limits wait for the API's reset time; transient failures back off
exponentially with full jitter up to a cap; persistent ones retry at a slow interval so the bot
catches up on its own after a top-up or a fixed token. Every wait is at least `MIN_WAIT`, so
nothing ever busy-loops.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.core.errors import (
    ApiError,
    AuthError,
    CreditsDepleted,
    ForbiddenForTarget,
    InvalidRequest,
    RateLimited,
    Unavailable,
    UsageCapped,
)
from bot.core.timefmt import iso

Severity = Literal["info", "warning", "error"]
Kind = Literal[
    "rate-limited",
    "usage-capped",
    "credits-depleted",
    "auth",
    "unavailable",
    "rejected",
    "unexpected",
]

MIN_WAIT = timedelta(seconds=1)
DEFAULT_BASE = timedelta(seconds=2)
DEFAULT_CAP = timedelta(minutes=15)
DEFAULT_SLOW = timedelta(minutes=15)
# The API's reset header is trusted, but not beyond the longest window X uses (24 h for some
# POST buckets): a garbled header must not park the daemon for weeks.
MAX_RESET_WAIT = timedelta(hours=24)
RESET_MARGIN = timedelta(seconds=1)


@dataclass(frozen=True)
class Decision:
    """When to try again and what to tell the organiser. `wait_until` is always later than `now`."""

    wait_until: datetime
    reason: str
    persistent: bool
    severity: Severity
    kind: Kind = "unexpected"
    # What failed and what to do about it, without any retry time: what a one-shot run (which
    # does not retry) reports. Empty for failures that need no human.
    cause: str = ""

    def wait_seconds(self, now: datetime) -> float:
        """Seconds from `now` until `wait_until` (never negative)."""
        return max(0.0, (self.wait_until - now).total_seconds())


def backoff_delay(
    attempt: int,
    rand: float,
    *,
    base: timedelta = DEFAULT_BASE,
    cap: timedelta = DEFAULT_CAP,
) -> timedelta:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base x 2^(attempt-1))),
    floored at `MIN_WAIT`. `attempt` counts consecutive failures from 1."""
    _check(attempt, rand, base, cap)
    # Clamp the exponent before computing: 2.0 ** 2000 overflows, and past 2^62 x base every
    # realistic cap has long been reached anyway.
    ceiling_s = min(cap.total_seconds(), base.total_seconds() * 2.0 ** min(attempt - 1, 62))
    return max(MIN_WAIT, timedelta(seconds=rand * ceiling_s))


def next_attempt(
    error: BaseException,
    *,
    attempt: int,
    now: datetime,
    rand: float,
    base: timedelta = DEFAULT_BASE,
    cap: timedelta = DEFAULT_CAP,
    slow: timedelta = DEFAULT_SLOW,
) -> Decision:
    """Decide when to retry after `error`, the `attempt`-th failure in a row (1 for the first).

    `rand` is a uniform random value in [0, 1) (the shell draws it, tests pin it); `base` and `cap`
    shape the exponential backoff; `slow` is the retry interval for persistent failures."""
    _check(attempt, rand, base, cap)
    if now.tzinfo is None:
        raise ValueError(f"now={now!r} is naive; pass a timezone-aware UTC datetime")
    if slow < MIN_WAIT:
        raise ValueError(f"slow={slow} is shorter than {MIN_WAIT}; use a longer retry interval")
    now = now.astimezone(UTC)
    backoff_until = now + backoff_delay(attempt, rand, base=base, cap=cap)

    if isinstance(error, RateLimited):
        if error.reset_at is None:
            return Decision(
                backoff_until,
                f"rate limited without a reset time; backing off until {iso(backoff_until)}",
                persistent=False,
                severity="warning",
                kind="rate-limited",
            )
        reset = error.reset_at.astimezone(UTC) + RESET_MARGIN
        until = min(max(reset, now + MIN_WAIT), now + MAX_RESET_WAIT)
        return Decision(
            until,
            f"rate limited; waiting for the reset at {iso(until)}",
            persistent=False,
            severity="warning",
            kind="rate-limited",
        )
    if isinstance(error, UsageCapped):
        period = (error.period or "").strip().lower()
        if period == "monthly":
            until, what = next_month_start(now), "monthly"
        else:
            # Daily, or a cap that did not say: the next UTC day is the shorter, safer guess.
            until, what = next_day_start(now), "daily" if period == "daily" else "unspecified"
        return Decision(
            until,
            f"X usage cap reached ({what} period); pausing reads until {iso(until)} - "
            "raise the cap or wait for the new period",
            persistent=True,
            severity="error",
            kind="usage-capped",
            cause=f"X usage cap reached ({what} period) - raise the cap or wait for the new period",
        )
    if isinstance(error, CreditsDepleted):
        until = now + slow
        return Decision(
            until,
            f"X API credits depleted (402); top up at console.x.com - retrying at {iso(until)}",
            persistent=True,
            severity="error",
            kind="credits-depleted",
            cause="X API credits depleted (402) - top up at console.x.com",
        )
    if isinstance(error, AuthError):
        until = now + slow
        return Decision(
            until,
            "X API rejected the credentials or app permissions; check the tokens in .env and the "
            f"app's permissions in the developer console - retrying at {iso(until)}",
            persistent=True,
            severity="error",
            kind="auth",
            cause="X API rejected the credentials or app permissions - check the tokens in .env "
            "and the app's permissions in the developer console",
        )
    if isinstance(error, Unavailable):
        return Decision(
            backoff_until,
            f"X API unavailable (attempt {attempt}); backing off until {iso(backoff_until)}",
            persistent=False,
            severity="warning",
            kind="unavailable",
        )
    if isinstance(error, (InvalidRequest, ForbiddenForTarget)):
        # The caller normally handles these per request; reaching here means a step keeps sending
        # a request the API refuses, so slow down rather than hammer it.
        return Decision(
            backoff_until,
            f"X API refused a request ({type(error).__name__}); backing off until "
            f"{iso(backoff_until)}",
            persistent=False,
            severity="error",
            kind="rejected",
        )
    what = "X API error" if isinstance(error, ApiError) else "unexpected error"
    return Decision(
        backoff_until,
        f"{what} ({type(error).__name__}); backing off until {iso(backoff_until)}",
        persistent=False,
        severity="error",
        kind="unexpected",
    )


def next_day_start(now: datetime) -> datetime:
    """Midnight UTC after `now`."""
    now = now.astimezone(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def next_month_start(now: datetime) -> datetime:
    """The first instant of the UTC calendar month after `now`."""
    now = now.astimezone(UTC)
    if now.month == 12:
        return datetime(now.year + 1, 1, 1, tzinfo=UTC)
    return datetime(now.year, now.month + 1, 1, tzinfo=UTC)


def _check(attempt: int, rand: float, base: timedelta, cap: timedelta) -> None:
    if attempt < 1:
        raise ValueError(f"attempt={attempt}; count consecutive failures from 1")
    if not 0.0 <= rand < 1.0:
        raise ValueError(f"rand={rand}; pass a uniform random value in [0, 1)")
    if base <= timedelta(0):
        raise ValueError(f"base={base}; the backoff base must be positive")
    if cap < base:
        raise ValueError(f"cap={cap} is below base={base}; the cap must be at least the base")


@dataclass(frozen=True)
class FailurePlan:
    """What the daemon does about one failed job step, decided from values.

    `decision` is what the failing job's gate holds (None: clear the gate, nothing to wait for);
    `retry_at` when the job runs next; `pause_api_jobs`: every API job waits until
    `decision.wait_until` too (credits, credentials and usage caps concern every request);
    `message` the one line logged and recorded for `status`; `persistent_note` the PERSISTENT line
    for the organiser, or None."""

    decision: Decision | None
    retry_at: datetime
    pause_api_jobs: bool
    message: str
    persistent_note: str | None


POSTING_RETRY = timedelta(minutes=15)
"""How often posting retries after a failure that needs a human."""


def plan_failure(
    error: BaseException,
    *,
    text: str,
    attempt: int,
    now: datetime,
    rand: float,
    probe: timedelta,
    once: bool,
    lease_lost: bool = False,
    posting_stopped: bool = False,
) -> FailurePlan:
    """The failure policy of a daemon job: `next_attempt`'s decision, with persistent waits cut to
    the hourly `probe`; a lost lease (`lease_lost`) waits for nothing (the lease job sorts it out);
    a poster that met a failure needing a human (`posting_stopped`) retries posting alone every
    `POSTING_RETRY`; a one-shot run (`once`) promises no retry. `text` is the error's one line."""
    now = now.astimezone(UTC)
    if lease_lost:
        return FailurePlan(None, now + MIN_WAIT, False, text, None)
    decision = next_attempt(error, attempt=attempt, now=now, rand=rand)
    if decision.persistent:
        at = now + probe
        if at < decision.wait_until:
            decision = replace(
                decision, wait_until=at, reason=f"{decision.reason} (probing again at {iso(at)})"
            )
    if posting_stopped:
        decision = Decision(
            now + POSTING_RETRY,
            f"posting stopped: {text} - fix it, the bot retries every 15 minutes",
            persistent=True,
            severity="error",
        )
    reason = decision.reason
    if once and decision.persistent:
        reason = f"{decision.cause or decision.reason}; `run --once` stops here"
    note = None
    pause = decision.persistent and not posting_stopped
    if pause:
        note = (
            f"PERSISTENT: {decision.cause or decision.reason} - `run --once` stops without "
            "retrying; fix it and run again"
            if once
            else f"PERSISTENT: {decision.reason} - the bot keeps retrying at least hourly; "
            "status shows this"
        )
    return FailurePlan(
        decision=decision,
        retry_at=decision.wait_until,
        pause_api_jobs=pause,
        message=f"{text[:600]} - {reason}",
        persistent_note=note,
    )
