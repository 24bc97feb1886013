"""The daemon against the real sandbox through tweepy, on a real database, on a ManualClock: one
cycle, the schedule on the injected clock, the adaptive cadence and the freeze, budgets, the
ledger, status and health, and clean stops on signals."""

from __future__ import annotations

import json
import signal
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from bot.cli.main import main
from bot.clock import ManualClock
from bot.config import parse_config
from bot.core.budget import Budget
from bot.core.cadence import CadencePolicy
from bot.daemon.loop import Daemon, heartbeat_path
from bot.daemon.scheduling import ClockedScheduler, capped_sleep, clock_from_spec
from bot.sandbox import Sandbox
from bot.store.rules import RulesStore
from tests.shell.daemonkit import Comp, close_stores, config_of, config_text, daemon_for, populate

__all__ = ["close_stores"]  # the autouse fixture closes the stores each test opens


def until(clock: ManualClock, daemon: Daemon, when: datetime) -> Callable[[float], None]:
    """Make `clock.sleep` stop the daemon once the clock passes `when`; counts the sleeps."""
    original = clock.sleep
    calls: list[float] = []

    def sleep(seconds: float) -> None:
        calls.append(seconds)
        original(seconds)
        if clock.now() >= when:
            daemon.stop()

    clock.sleep = sleep  # type: ignore[method-assign]
    return lambda s: calls.append(s)


@pytest.fixture
def log_lines() -> Any:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="INFO", format="{level} {message}")
    yield lines
    logger.remove(sink)


def test_the_scheduler_runs_on_the_injected_clock() -> None:
    clock = ManualClock(datetime(2026, 9, 1, 12, tzinfo=UTC))
    scheduler = ClockedScheduler(clock)
    ran: list[datetime] = []
    later = clock.now() + timedelta(seconds=300)

    def job() -> datetime:
        ran.append(clock.now())
        return later  # adaptive: the job says when it runs next

    scheduler.every(60).do(job)
    scheduler.run_pending()
    assert ran == [] and scheduler.idle_seconds == 60
    clock.advance(60)
    scheduler.run_pending()
    assert ran == [clock.now()] and scheduler.idle_seconds == 240
    clock.advance(239)
    scheduler.run_pending()
    assert len(ran) == 1
    assert capped_sleep(scheduler.idle_seconds, cap=30) == 1
    assert capped_sleep(-5, cap=30) == 0 and capped_sleep(None, cap=30) == 30


def test_one_cycle_polls_refreshes_records_every_call_and_beats(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path, log_lines: list[str]
) -> None:
    now = clock.now()
    comp = Comp("spring", "Spring", now - timedelta(hours=1), now + timedelta(days=1))
    ids = populate(sandbox, "Spring", 5, at=now - timedelta(minutes=30))
    daemon = daemon_for(sandbox, db_url, clock, config_of([comp]), tmp_path)
    assert daemon.run_once() == []
    assert daemon.store.entry_count("spring") == 5
    # One reading each, right away: the search page's. The refresh asks for none of them again.
    assert all(len(daemon.store.snapshots(i)) == 1 for i in ids)
    calls = daemon.ops.calls()
    assert [c.endpoint for c in calls] == ["search"]
    assert [(c.post_reads, c.user_reads, c.status) for c in calls] == [(5, 5, 200)]
    assert sum(c.cost for c in calls) == 5 * Decimal("0.005") + 5 * Decimal("0.010")
    assert len(sandbox.requests) == 1  # the ledger saw exactly what the API saw
    beat = json.loads((tmp_path / "heartbeat.json").read_text())
    assert beat["at"] == "2026-09-01T12:00:00Z" and beat["held"] == ["spring"]
    assert any("poll cycle done" in line for line in log_lines)


