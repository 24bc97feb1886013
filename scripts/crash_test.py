"""Crash safety: kill -9 the daemon at random moments, restart it, and compare with a clean run.

    python scripts/crash_test.py [N=100] [--speed 60] [--seed 1]

Two sandboxes on 127.0.0.1 play the same scenario (a 40-minute competition: entries, likes,
replies, an edit, a deletion, a late-indexed entry; posting on, so a launch post and the winners
post go out) in accelerated time. In one, `python -m bot run` runs undisturbed: the reference. In
the other, the daemon is SIGKILLed N times at random moments (while polling, refreshing, freezing
or posting: the phase of the step it was in is counted from the unfinished `job_runs` row) and
restarted at once. When both have frozen and sent the winners post, the script prints a table of,
per kind of record (tweets, snapshots, cursors, results, posts), how many are lost,
doubled and missing, and how many reference records were checked; `crash_compare.py` says how
each cell is measured.

Exits 1 with a message when the reference run did not finish (no freeze or no winners post sent
in time); otherwise 0 when every count is 0. `run` is also what tests/shell/test_crash.py calls.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))  # crash_compare, also when loaded by path in tests

from crash_compare import HASHTAG, KINDS, Tally, compare  # noqa: E402

from bot.clock import AcceleratedClock  # noqa: E402
from bot.sandbox import Sandbox, ScenarioBuilder, ScenarioPlayer, World  # noqa: E402
from bot.scheduling import accelerated_spec  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.ops import OpsStore  # noqa: E402
from bot.store.outbox import OutboxStore  # noqa: E402
from bot.store.rules import RulesStore  # noqa: E402

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
LENGTH = timedelta(minutes=40)


def scenario() -> Any:
    b = ScenarioBuilder(start=START, name="crash-cup")
    users = [f"racer{i:02d}" for i in range(10)]
    for u in users:
        b.account(u, age_days=400)
    for i, u in enumerate(users):
        b.post(f"+{4 + i * 3}m", u, f"lap {i} by {u} #{HASHTAG}", ref=f"e{i}")
        for k in range(1, 5):
            b.like(f"+{4 + i * 3 + k * 2}m", f"e{i}", count=(i * 5 + k * 3) % 9 + 1)
        if i % 2 == 0:
            b.reply(f"+{6 + i * 3}m", users[(i + 3) % 10], f"e{i}", f"go {i}")
    b.edit("+20m", "e1", f"lap 1 by {users[1]}, edited #{HASHTAG}")
    b.delete("+30m", "e4")
    b.post("+41m", users[9], f"photo finish #{HASHTAG}", ref="late", index_delay=60)
    b.like("+41m30s", "late", count=4)
    b.like("+5h", "e0", count=99)  # long after the end: never counts
    return b.build()


def config_text() -> str:
    return f"""
[bot]
poll_interval_seconds = 10
username = "contestbot"

[[competition]]
id = "crashcup"
title = "Crash cup"
hashtags = ["{HASHTAG}"]
start = "{(START + timedelta(minutes=2)).isoformat()}"
end = "{(START + timedelta(minutes=2) + LENGTH).isoformat()}"
late_posts_grace = "2m"  # the final re-scan for late-indexed posts, then the freeze

[[competition.categories]]
id = "most-liked"
kind = "likes"
winners = 3

[[competition.categories]]
id = "most-comments"
kind = "replies"

