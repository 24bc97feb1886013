"""Crash safety: kill -9 the daemon at random moments, restart it, and compare with a clean run.

    python scripts/crash_test.py [N=100] [--speed 6] [--seed 1]

Two sandboxes on 127.0.0.1 play the same scenario (a 40-minute competition: entries, likes,
replies, an edit, a deletion, a late-indexed entry; posting on, so a launch post and the winners
post go out) in accelerated time. In one, `python -m bot run` runs undisturbed: the reference. In
the other, the daemon is SIGKILLed N times, each kill aimed inside a step: polling, refresh,
posting and the freeze in turn (`next_target`), at a random moment of the step's slowed request or
of its writes just after (`_aim`); the step it was in is counted from the unfinished `job_runs`
row, and it is restarted at once. When both have frozen and sent the winners post, the script
prints where the kills landed, and a table of, per kind of record (tweets, snapshots, cursors,
results, posts), how many are lost, doubled and missing, and how many reference records were
checked; `crash_compare.py` says how each cell is measured.

Exits 1 with a message when the reference run did not finish (no freeze or no winners post sent
in time), and 1 when a count is not 0 or one of the aimed steps took less than 20% of the kills
(the goal: kills inside polling, refresh, posting and the freeze, each >= 20%); otherwise 0.
`run` is also what tests/shell/test_crash.py calls.
"""

from __future__ import annotations

import argparse
import math
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

from crash_compare import COMPETITION, HASHTAG, KINDS, Tally, compare  # noqa: E402

from bot.clock import AcceleratedClock  # noqa: E402
from bot.daemon.scheduling import accelerated_spec  # noqa: E402
from bot.sandbox import Sandbox, ScenarioBuilder, ScenarioPlayer, World  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.audit import StoreAudit  # noqa: E402
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


def bot_env(
    w: World1, db_url: str, config: Path, data: Path, instance: str | None = None
) -> dict[str, str]:
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
    if instance is not None:
        env["CONTESTBOT_INSTANCE_ID"] = instance
    return env


