"""Crash safety: kill -9 the daemon at random moments, restart it, and compare with a clean run.

    python scripts/crash_test.py [N=100] [--speed 60] [--seed 1]

Two sandboxes on 127.0.0.1 play the same scenario (a 40-minute competition: entries, likes,
replies, an edit, a deletion, a late-indexed entry; posting on, so a launch post and the winners
post go out) in accelerated time. In one, `python -m bot run` runs undisturbed: the reference. In
the other, the daemon is SIGKILLed N times at random moments (while polling, refreshing, freezing
or posting: the phase of the step it was in is counted from the unfinished `job_runs` row) and
restarted at once. When both have frozen and announced the winners, the script prints, per kind
of record, how many are lost (in the reference, not after the crashes), doubled (written twice)
and missing (in the sandbox's truth, not in the database): tweets, snapshots, cursors, results,
posts. Exit 0 when every count is 0. `run` is also what tests/shell/test_crash.py calls.
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

from bot.clock import AcceleratedClock  # noqa: E402
from bot.sandbox import Sandbox, ScenarioBuilder, ScenarioPlayer, World  # noqa: E402
from bot.scheduling import accelerated_spec  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.ops import OpsStore  # noqa: E402
from bot.store.rules import RulesStore  # noqa: E402

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
LENGTH = timedelta(minutes=40)
HASHTAG = "CrashCup"
KINDS = ("tweets", "snapshots", "cursors", "results", "posts")


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


def finished(w: World1, db_url: str) -> bool:
    """Frozen, and the winners announced."""
    store = Store(db_url)
    try:
        # The launch post and the winners' announcement.
        return RulesStore(store).is_frozen("crashcup") and len(w.sandbox.posted) >= 2
    except Exception:
        return False
    finally:
        store.close()


@dataclass
class Tally:
    lost: Counter[str] = field(default_factory=Counter)
    doubled: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)
    kills: Counter[str] = field(default_factory=Counter)

    @property
    def clean(self) -> bool:
        return not (+self.lost or +self.doubled or +self.missing)


def run_reference(w: World1, db_url: str, config: Path, data: Path, limit: float) -> None:
    proc = spawn(w, db_url, config, data)
    try:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and not finished(w, db_url):
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_crashes(
    w: World1, db_url: str, config: Path, data: Path, kills: int, limit: float, rng: random.Random
) -> Counter[str]:
    """Restart after each SIGKILL; kills are spread over the scenario, then it runs to the end."""
    phases: Counter[str] = Counter()
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
            open_runs = [r for r in ops.job_runs() if r.finished_at is None]
            phases[open_runs[-1].job if open_runs else "between steps"] += 1
            for r in open_runs:  # close them, so the next kill's phase is its own
                ops.finish_job(_run_id(ops, r), now=r.lease_expires_at, ok=False, detail="killed")
        proc = spawn(w, db_url, config, data)
        try:
            while time.monotonic() < deadline and not finished(w, db_url):
                time.sleep(0.3)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        store.close()
    return phases


def _wait_for_open_step(ops: OpsStore, timeout: float, job: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if any(r.finished_at is None and r.job == job for r in ops.job_runs()):
                return
        except Exception:  # the database is busy or not there yet
            pass
        time.sleep(0.005)


def _run_id(ops: OpsStore, run: Any) -> int:
    from sqlalchemy import select

    from bot.store.schema_ops import JobRunRow

    with ops._sessions() as s:
        return int(
            s.scalar(
                select(JobRunRow.id).where(
                    JobRunRow.instance_id == run.instance_id,
                    JobRunRow.started_at == run.started_at,
                    JobRunRow.job == run.job,
                )
            )
            or 0
        )


def compare(ref_url: str, crash_url: str, crashed: World1, reference: World1) -> Tally:
    from sqlalchemy import func, select

    from bot.store.schema import CursorRow, MetricSnapshotRow, TweetRow

    t = Tally()
    ref, got = Store(ref_url), Store(crash_url)
    try:
        # Tweets: entries by key; an edit chain stored under two keys counts as doubled.
        # The bot's own posts carry the hashtag and are stored too; they are compared as posts.
        # The two sandboxes mint different ids for the same scenario post (the bot's own posts
        # go out at different moments and shift the sequence), so entries compare by who
        # posted when; the truth check uses this world's ids.
        ref_keys = set(_entrants(ref, reference).values())
        got_entrants = _entrants(got, crashed)
        got_keys = set(got_entrants)
        t.lost["tweets"] = len(ref_keys - set(got_entrants.values()))
        truth = {
            tid
            for tid, rec in (
                (str(n), crashed.sandbox.world.tweets[n]) for n in crashed.sandbox.world.order
            )
            if f"#{HASHTAG}".lower() in rec.full_text.lower()
            and rec.chain[0] == rec.id
            and not rec.deleted
            and rec.author_id != crashed.sandbox.bot_user_id
        }
        t.missing["tweets"] = len({k for k in truth} - got_keys)
        with got._sessions() as s:
            histories = [h for (h,) in s.execute(select(TweetRow.edit_history))]
            seen: Counter[str] = Counter(i for h in histories for i in h)
            t.doubled["tweets"] = sum(1 for n in seen.values() if n > 1)
            dup_snaps = s.execute(
                select(func.count())
                .select_from(MetricSnapshotRow)
                .group_by(MetricSnapshotRow.key, MetricSnapshotRow.taken_at)
                .having(func.count() > 1)
            ).all()
            t.doubled["snapshots"] = len(dup_snaps)
            got_cursors = {
                (r.stream.split(":")[0], r.since_id, r.pending_next_token)
                for r in s.scalars(select(CursorRow))
            }
        with ref._sessions() as s:
            ref_cursors = {
                (r.stream.split(":")[0], r.since_id, r.pending_next_token)
                for r in s.scalars(select(CursorRow))
            }
        # Snapshots: every entry of the frozen result was read by the final snapshot at the
        # deadline, or, found late by the final poll (late indexing), has the snapshot its frozen
        # metrics come from.
        got_result = RulesStore(got).frozen("crashcup")
        ref_result = RulesStore(ref).frozen("crashcup")
        if got_result is None:
            t.missing["results"] = 1
        else:
            result = got_result.result
            for f in result.inputs:
                key = f.key if f.status != "deleted" else None
                if key is None:
                    continue
                at = f.metrics_at if result.is_late_indexed(f) else result.frozen_at
                if at is None or not any(
                    abs((sn.taken_at - at).total_seconds()) < 1 for sn in got.snapshots(key)
                ):
                    t.missing["snapshots"] += 1
        # Cursors: the final cursors point at the same newest tweets, nothing left half-paged.
        t.lost["cursors"] = len(ref_cursors - got_cursors)
        t.missing["cursors"] = sum(1 for c in got_cursors if c[2] is not None)
        # Results: the same standings, one freeze.
        if got_result is not None and ref_result is not None:

            def rows(r: Any) -> set[tuple[str, int, str, float]]:
                return {
                    (c.category.id, e.rank, e.username, e.score)
                    for c in r.result.standings.categories
                    for e in c.entries
                }

            t.lost["results"] = len(rows(ref_result) - rows(got_result))
            t.doubled["results"] = len(rows(got_result) - rows(ref_result))
        with got._sessions() as s:
            from bot.store.schema_rules import FrozenResultRow

            versions = (
                s.execute(
                    select(func.count())
                    .select_from(FrozenResultRow)
                    .where(FrozenResultRow.competition_id == "crashcup")
                ).scalar()
                or 0
            )
            t.doubled["results"] += max(0, int(versions) - 1)
        # Posts: as many went out as in the reference (texts differ only by the result digest,
        # which covers the freeze time), each once.
        ref_posts = [_normalised(p["text"]) for p in reference.sandbox.posted]
        got_posts = Counter(_normalised(p["text"]) for p in crashed.sandbox.posted)
        t.lost["posts"] = sum((Counter(ref_posts) - got_posts).values())
        t.doubled["posts"] = sum(n - 1 for n in got_posts.values() if n > 1)
        t.missing["posts"] = 0 if got_posts else 1
    finally:
        ref.close()
        got.close()
    return t


def _normalised(text: str) -> str:
    import re

    return re.sub(r"[0-9a-f]{12,64}", "<digest>", text)


def _entrants(store: Store, w: World1) -> dict[str, tuple[str, str]]:
    """Entry key -> (author, creation time of the first version), the bot's own posts left out
    (they carry the hashtag too; they are compared as posts)."""
    bot = w.sandbox.bot_user_id
    return {
        e.key: (e.author.username, w.sandbox.world.get(e.key).created_at.isoformat())  # type: ignore[union-attr]
        for e in store.entries("crashcup")
        if e.tweet.author_id != bot
    }


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
        ref_thread = threading.Thread(
            target=run_reference, args=(reference, ref_url, config, workdir / "ref", limit)
        )
        ref_thread.start()
        phases = run_crashes(crashed, crash_url, config, workdir / "crash", kills, limit, rng)
        ref_thread.join()
        tally = compare(ref_url, crash_url, crashed, reference)
        tally.kills = phases
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
        tally = run(args.kills, speed=args.speed, seed=args.seed, workdir=Path(tmp))
    print(
        f"{args.kills} kills in {time.monotonic() - started:.0f}s; killed during: "
        + ", ".join(f"{k} {n}" for k, n in sorted(tally.kills.items()))
    )
    print(f"{'':10} {'lost':>5} {'doubled':>8} {'missing':>8}")
    for kind in KINDS:
        print(f"{kind:10} {tally.lost[kind]:>5} {tally.doubled[kind]:>8} {tally.missing[kind]:>8}")
    print(
        "total      " + f"{sum(tally.lost.values()):>5} {sum(tally.doubled.values()):>8} "
        f"{sum(tally.missing.values()):>8}"
    )
    return 0 if tally.clean else 1


if __name__ == "__main__":
    sys.exit(main())