[posting]
approval = []
"""


@dataclass
class World1:
    """One sandbox world with its clock and player, serving on loopback."""

    speed: float
    sandbox: Sandbox = field(init=False)
    player: ScenarioPlayer = field(init=False)

    def __post_init__(self) -> None:
        clock = AcceleratedClock(START - timedelta(seconds=30), self.speed)
        world = World(clock)
        self.sandbox = Sandbox(world, clock=clock).start()
        self.player = ScenarioPlayer(scenario(), world, clock, start=START).start(tick=0.02)

    @property
    def clock(self) -> AcceleratedClock:
        clock = self.sandbox.clock
        assert isinstance(clock, AcceleratedClock)
        return clock

    def close(self) -> None:
        self.player.stop()
        self.sandbox.stop()


def bot_env(w: World1, db_url: str, config: Path, data: Path) -> dict[str, str]:
    import os

    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data),
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": db_url,
        "CONTESTBOT_CONFIG": str(config),
        "CONTESTBOT_DATA_DIR": str(data),
        "CONTESTBOT_CLOCK": accelerated_spec(w.clock),
        "CONTESTBOT_LEASE_TTL": "60",
        "X_API_BASE_URL": w.sandbox.base_url,
    }
    env.update({f"X_{k.upper()}": v for k, v in w.sandbox.credentials.items()})
    return env


def spawn(w: World1, db_url: str, config: Path, data: Path) -> subprocess.Popen[bytes]:
    with (data / "bot.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=data,
            env=bot_env(w, db_url, config, data),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def finished(db_url: str) -> bool:
    """Frozen, and the winners post sent."""
    store = Store(db_url)
    try:
        return RulesStore(store).is_frozen("crashcup") and bool(
            OutboxStore(store).entries(states=("sent",), kinds=("winners",))
        )
    except Exception:  # the database is busy or not migrated yet
        return False
    finally:
        store.close()


class ReferenceUnfinished(RuntimeError):
    """The undisturbed run did not freeze and announce in time: nothing to compare against."""


def run_reference(w: World1, db_url: str, config: Path, data: Path, limit: float) -> bool:
    """Run undisturbed until finished or `limit` seconds; returns whether it finished."""
    proc = spawn(w, db_url, config, data)
    try:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and not finished(db_url):
            time.sleep(0.3)
        return finished(db_url)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class Crashes:
    """What the crashed run observed: the phase of each kill, and every snapshot moment the
    database held right after some kill (committed, so a restart must keep it)."""

    phases: Counter[str] = field(default_factory=Counter)
    committed_snapshots: set[tuple[str, datetime]] = field(default_factory=set)


def run_crashes(
    w: World1, db_url: str, config: Path, data: Path, kills: int, limit: float, rng: random.Random
) -> Crashes:
    """Restart after each SIGKILL; kills are spread over the scenario, then it runs to the end."""
    seen = Crashes()
    span = (LENGTH + timedelta(minutes=6)).total_seconds() / w.speed
    gaps = [rng.uniform(0.4, max(0.5, 2 * span / max(1, kills))) for _ in range(kills)]
    deadline = time.monotonic() + limit
    store = Store(db_url)
    ops = OpsStore(store)
    try:
        targets = ("poll", "refresh", "freeze", "post")
        for n, gap in enumerate(gaps):
            proc = spawn(w, db_url, config, data)
            if n % 2 == 0:
                time.sleep(gap)  # a random moment
            else:
                # The middle of a step of each kind in turn (a random moment when none comes).
                _wait_for_open_step(ops, gap + 2.0, targets[(n // 2) % len(targets)])
            proc.kill()
            proc.wait()
            open_runs = ops.open_job_runs()
            seen.phases[open_runs[-1][1].job if open_runs else "between steps"] += 1
            seen.committed_snapshots.update(store.snapshot_moments())
            for run_id, r in open_runs:  # close them, so the next kill's phase is its own
                ops.finish_job(run_id, now=r.lease_expires_at, ok=False, detail="killed")
        proc = spawn(w, db_url, config, data)
        try:
            while time.monotonic() < deadline and not finished(db_url):
                time.sleep(0.3)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        store.close()
    return seen


def _wait_for_open_step(ops: OpsStore, timeout: float, job: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if any(r.job == job for _, r in ops.open_job_runs()):
                return
        except Exception:  # the database is busy or not there yet
            pass
        time.sleep(0.005)


def run(
    kills: int,
    *,
    speed: float = 60.0,
    seed: int = 1,
    workdir: Path,
    urls: tuple[str, str] | None = None,
) -> Tally:
    rng = random.Random(seed)
    config = workdir / "contestbot.toml"
    config.write_text(config_text(), encoding="utf-8")
    ref_url, crash_url = urls or (f"sqlite:///{workdir}/ref.db", f"sqlite:///{workdir}/crash.db")
    for url in (ref_url, crash_url):
        Store(url).upgrade()
    (workdir / "ref").mkdir(exist_ok=True)
    (workdir / "crash").mkdir(exist_ok=True)
    scenario_real = (LENGTH + timedelta(minutes=8)).total_seconds() / speed
    limit = scenario_real + 60 + kills * 1.5
    reference, crashed = World1(speed), World1(speed)
    try:
        ref_done: list[bool] = []
        ref_thread = threading.Thread(
            target=lambda: ref_done.append(
                run_reference(reference, ref_url, config, workdir / "ref", limit)
            )
        )
        ref_thread.start()
        seen = run_crashes(crashed, crash_url, config, workdir / "crash", kills, limit, rng)
        ref_thread.join()
        if ref_done != [True]:
            raise ReferenceUnfinished(
                f"the reference run did not freeze and send its winners post within {limit:.0f}s "
                f"(log: {workdir / 'ref' / 'bot.log'}); nothing to compare against - read the log, "
                "or give it more time with a lower --speed"
            )
        tally = compare(
            ref_url, crash_url, crashed.sandbox, reference.sandbox, seen.committed_snapshots
        )
        tally.kills = seen.phases
    finally:
        reference.close()
        crashed.close()
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kills", nargs="?", type=int, default=100)
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per second")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="contestbot-crash-") as tmp:
        try:
            tally = run(args.kills, speed=args.speed, seed=args.seed, workdir=Path(tmp))
        except ReferenceUnfinished as exc:
            log = Path(tmp) / "ref" / "bot.log"
            tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
            print("\n".join([f"crash_test: {exc}", *tail]), file=sys.stderr)
            return 1
    print(
        f"{args.kills} kills in {time.monotonic() - started:.0f}s; killed during: "
        + ", ".join(f"{k} {n}" for k, n in sorted(tally.kills.items()))
    )
    print(f"{'':10} {'lost':>5} {'doubled':>8} {'missing':>8} {'checked':>8}")
    for kind in KINDS:
        print(
            f"{kind:10} {tally.lost[kind]:>5} {tally.doubled[kind]:>8} {tally.missing[kind]:>8} "
            f"{tally.checked[kind]:>8}"
        )
    print(
        "total      " + f"{sum(tally.lost.values()):>5} {sum(tally.doubled.values()):>8} "
        f"{sum(tally.missing.values()):>8} {sum(tally.checked.values()):>8}"
    )
    return 0 if tally.clean else 1


if __name__ == "__main__":
    sys.exit(main())
