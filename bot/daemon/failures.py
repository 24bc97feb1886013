"""How the daemon meets a failing job: backoff gates, persistent pauses, catching up, the record.

`fail(d, name, exc, competition=...)` is what `bot.daemon.loop.Daemon` does when a job raises: it
asks
`bot.core.backoff` when to try again (a rate limit's reset, exponential backoff with jitter for
outages, an hourly probe at most for persistent failures such as credits, credentials or usage
caps, which pause every API job), logs it once (with the traceback only for bugs and database
failures), and records it for `contestbot status`. `catch_up` runs the other API jobs at once when
the X API answers again. `LeaseLost` (another instance holds the lease) needs no wait at all.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from loguru import logger

from bot.core.backoff import Decision, next_attempt
from bot.core.messages import one_line
from bot.core.timefmt import iso
from bot.daemon.jobs import Gate, PostingStopped
from bot.store.ops import OpsError
from bot.x.errors import RateLimited, XApiError

if TYPE_CHECKING:
    from bot.daemon.loop import Daemon

API_JOBS = ("poll", "refresh", "post")


class LeaseLost(Exception):
    """Another instance holds the lease now: stop acting on that competition at once."""


def fail(d: Daemon, name: str, exc: Exception, *, competition: str | None) -> datetime:
    """Record and log `exc` from job `name` (acting on `competition`, if any) and close its gate
    as `bot.core.backoff` decides; returns when the job may run again."""
    d.cycle_errors.append(exc)
    gate = d.gates[name]
    gate.failures += 1
    now = d.clock.now()
    decision = next_attempt(exc, attempt=gate.failures, now=now, rand=d.rand.random())
    if decision.persistent:
        probe = now + d.options.persistent_probe
        if probe < decision.wait_until:
            decision = replace(
                decision,
                wait_until=probe,
                reason=f"{decision.reason} (probing again at {iso(probe)})",
            )
    gate.until, gate.decision = decision.wait_until, decision
    if isinstance(exc, LeaseLost):
        logger.warning("{}: {}", name, exc)
        d.gates[name] = Gate()  # nothing to wait for; the lease job sorts it out
        return now + timedelta(seconds=1)
    if isinstance(exc, PostingStopped):
        # The poster met a failure that needs a human; only posting waits for it.
        decision = Decision(
            now + timedelta(minutes=15),
            f"posting stopped: {exc} - fix it, the bot retries every 15 minutes",
            persistent=True,
            severity="error",
        )
        gate.until, gate.decision = decision.wait_until, decision
    endpoint = d.client.last_endpoint if isinstance(exc, XApiError) else None
    reset = exc.reset_at if isinstance(exc, RateLimited) else None
    # Database errors quote their statement: keep the line readable.
    reason = decision.reason
    if d.once and decision.persistent:
        # A one-shot run retries nothing: say why it stops, promise no retry.
        reason = f"{decision.cause or decision.reason}; `run --once` stops here"
    message = f"{one_line(exc)[:600]} - {reason}"
    log = logger.error if decision.severity == "error" else logger.warning
    if isinstance(exc, XApiError):
        log("{} failed{}: {}", name, f" ({competition})" if competition else "", message)
    else:
        # A bug or a database failure: keep the traceback (masked by the log sinks).
        logger.opt(exception=exc).error("{} failed: {}", name, message)
    if decision.persistent and not isinstance(exc, PostingStopped):
        if d.once:
            logger.error(
                "PERSISTENT: {} - `run --once` stops without retrying; fix it and run again",
                decision.cause or decision.reason,
            )
        else:
            logger.error(
                "PERSISTENT: {} - the bot keeps retrying at least hourly; status shows this",
                decision.reason,
            )
        for other in API_JOBS:  # credits, credentials, caps concern every request
            g = d.gates[other]
            g.until = max(g.until or now, decision.wait_until)
            g.decision = decision
    try:
        d.ops.record_error(
            d.me,
            OpsError(
                at=now,
                instance_id=d.me,
                job=name,
                competition_id=competition,
                kind=decision.kind,
                persistent=decision.persistent,
                message=message[:2000],
                retry_at=decision.wait_until,
                endpoint=endpoint,
                reset_at=reset,
            ),
        )
    except Exception as db_exc:
        logger.warning("could not record the error: {}", one_line(db_exc))
    return decision.wait_until


def catch_up(d: Daemon, *, except_job: str) -> None:
    """The X API answers again: lift persistent waits of the other API jobs and run them now."""
    for name in API_JOBS:
        if name == except_job:
            continue
        gate = d.gates[name]
        if gate.decision is not None and gate.decision.persistent:
            d.gates[name] = Gate()
        with suppress(KeyError):  # "post" only exists when posting is enabled
            d.job(name).run_now()
