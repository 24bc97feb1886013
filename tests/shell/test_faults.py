"""Every sandbox fault switch against the daemon: it never crashes, waits as `bot.core.backoff`
decides (the reset of a 429, exponential jitter for outages, a slow retry for persistent failures,
which pause every API job and show in status), catches up once the API answers again, and a run
with 20 % injected faults freezes the same standings as a clean run."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.daemon.loop import Daemon
from bot.sandbox import Sandbox
from tests.shell.daemonkit import Comp, close_stores, config_of, daemon_for, populate

__all__ = ["close_stores"]  # the autouse fixture closes the stores each test opens
REPO = Path(__file__).resolve().parents[2]


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def running(sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path) -> Daemon:
    """A daemon on a running competition whose three entries are in the sandbox."""
    now = clock.now()
    comp = Comp("spring", "Spring", now - timedelta(hours=1), now + timedelta(days=1))
    populate(sandbox, "Spring", 3, at=now - timedelta(minutes=30))
    return daemon_for(sandbox, db_url, clock, config_of([comp]), tmp_path, timeout=0.3)


def searches(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests if r.endpoint == "search")


# (fault kind, error kind the daemon records, persistent, shortest and longest wait in seconds)
CASES = [
    ("rate_limit", "rate-limited", False, 601, 601),  # the reset (600 s) plus a second
    ("usage_cap", "usage-capped", True, 3600, 3600),  # "next month", probed hourly
    ("credits", "credits-depleted", True, 900, 900),  # a slow retry after a top-up
    ("unauthorized", "auth", True, 900, 900),
    ("not_enrolled", "auth", True, 900, 900),
    ("server_error", "unavailable", False, 1, 2),  # backoff with jitter, first attempt
    ("unavailable", "unavailable", False, 1, 2),
    ("slow", "unavailable", False, 1, 2),  # the client's timeout
    ("drop", "unavailable", False, 1, 2),
    ("malformed", "unavailable", False, 1, 2),
]


@pytest.mark.parametrize(("fault", "kind", "persistent", "low", "high"), CASES)
def test_each_fault_is_survived_waited_out_and_caught_up(
    running: Daemon,
    sandbox: Sandbox,
    clock: ManualClock,
    fault: str,
    kind: str,
    persistent: bool,
    low: float,
    high: float,
) -> None:
    sandbox.faults.add(fault, "search", count=1, reset_in=600, delay=0.6)
    failures = running.run_once()
    assert len(failures) == 1  # one failure, caught: the cycle went on
    error = running.ops.recent_errors()[0]
    assert (error.kind, error.persistent, error.job) == (kind, persistent, "poll")
    gate = running.state.gates["poll"]
    assert gate.until is not None
    wait = (gate.until - clock.now()).total_seconds()
    assert low <= wait <= high
    # Persistent failures (credits, credentials, caps) pause every API job; others only poll.
    assert (running.state.gates["refresh"].until == gate.until) is persistent
    assert running.store.entry_count("spring") == 0

    before = searches(sandbox)
    clock.advance(wait - 0.5)
    running.scheduler.run_pending()
    assert searches(sandbox) == before  # nothing is sent while waiting
    clock.advance(1)
    running.scheduler.run_pending()
    assert running.store.entry_count("spring") == 3  # caught up
    assert running.state.gates["poll"].until is None


def test_a_persistent_failure_never_busy_loops_and_shows_in_status(
    running: Daemon, sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.faults.add("credits")  # every request, for good
    start = clock.now()

    def sleep(seconds: float) -> None:
        clock.advance(seconds)
        if clock.now() >= start + timedelta(hours=2):
            running.stop()

    clock.sleep = sleep  # type: ignore[method-assign]
    assert running.run_forever() == 0
    # Two hours: a probe per 15 minutes per API job, not thousands of requests.
    assert 2 <= len(sandbox.requests) <= 2 * (2 * 4 + 1)
    state = running.ops.instances()[0].state
    # What `status` reads: the paused jobs and why.
    assert state["blocked"]["poll"]["persistent"] is True
    assert "top up at console.x.com" in state["blocked"]["refresh"]["reason"]
    errors = running.ops.recent_errors()
    assert errors and all(e.persistent and e.kind == "credits-depleted" for e in errors)
    assert "top up at console.x.com" in errors[0].message


def test_backoff_grows_with_consecutive_outages(
    running: Daemon, sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.faults.add("unavailable", "search", count=6)
    waits = []
    running.run_once()
    for _ in range(5):
        gate = running.state.gates["poll"]
        assert gate.until is not None
        waits.append((gate.until - clock.now()).total_seconds())
        clock.set(gate.until)
        running.scheduler.run_pending()
    assert running.state.gates["poll"].failures == 6
    assert all(w >= 1 for w in waits)  # never a busy loop
    assert max(waits[3:]) > max(waits[:2])  # exponential ceilings: 2, 4, 8, 16, 32 s
    clock.set(running.state.gates["poll"].until)  # type: ignore[arg-type]
    running.scheduler.run_pending()
    assert running.store.entry_count("spring") == 3


def test_late_indexing_is_caught_by_the_overlap_and_the_final_poll(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    now = clock.now()
    end = now + timedelta(minutes=30)
    comp = Comp("spring", "Spring", now - timedelta(hours=1), end)
    daemon = daemon_for(sandbox, db_url, clock, config_of([comp]), tmp_path)
    sandbox.world.add_user("slowpoke")
    daemon.run_once()
    late = sandbox.world.post(
        "slowpoke", "just in time #Spring", at=end - timedelta(seconds=20), index_delay=90
    )

    def sleep(seconds: float) -> None:
        clock.advance(seconds)
        if clock.now() >= end + timedelta(minutes=10):
            daemon.stop()

    clock.sleep = sleep  # type: ignore[method-assign]
    daemon.run_forever()
    assert daemon.store.key_of_post(late) == late
    stored = daemon.store.entries("spring")
    assert [e.post.id for e in stored] == [late]


def test_twenty_percent_faults_freeze_the_same_standings(tmp_path: Path) -> None:
    fault_run: Any = load_script("fault_run")
    clean = fault_run.simulate(f"sqlite:///{tmp_path}/clean.db")
    faulty = fault_run.simulate(f"sqlite:///{tmp_path}/faulty.db", rate=0.2, seed=3)
    assert clean.standings and clean.entries >= 14
    assert sum(faulty.failed.values()) >= 5  # faults did fire, of several kinds
    assert len(faulty.failed) >= 4
    assert faulty.standings == clean.standings


def test_twenty_percent_transient_faults_cost_requests_not_pauses(tmp_path: Path) -> None:
    # Only faults a client retries within seconds (429 with a 5 s reset, 503, dropped
    # connections, look-ups with posts withheld as partial errors): the daemon keeps working, so
    # the request volume stays near the clean run's (retries on top), not a fifth of it, and the
    # frozen standings are the same.
    fault_run: Any = load_script("fault_run")
    clean = fault_run.simulate(f"sqlite:///{tmp_path}/clean.db")
    faulty = fault_run.simulate(
        f"sqlite:///{tmp_path}/faulty.db", rate=0.2, profile="transient", seed=3
    )
    share = sum(faulty.failed.values()) / faulty.requests
    assert 0.15 <= share <= 0.25
    assert set(faulty.failed) == {"rate_limit", "unavailable", "drop", "partial", "vanish"}
    low, high = fault_run.VOLUME
    assert low <= faulty.requests / clean.requests <= high
    assert clean.standings and faulty.standings == clean.standings
