"""How the daemon meets a failing job: it applies the policy of `bot.core.backoff.plan_failure`.

`fail(rt, name, exc, competition=...)` is what `bot.daemon.loop.Daemon` does when a job raises:
the core decides when to try again (a rate limit's reset, exponential backoff with jitter for
outages, an hourly probe at most for persistent failures such as credits, credentials or usage
caps, which pause every API job; a lost lease waits for nothing); this module closes the gates as
decided, logs the failure once (with the traceback only for bugs and database failures), and
records it for `contestbot status`. `catch_up` runs the other API jobs at once when the X API
answers again.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from loguru import logger

from bot.core.backoff import plan_failure
from bot.core.errors import ApiError, RateLimited
from bot.core.messages import one_line
from bot.daemon.state import API_JOBS, Gate, LeaseLost, PostingStopped, Runtime
from bot.store.ops import OpsError


def fail(rt: Runtime, name: str, exc: Exception, *, competition: str | None) -> datetime:
    """Record and log `exc` from job `name` (acting on `competition`, if any) and close its gate
    as the core's failure policy decides; returns when the job may run again."""
    state = rt.state
    state.cycle_errors.append(exc)
    gate = state.gates[name]
    gate.failures += 1
    now = rt.clock.now()
    plan = plan_failure(
        exc,
        text=one_line(exc),
        attempt=gate.failures,
        now=now,
        rand=rt.rand.random(),
        probe=rt.options.persistent_probe,
        once=state.once,
        lease_lost=isinstance(exc, LeaseLost),
        posting_stopped=isinstance(exc, PostingStopped),
    )
    if plan.decision is None:  # the lease is lost: the lease job sorts it out
        logger.warning("{}: {}", name, exc)
        state.gates[name] = Gate()
        return plan.retry_at
    decision = plan.decision
    gate.until, gate.decision = decision.wait_until, decision
    log = logger.error if decision.severity == "error" else logger.warning
    if isinstance(exc, ApiError):
        log("{} failed{}: {}", name, f" ({competition})" if competition else "", plan.message)
    else:
        # A bug or a database failure: keep the traceback (masked by the log sinks).
        logger.opt(exception=exc).error("{} failed: {}", name, plan.message)
    if plan.pause_api_jobs:
        logger.error("{}", plan.persistent_note)
        for other in API_JOBS:
            g = state.gates[other]
            g.until = max(g.until or now, decision.wait_until)
            g.decision = decision
    record(
        rt,
        OpsError(
            at=now,
            instance_id=rt.me,
            job=name,
            competition_id=competition,
            kind=decision.kind,
            persistent=decision.persistent,
            message=plan.message[:2000],
            retry_at=decision.wait_until,
            endpoint=rt.client.last_endpoint if isinstance(exc, ApiError) else None,
            reset_at=exc.reset_at if isinstance(exc, RateLimited) else None,
        ),
    )
    return plan.retry_at


def record(rt: Runtime, error: OpsError) -> None:
    """Record `error` for `contestbot status`; a database that refuses it only gets a warning
    (the failure is logged already)."""
    try:
        rt.ops.record_error(rt.me, error)
    except Exception as db_exc:
        logger.warning("could not record the error: {}", one_line(db_exc))


def catch_up(rt: Runtime, *, except_job: str) -> None:
    """The X API answers again: lift persistent waits of the other API jobs and run them now."""
    for name in API_JOBS:
        if name == except_job:
            continue
        gate = rt.state.gates[name]
        if gate.decision is not None and gate.decision.persistent:
            rt.state.gates[name] = Gate()
        with suppress(KeyError):  # "post" only exists when posting is enabled
            rt.job(name).run_now()
