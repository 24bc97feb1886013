"""Run one competition scenario through the daemon twice, without and with injected API faults, and
compare the frozen results.

    python scripts/fault_run.py [--rate 0.2] [--profile transient|every] [--seed 1]

The sandbox and the daemon share a ManualClock (the daemon's sleeps move it, and the scenario's
posts, likes, edits and deletions land as it passes them), so two simulated hours take seconds.
With faults, every switch kind of `bot.sandbox.faults.KINDS` fires on any endpoint with a per-kind
probability chosen so that about `--rate` of all requests fail; late indexing is on in both runs.
Both runs use fresh SQLite files in a temporary directory. Prints the request and failure counts
per kind and whether the frozen standings (ranks, keys, scores per category) are identical; exits
1 when they are not, or when `--rate` > 0 and no fault fired (the comparison would prove nothing).
`simulate` is also what tests/shell/test_faults.py uses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from loguru import logger

from bot.clock import ManualClock
from bot.config import Config, parse_config
from bot.daemon.loop import Daemon, DaemonOptions
from bot.sandbox import Sandbox, ScenarioBuilder, ScenarioPlayer, World
from bot.sandbox.faults import PROFILES
from bot.store import Store
from bot.store.rules import RulesStore
from bot.x.tweepy_client import TweepyXClient

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
DURATION = timedelta(hours=2)
HASHTAG = "OpsCup"
USERS = [f"user{i:02d}" for i in range(14)]
# Transient faults only delay requests by seconds: the run must make about as many requests as a
# clean one (retries add some), not a fifth of them (long pauses) nor a retry storm.
VOLUME = (0.9, 2.0)


def scenario_builder(start: datetime = START) -> ScenarioBuilder:
    """Fourteen entrants over two hours: likes and replies growing, an edit, a deletion, a
    retweet, a late-indexed entry posted a minute before the end, and likes six hours after it."""
    b = ScenarioBuilder(start=start, name="ops-cup")
    for u in USERS:
        b.account(u, age_days=400, followers=50)
    for i, u in enumerate(USERS):
        at = f"+{3 + i * 7}m"
        b.post(at, u, f"entry {i} of {u} #{HASHTAG}", ref=f"e{i}")
        for k in range(1, 6):
            b.like(f"+{3 + i * 7 + k * 4}m", f"e{i}", count=(i * 7 + k * 3) % 11 + 1)
        if i % 3 == 0:
            b.reply(f"+{5 + i * 7}m", USERS[(i + 1) % len(USERS)], f"e{i}", f"nice {i}")
    b.edit("+40m", "e2", f"entry 2 of {USERS[2]}, edited #{HASHTAG}")
    b.like("+45m", "e2", count=9)
    b.delete("+70m", "e5")
    b.retweet("+50m", USERS[3], "e1")
    b.post("+119m", "latecomer", f"last-minute entry #{HASHTAG}", ref="late", index_delay=90)
    b.account("latecomer", age_days=400)
    b.like("+119m30s", "late", count=20)
    # Likes long after the end must not count. (A freeze delayed by an outage reads metrics when
    # it runs - X keeps no history - and records its delay; faults here delay it by minutes.)
    b.like("+8h", "e0", count=50)
    return b


def config_text(start: datetime = START, *, poll: int = 60) -> str:
    end = start + DURATION
    return f"""
[bot]
poll_interval_seconds = {poll}
dry_run = true

[[competition]]
id = "opscup"
title = "Ops cup"
hashtags = ["{HASHTAG}"]
start = "{start.isoformat()}"
end = "{end.isoformat()}"
late_posts_grace = "10m"  # re-scans for late-indexed posts over a few polls, then the freeze

[[competition.categories]]
id = "most-liked"
kind = "likes"