def test_leaders_refresh_often_the_tail_rarely_and_the_end_freezes_everything(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    now = clock.now()
    end = now + timedelta(hours=4)
    comp = Comp("spring", "Spring", now - timedelta(hours=1), end, grace="2m")
    ids = populate(sandbox, "Spring", 20, at=now - timedelta(minutes=30))
    daemon = daemon_for(
        sandbox,
        db_url,
        clock,
        config_of([comp], poll=300),
        tmp_path,
        policy=CadencePolicy(lead_k=2),
    )
    until(clock, daemon, end + timedelta(minutes=20))
    assert daemon.run_forever() == 0

    store = daemon.store
    # Look-ups per entry (the search pages' readings cost no look-up): leaders (top 2 by likes,
    # top 2 by replies) before the last hour every 2 min; the tail every 30 min; everyone every
    # 2 min in the last hour; one freeze reading after the end.
    counts = Counter(
        i for r in sandbox.requests if r.endpoint == "tweets" for i in r.query["ids"].split(",")
    )
    leaders = {ids[i] for i in (11, 5, 4, 9)}  # likes 16 and 15, replies 4 (two of them)
    assert min(counts[i] for i in leaders) > 2 * max(
        c for i, c in counts.items() if i not in leaders
    )
    assert RulesStore(store).is_frozen("spring")
    # The loop wakes at the end: the final snapshot is on time, and the result says so.
    final = RulesStore(store).final_snapshot("spring")
    assert final is not None and final.reason == "on-time" and final.delay_seconds <= 30
    frozen = RulesStore(store).frozen("spring")
    assert frozen is not None and frozen.result.frozen_at == final.taken_at
    after_end = [s for i in ids for s in store.snapshots(i) if s.taken_at >= end]
    # The final snapshot reads everyone once; the final re-scan's pages are readings after it,
    # which the freeze never scores (each entry's earliest reading from the final snapshot on).
    at_final = [s for s in after_end if s.taken_at == final.taken_at]
    assert Counter(s.key for s in at_final) == Counter(dict.fromkeys(ids, 1))
    assert min(s.taken_at for s in after_end) == final.taken_at
    # Never busy: the loop slept at least a clock second between two looks at the schedule.
    lookups = [r for r in sandbox.requests if r.endpoint == "tweets"]
    assert len(lookups) < (4 * 60 + 20) / 2 + 5


def test_a_budget_slows_the_refresh_warns_and_still_freezes(
    sandbox: Sandbox, clock: ManualClock, db_url_factory: Any, tmp_path: Path, log_lines: list[str]
) -> None:
    now = clock.now()
    end = now + timedelta(hours=3)
    comp = Comp("spring", "Spring", now - timedelta(hours=1), end, grace="2m")
    ids = populate(sandbox, "Spring", 30, at=now - timedelta(minutes=30))

    def reads(budget: Budget | None, sub: str) -> int:
        (tmp_path / sub).mkdir()
        clock.set(now)  # the sandbox shares the clock: both runs replay the same hours
        daemon = daemon_for(
            sandbox,
            db_url_factory(),
            clock,
            config_of([comp], poll=300),
            tmp_path / sub,
            **({"budget": budget} if budget else {}),
        )
        until(clock, daemon, end + timedelta(minutes=10))
        daemon.run_forever()
        assert RulesStore(daemon.store).is_frozen("spring")
        final = RulesStore(daemon.store).final_snapshot("spring")
        assert final is not None
        frozen = [s for i in ids for s in daemon.store.snapshots(i) if s.taken_at == final.taken_at]
        assert len(frozen) == len(ids)  # the freeze reads everyone, budget or not
        return daemon.ops.usage(daemon.clock.now()).month_post_reads

    free = reads(None, "free")
    # The free run's pace, kept up all month, would use ~200 times this budget.
    tight = reads(Budget(month_reads=free // 2), "tight")
    print("post reads without and with a budget:", free, tight)
    assert tight < free * 0.6
    assert any("budget:" in line and "metric refresh slowed" in line for line in log_lines)


def test_sigterm_finishes_the_step_releases_leases_and_health_then_fails(
    sandbox: Sandbox, clock: ManualClock, tmp_path: Path, capsys: Any
) -> None:
    now = clock.now()
    comp = Comp("spring", "Spring", now - timedelta(hours=1), now + timedelta(days=1))
    populate(sandbox, "Spring", 3, at=now - timedelta(minutes=30))
    config = tmp_path / "c.toml"
    config.write_text(config_text([comp], poll=60), encoding="utf-8")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/data/bot.db",
        "CONTESTBOT_CONFIG": str(config),
        "X_API_BASE_URL": sandbox.base_url,
        **{f"X_{k.upper()}": v for k, v in sandbox.credentials.items()},
    }

    class SignallingClock(ManualClock):
        sleeps = 0

        def sleep(self, seconds: float) -> None:
            self.sleeps += 1
            if self.sleeps == 3:
                signal.raise_signal(signal.SIGTERM)
            super().sleep(seconds)

    ticking = SignallingClock(now)
    assert main(["run"], clock=ticking, environ=env) == 0
    err = capsys.readouterr().err
    assert "SIGTERM received" in err and "contestbot stopped" in err
    assert ticking.sleeps == 3  # stopped at the first look after the signal

    assert main(["health"], clock=ticking, environ=env) == 1
    assert "the daemon stopped" in capsys.readouterr().out
    assert main(["status", "--format", "json"], clock=ticking, environ=env) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["competitions"][0]["lease_holder"] is None  # released: another may take over
    assert doc["competitions"][0]["entries"] == 3
    assert doc["instances"][0]["stopped_at"] is not None


def test_a_second_signal_forces_the_exit(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    comp = Comp("spring", "Spring", clock.now() - timedelta(hours=1), clock.now() + timedelta(1))
    daemon = daemon_for(sandbox, db_url, clock, config_of([comp]), tmp_path)

    def stubborn(seconds: float) -> None:
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)

    clock.sleep = stubborn  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        daemon.run_forever()


def test_status_and_health_answer_for_a_running_bot(
    sandbox: Sandbox, clock: ManualClock, tmp_path: Path, capsys: Any
) -> None:
    now = clock.now()
    comp = Comp("spring", "Spring", now - timedelta(hours=1), now + timedelta(days=1))
    later = Comp("autumn", "Autumn", now + timedelta(days=30), now + timedelta(days=40))
    populate(sandbox, "Spring", 4, at=now - timedelta(minutes=30))
    config = tmp_path / "c.toml"
    config.write_text(
        config_text([comp, later], poll=60, extra="\n[budget]\nmonthly_usd = 10\n"),
        encoding="utf-8",
    )
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/data/bot.db",
        "CONTESTBOT_CONFIG": str(config),
        "CONTESTBOT_INSTANCE_ID": "host-a:1",
        "X_API_BASE_URL": sandbox.base_url,
        **{f"X_{k.upper()}": v for k, v in sandbox.credentials.items()},
    }
    sandbox.faults.add("rate_limit", "search", count=1, reset_in=600)
    assert main(["run", "--once"], clock=clock, environ=env) == 1  # the 429 is the exit status
    assert main(["health"], clock=clock, environ=env) == 1  # that run has ended
    assert "the daemon stopped" in capsys.readouterr().out
    # A long-running instance on the same database: its heartbeat is fresh.
    running = daemon_for(
        sandbox,
        env["DATABASE_URL"],
        clock,
        config_of([comp, later], poll=60),
        tmp_path,
        instance_id="host-a:2",
        heartbeat_file=heartbeat_path(tmp_path / "data"),
    )
    running.run_once()
    assert main(["health"], clock=clock, environ=env) == 0
    assert "healthy: heartbeat 0s old from host-a:2" in capsys.readouterr().out

    assert main(["status", "--format", "json"], clock=clock, environ=env) == 0
    doc = json.loads(capsys.readouterr().out)
    spring, autumn = doc["competitions"]
    assert (spring["state"], autumn["state"]) == ("running", "scheduled")
    assert doc["rate_limits"][0]["endpoint"] == "search"
    assert doc["rate_limits"][0]["reset_at"] == "2026-09-01T12:10:00Z"
    assert {e["kind"] for e in doc["recent_errors"]} == {"rate-limited"}
    assert doc["api_usage"]["day_requests"] == len(sandbox.requests)  # every call accounted
    assert doc["api_usage"]["budget_month_usd"] == "10"

    assert main(["status"], clock=clock, environ=env) == 0
    text = capsys.readouterr().out
    for needle in (
        "Competitions",
        "spring",
        "autumn",
        "host-a:2",
        "API usage",
        "Rate limits",
        "LIMITED until 2026-09-01T12:10:00Z",
        "Recent errors",
        "rate-limited",
    ):
        assert needle in text
    clock.advance(minutes=3, seconds=1)  # three poll intervals without a heartbeat
    assert main(["health"], clock=clock, environ=env) == 1
    assert "unhealthy: the last heartbeat is 3m old" in capsys.readouterr().out


def test_clock_specs_agree_across_processes_and_bad_ones_are_named() -> None:
    a = clock_from_spec("accelerated:2026-09-01T12:00:00+00:00@100.0:60")
    assert a.now() > datetime(2026, 9, 1, 12, tzinfo=UTC) + timedelta(days=365)
    for bad in ("fast", "accelerated:yesterday:2", "accelerated:2026-09-01T12:00:00:0"):
        with pytest.raises(ValueError, match="CONTESTBOT_CLOCK"):
            clock_from_spec(bad)


DISTINCT = (
    '\n[[competition.categories]]\nid = "talk"\nkind = "replies"\nreplies_mode = "distinct"\n'
)


def test_distinct_repliers_are_collected_while_running_on_a_budgeted_cadence(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    """Before: replies only at the freeze (the board empty until the deadline). Now: every 15
    minutes while running (stretched by the budget factor), each run reading only new replies."""
    now = clock.now()
    comp = Comp("spring", "Spring", now - timedelta(hours=1), now + timedelta(days=1))
    ids = populate(sandbox, "Spring", 30, at=now - timedelta(minutes=30))
    world = sandbox.world
    world.add_user("fan")
    world.reply("fan", ids[0], "great", at=now - timedelta(minutes=5))
    daemon = daemon_for(
        sandbox, db_url, clock, config_of([comp], poll=60, extra=DISTINCT), tmp_path
    )

    def searches() -> int:
        return sum(1 for r in sandbox.requests if r.endpoint == "search")

    daemon.run_once()
    first = searches()
    assert first == 1 + 3  # the hashtag search, then 30 conversations in 3 combined queries
    entry = next(e for e in daemon.store.entries("spring") if e.key == ids[0])
    assert [r.username for r in entry.repliers] == ["fan"]

    clock.advance(minutes=5)
    daemon.run_once()
    assert searches() == first + 1  # the poll only: replies are not due yet
    clock.advance(minutes=11)
    world.reply("fan", ids[1], "me too", at=clock.now() - timedelta(minutes=1))
    daemon.run_once()
    assert searches() == first + 1 + 1 + 3
    entry = next(e for e in daemon.store.entries("spring") if e.key == ids[1])
    assert [r.username for r in entry.repliers] == ["fan"]

    daemon.state.factor = 0.5  # a budget that projects over: every 30 minutes instead
    clock.advance(minutes=16)
    before = searches()
    daemon.run_once()
    assert searches() == before + 1
    clock.advance(minutes=15)
    daemon.run_once()
    assert searches() == before + 2 + 3


def test_run_once_with_revoked_credentials_says_it_stops_without_promising_a_retry(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path, log_lines: list[str]
) -> None:
    now = clock.now()
    comp = Comp("spring", "Spring", now - timedelta(hours=1), now + timedelta(days=1))
    daemon = daemon_for(sandbox, db_url, clock, config_of([comp]), tmp_path)
    sandbox.faults.add("unauthorized", "search", count=1)
    [error] = daemon.run_once()
    assert type(error).__name__ == "AuthError"
    persistent = [line for line in log_lines if "PERSISTENT" in line]
    assert len(persistent) == 1
    assert "credentials" in persistent[0] and "`run --once` stops" in persistent[0]
    assert "retrying at" not in " ".join(log_lines) and "probing again" not in " ".join(log_lines)
    # The long-running daemon, by contrast, says it retries (at least hourly).
    log_lines.clear()
    clock.advance(hours=2)
    sandbox.faults.add("unauthorized", "search", count=1)
    daemon.state.open_gates()
    daemon.scheduler.run_all()
    assert any("keeps retrying at least hourly" in line for line in log_lines)


def test_posting_refuses_to_start_when_the_configured_bot_is_another_account(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    """The bot's own posts never count because scoring knows its handle; credentials of another
    account would make its posts someone's entries. Posting stops, saying which; polling goes on."""
    now = clock.now()
    comp = Comp("spring", "Spring", now - timedelta(hours=1), now + timedelta(days=1))
    text = config_text([comp], poll=60, extra="\n[posting]\n").replace(
        'username = "contestbot"', 'username = "igf_contestbot"'
    )
    daemon = daemon_for(sandbox, db_url, clock, parse_config(text, source="test.toml"), tmp_path)
    daemon.user_context = True  # user credentials: the sandbox's bot account, @contestbot
    errors = daemon.run_once()
    assert [type(e).__name__ for e in errors] == ["PostingStopped"]
    expected = "[bot] username is @igf_contestbot but the credentials in .env belong to @contestbot"
    assert expected in str(errors[0])
    assert daemon.store.last_poll("spring") is not None  # the competition was still polled