def spawn(
    w: World1, db_url: str, config: Path, data: Path, instance: str | None = None
) -> subprocess.Popen[bytes]:
    with (data / "bot.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=data,
            env=bot_env(w, db_url, config, data, instance),
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


AIMED = ("poll", "refresh", "post", "freeze")
"""The steps kills are aimed at, each at least `SHARE` of the kills."""
SHARE = 0.2
FREEZE_LEAD = timedelta(minutes=3)
FREEZE_JOBS = ("final-snapshot", "late-snapshot", "freeze")  # phase one, late entries, phase two


def next_target(phases: Counter[str], kills: int, *, ended: bool, frozen: bool) -> str:
    """The step to aim the next kill at, so that each of `AIMED` gets its share. Polling and
    refresh only run while the competition does: they come first, in turn; then the freeze while
    it is pending (waiting for the end if need be); posting last, since it runs all along (before
    the end its launch post and idle cycles, after the freeze the winners post). Past the quotas,
    the least-hit step that still runs."""
    quota = math.ceil(kills * (SHARE + 0.05))
    if not ended:
        short = [j for j in ("poll", "refresh") if phases[j] < quota]
        if short:
            return min(short, key=lambda j: (phases[j], AIMED.index(j)))
    if not frozen and phases["freeze"] < quota:
        return "freeze"  # before the end, once polling and refresh have theirs: wait for it
    running = ("post",) if ended else ("poll", "refresh", "post")
    short = [j for j in running if phases[j] < quota]
    return min(short or running, key=lambda j: (phases[j], AIMED.index(j)))


def phase_of(job: str) -> str:
    return "freeze" if job in FREEZE_JOBS else job


def run_crashes(
    w: World1, db_url: str, config: Path, data: Path, kills: int, limit: float, rng: random.Random
) -> Crashes:
    """Restart after each SIGKILL, each aimed inside a step (`next_target`, `_aim`). Three
    restarts in four keep the instance id (as a container restarted in place: it takes its own
    leases back at once), the fourth comes as a new instance and waits for the killed one's
    leases to expire. Then the run goes to the end undisturbed."""
    seen = Crashes()
    deadline = time.monotonic() + limit
    store = Store(db_url)
    ops = OpsStore(store)
    end = START + timedelta(minutes=2) + LENGTH
    try:
        for n in range(kills):
            target = next_target(
                Counter({phase_of(j): n for j, n in seen.phases.items()}),
                kills,
                # A kill cycle can outlast the late grace: aim at the freeze from just before
                # the end (its fault fires from the end only).
                ended=w.clock.now() >= end - FREEZE_LEAD,
                frozen=_frozen(store),
            )
            proc = spawn(w, db_url, config, data, instance=None if n % 4 == 3 else "crashed")
            # Start-up, the killed instance's leases (60 s) and a poll interval or two.
            wait = max(0.0, (end - w.clock.now()).total_seconds()) if target == "freeze" else 0
            _aim(w, store, ops, target, rng, end=end, timeout=3.0 + (wait + 330) / w.speed)
            proc.kill()
            proc.wait()
            w.sandbox.faults.clear()
            open_runs = StoreAudit(ops.store).open_job_runs()
            seen.phases[open_runs[-1][1].job if open_runs else "between steps"] += 1
            seen.committed_snapshots.update(StoreAudit(store).snapshot_moments())
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


ENDPOINT = {"poll": "search", "refresh": "tweets", "freeze": "tweets", "post": "create"}
"""The request that marks each aimed step: searches are polling's; look-ups are the refresh's
while the competition runs and the freeze's after the end; a create is a post being sent."""


def _aim(
    w: World1,
    store: Store,
    ops: OpsStore,
    target: str,
    rng: random.Random,
    *,
    end: datetime,
    timeout: float,
) -> None:
    """Return at a moment to kill inside a `target` step (at the timeout if none comes). The
    step's next request (`ENDPOINT`) is slowed in the sandbox; the kill lands at a random moment
    while it waits for the answer or in the 15 ms after it (the step's writes). A post step
    with nothing to send makes no request: the kill lands as soon as the step is seen open."""
    until = time.monotonic() + timeout
    if target == "post" and not _unsent(store):
        while time.monotonic() < until and not _open(ops, ("post",)):
            pass  # a step of a few milliseconds: look without pausing
        return
    delay = rng.uniform(0.2, 0.6)
    start = end if target == "freeze" else None  # the refresh's look-ups come before the end
    fault = w.sandbox.faults.add("slow", ENDPOINT[target], count=1, delay=delay, start=start)
    while time.monotonic() < until and fault.fired == 0:
        time.sleep(0.002)
    if fault.fired:
        time.sleep(rng.uniform(0, delay + 0.015))


def _unsent(store: Store) -> bool:
    try:
        return bool(OutboxStore(store).entries(states=("pending", "approved", "sending")))
    except Exception:  # the database is busy or not migrated yet
        return False


def _open(ops: OpsStore, jobs: tuple[str, ...]) -> bool:
    try:
        return any(r.job in jobs for _, r in StoreAudit(ops.store).open_job_runs())
    except Exception:  # the database is busy or not there yet
        return False


def _frozen(store: Store) -> bool:
    try:
        return RulesStore(store).is_frozen(COMPETITION)
    except Exception:  # the database is busy or not migrated yet
        return False


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
    limit = scenario_real + 60 + kills * 8  # a kill cycle takes ~6 s at speed 6 (start-up, aim)
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
    parser.add_argument(
        "--speed",
        type=float,
        default=6.0,
        help="simulated seconds per second (6 leaves the running competition ~400 s: time for "
        "the poll and refresh kills, ~6 s each)",
    )
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
    shares = aimed_shares(tally.kills, args.kills)
    short = [j for j in AIMED if shares[j] < SHARE]
    print(
        "inside aimed steps: "
        + ", ".join(f"{j} {shares[j]:.0%}" for j in AIMED)
        + f" (goal: each >= {SHARE:.0%}) "
        + ("met" if not short else "NOT MET: " + ", ".join(short))
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
    return 0 if tally.clean and not short else 1


def aimed_shares(kills: Counter[str], total: int) -> dict[str, float]:
    """Each aimed step's share of all kills (the freeze with the late entries' reading)."""
    by_phase = Counter({phase_of(job): 0 for job in AIMED})
    for job, n in kills.items():
        by_phase[phase_of(job)] += n
    return {j: by_phase[j] / max(1, total) for j in AIMED}


if __name__ == "__main__":
    sys.exit(main())