[[competition.categories]]
id = "most-comments"
kind = "replies"
"""


@dataclass
class Outcome:
    standings: list[Any]
    fingerprint: str
    entries: int
    requests: int
    failed: Counter[str] = field(default_factory=Counter)
    error_kinds: Counter[str] = field(default_factory=Counter)
    freeze_delay_s: int = 0


def standings_of(store: Store, competition_id: str) -> list[Any]:
    stored = RulesStore(store).frozen(competition_id)
    if stored is None:
        return []
    cats = stored.result.standings.categories
    return [
        [c.category.id, [[r.rank, r.key, r.score] for r in c.entries], list(c.winners)]
        for c in cats
    ]


def fingerprint(standings: list[Any]) -> str:
    return hashlib.sha256(json.dumps(standings, sort_keys=True).encode()).hexdigest()[:16]


def add_faults(sandbox: Sandbox, rate: float, profile: str = "every") -> None:
    """The kinds of `profile` (bot.sandbox.faults.PROFILES), on every endpoint, so that about
    `rate` of the requests fail."""
    sandbox.faults.add_profile(profile, rate, delay=0.3)


def simulate(
    db_url: str,
    *,
    rate: float = 0.0,
    profile: str = "every",
    seed: int = 1,
    heartbeat: Path | None = None,
    limit: timedelta = timedelta(hours=30),
) -> Outcome:
    """Play the scenario into a sandbox and run a daemon over it until the competition is frozen
    (or `limit` after the start). `rate` > 0 injects faults of every kind."""
    clock = ManualClock(START - timedelta(minutes=5))
    world = World(clock)
    sandbox = Sandbox(world, clock=clock, seed=seed)
    scenario = scenario_builder().build()
    player = ScenarioPlayer(scenario, world, clock, start=START)
    config: Config = parse_config(config_text(), source="fault_run.toml")
    store = Store(db_url)
    store.upgrade()
    with sandbox:
        if rate > 0:
            add_faults(sandbox, rate, profile)
        creds = sandbox.credentials
        client = TweepyXClient(
            creds["bearer_token"],
            creds["api_key"],
            creds["api_secret"],
            creds["access_token"],
            creds["access_token_secret"],
            base_url=sandbox.base_url,
            timeout=0.2,
        )
        daemon = Daemon(
            config,
            client,
            store,
            clock,
            instance_id="fault-run",
            options=DaemonOptions(
                poll_interval=timedelta(seconds=60),
                sleep_slice=3600,
                heartbeat_file=heartbeat,
                seed=seed,
            ),
            user_context=False,
        )
        rules = RulesStore(store)
        original = clock.sleep

        def sleep(seconds: float) -> None:
            original(seconds)
            player.advance_to(clock.now())
            if rules.is_frozen("opscup") or clock.now() > START + limit:
                daemon.stop()

        clock.sleep = sleep  # type: ignore[method-assign]
        player.advance_to(clock.now())
        daemon.run_forever()
        failed = Counter(r.fault for r in sandbox.requests if r.fault)
        requests = len(sandbox.requests)
    errors = Counter(e.kind for e in daemon.ops.recent_errors(100_000))
    standings = standings_of(store, "opscup")
    stored = rules.frozen("opscup")
    delay = stored.result.freeze_delay_seconds if stored else -1
    entries = store.entry_count("opscup")
    store.close()
    return Outcome(standings, fingerprint(standings), entries, requests, failed, errors, delay)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=0.2, help="share of failing requests")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="transient",
        help="which faults: transient (retry soon) or every kind (long pauses included)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logger.remove()
    logger.add(sys.stderr, level="CRITICAL")
    with tempfile.TemporaryDirectory() as tmp:
        clean = simulate(f"sqlite:///{tmp}/clean.db", seed=args.seed)
        faulty = simulate(
            f"sqlite:///{tmp}/faulty.db", rate=args.rate, profile=args.profile, seed=args.seed
        )
    share = sum(faulty.failed.values()) / max(1, faulty.requests)
    print(
        f"clean run : {clean.requests} requests, {clean.entries} entries, "
        f"standings {clean.fingerprint}, freeze delay {clean.freeze_delay_s}s"
    )
    print(
        f"fault run : {faulty.requests} requests, {sum(faulty.failed.values())} faulted "
        f"({share:.0%}), {faulty.entries} entries, standings {faulty.fingerprint}, "
        f"freeze delay {faulty.freeze_delay_s}s"
    )
    print("faults injected: " + ", ".join(f"{k} {n}" for k, n in sorted(faulty.failed.items())))
    print(
        "daemon saw     : " + ", ".join(f"{k} {n}" for k, n in sorted(faulty.error_kinds.items()))
    )
    same = clean.standings == faulty.standings and bool(clean.standings)
    print("frozen standings identical: " + ("yes" if same else "NO"))
    ratio = faulty.requests / max(1, clean.requests)
    volume_ok = args.profile != "transient" or VOLUME[0] <= ratio <= VOLUME[1]
    print(
        f"request ratio faulty/clean: {ratio:.2f}"
        + (f" (wanted {VOLUME[0]}..{VOLUME[1]})" if args.profile == "transient" else "")
        + ("" if volume_ok else " NOT MET")
    )
    fired = sum(faulty.failed.values()) > 0
    if args.rate > 0 and not fired:
        print(f"NO fault fired at --rate {args.rate}: the runs were not compared under faults")
    return 0 if same and volume_ok and (fired or args.rate <= 0) else 1


if __name__ == "__main__":
    sys.exit(main())
