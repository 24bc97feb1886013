"""The daemon's failure policy, decided from values (`bot.core.backoff.plan_failure`), and the
typed status and heartbeat documents (`bot.core.status`) `contestbot status` and `health` read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.backoff import POSTING_RETRY, plan_failure
from bot.core.errors import CreditsDepleted, RateLimited, Unavailable
from bot.core.messages import one_line
from bot.core.status import (
    BlockedJob,
    Heartbeat,
    InstanceStatus,
    heartbeat_health,
)
from bot.core.timefmt import iso_z, parse_iso

NOW = datetime(2026, 8, 14, 10, 30, 15, tzinfo=UTC)
HOUR = timedelta(hours=1)


def plan(exc: Exception, **kw: object) -> object:
    args: dict[str, object] = {
        "text": one_line(exc),
        "attempt": 1,
        "now": NOW,
        "rand": 0.5,
        "probe": HOUR,
        "once": False,
    }
    args.update(kw)
    return plan_failure(exc, **args)  # type: ignore[arg-type]


def test_an_outage_backs_off_its_own_job_only() -> None:
    p = plan(Unavailable("503 Service Unavailable"))
    assert p.decision is not None and not p.pause_api_jobs and p.persistent_note is None
    assert NOW < p.retry_at <= NOW + timedelta(minutes=15)
    assert p.message.startswith("503 Service Unavailable - ")


def test_a_persistent_failure_pauses_every_api_job_and_probes_within_the_hour() -> None:
    p = plan(CreditsDepleted("402 credits depleted"))
    assert p.pause_api_jobs and p.decision is not None and p.decision.persistent
    assert NOW < p.retry_at <= NOW + HOUR
    cut = plan(CreditsDepleted("402 credits depleted"), probe=timedelta(minutes=5))
    assert cut.retry_at == NOW + timedelta(minutes=5)
    assert "probing again at 2026-08-14T10:35:15Z" in cut.message
    assert p.persistent_note is not None and p.persistent_note.startswith("PERSISTENT: ")
    assert "keeps retrying at least hourly" in p.persistent_note


def test_a_one_shot_run_promises_no_retry() -> None:
    p = plan(CreditsDepleted("402 credits depleted"), once=True)
    assert p.message.endswith("`run --once` stops here")
    assert "probing again" not in p.message
    assert p.persistent_note is not None and "stops without retrying" in p.persistent_note


def test_a_lost_lease_waits_for_nothing_and_records_nothing() -> None:
    p = plan(RuntimeError("lost the lease of cup"), lease_lost=True)
    assert p.decision is None and not p.pause_api_jobs
    assert p.retry_at == NOW + timedelta(seconds=1)


def test_a_stopped_poster_retries_posting_alone_every_fifteen_minutes() -> None:
    p = plan(RuntimeError("usage cap reached"), posting_stopped=True)
    assert p.decision is not None and p.decision.persistent
    assert p.retry_at == NOW + POSTING_RETRY
    assert not p.pause_api_jobs and p.persistent_note is None
    assert "posting stopped: usage cap reached" in p.message


def test_a_rate_limit_waits_for_its_reset() -> None:
    reset = NOW + timedelta(minutes=7)
    p = plan(RateLimited("429", reset_at=reset))
    assert p.retry_at == reset + timedelta(seconds=1) and not p.pause_api_jobs


def test_the_status_document_round_trips_and_reads_old_ones_leniently() -> None:
    status = InstanceStatus(
        jobs={"poll": NOW + timedelta(minutes=5), "refresh": None},
        held=("cup", "__posting__"),
        blocked={"poll": BlockedJob(NOW + HOUR, "credits depleted", persistent=True)},
        budget_factor=0.5,
        budget_warning="over budget",
        poll_interval_seconds=300.0,
        dry_run=True,
    )
    doc = status.to_json()
    assert doc["jobs"] == {"poll": "2026-08-14T10:35:15Z", "refresh": None}
    assert InstanceStatus.from_json(doc) == status
    assert status.persistent() == {"poll": "credits depleted"}
    old = InstanceStatus.from_json({"held": ["cup"], "blocked": {"poll": "garbled"}, "jobs": 3})
    assert old.held == ("cup",) and old.jobs == {} and old.budget_factor is None
    assert old.blocked["poll"] == BlockedJob(None, None, False)
    assert InstanceStatus.from_json(None) == InstanceStatus()


def test_heartbeat_health_from_its_age_in_poll_intervals() -> None:
    beat = Heartbeat("a", 7, NOW, poll_interval_seconds=60.0)
    assert Heartbeat.from_json(beat.to_json()) == beat
    assert heartbeat_health(beat, now=NOW + timedelta(minutes=3)).healthy
    late = heartbeat_health(beat, now=NOW + timedelta(minutes=3, seconds=1))
    assert not late.healthy and late.problem == "stale" and late.limit == timedelta(minutes=3)
    stopped = Heartbeat("a", 7, NOW, stopped=True)
    assert heartbeat_health(stopped, now=NOW).problem == "stopped"


def test_one_time_shape_written_and_read() -> None:
    assert iso_z(NOW.replace(microsecond=999_999)) == "2026-08-14T10:30:15Z"
    assert iso_z(NOW, timespec="milliseconds") == "2026-08-14T10:30:15.000Z"
    assert parse_iso("2026-08-14T12:30:15+02:00") == NOW
    assert parse_iso("2026-08-14T10:30:15") == NOW  # naive reads as UTC
    assert parse_iso("yesterday") is None


def test_one_error_text() -> None:
    assert one_line(ValueError("a\n  b\tc")) == "a b c"
    assert one_line(ValueError()) == "ValueError"
    assert one_line(ValueError("x" * 200), 10) == "x" * 9 + "…"
