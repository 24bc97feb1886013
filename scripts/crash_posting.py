"""Crash test of the outbox: posting processes killed with SIGKILL at random moments.

    python scripts/crash_posting.py [N=50] [--db-url URL] [--seed S] [--json]

The sandbox runs in this process (a thread, real HTTP on 127.0.0.1, system clock) with a "slow"
fault on POST /2/tweets: each post, with probability 0.35, is applied at once but answered 50 ms
later, which widens the window between X's 201 and our record. The outbox holds scheduled posts
(some are threads of 2-3 parts). N times, a worker process (`--worker`: TweepyXClient + Store +
Poster, sending until the outbox is empty) is started, waits until it is ready to post, and is
killed with SIGKILL after a random 0-300 ms: before the sending marker, after it, during the call,
after the 201 and before the record. More posts are added whenever the outbox runs dry. Then a last
worker runs to the end. The tally counts every part texts expected against what the sandbox
received: posted, duplicates, missing (target: 0 and 0), plus posts reconciled from the timeline.
Exits 1 when there is a duplicate or a missing post.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loguru import logger

from bot.store import Store

CONFIG = '[bot]\nusername = "contestbot"\n[posting]\ngrace = "1d"\n'
BATCH = 12  # posts added each time the outbox runs dry


def worker(db_url: str, base_url: str) -> int:
    """Send everything the outbox holds, then exit 0. Prints "ready" once set up."""
    from bot.clock import SystemClock
    from bot.config import parse_config
    from bot.posting.poster import Poster
    from bot.x.tweepy_client import TweepyXClient

    logger.remove()  # the parent prints the tally; only errors matter here
    logger.add(sys.stderr, level="ERROR")
    creds = json.loads(os.environ["CRASH_CREDENTIALS"])
    client = TweepyXClient(**creds, base_url=base_url, timeout=5.0)
    store = Store(db_url)
    poster = Poster(
        client,
        store,
        SystemClock(),
        config=parse_config(CONFIG, source="crash.toml"),
        bot_user_id=os.environ["CRASH_BOT_ID"],
        bot_username="contestbot",
    )
    poster.outbox.open_posts()  # warm up the connection before saying ready
    print("ready", flush=True)
    while poster.outbox.open_posts():
        report = poster.run_due()
        if report.stopped:
            print(report.stopped, file=sys.stderr)
            return 1
        if report.retrying:
            time.sleep(0.05)
    return 0


def add_batch(store: Store, start: int, rng: random.Random) -> list[str]:
    """BATCH scheduled posts due now; returns every part text."""
    from bot.core.outbox import OutboxPost, scheduled_key
    from bot.store.outbox import OutboxStore

    outbox = OutboxStore(store)
    now = datetime.now(UTC)
    posts: list[OutboxPost] = []
    texts: list[str] = []
    for i in range(start, start + BATCH):
        n = rng.choice((1, 1, 2, 3))
        parts = tuple(f"Crash test post {i}, part {k}/{n}" for k in range(1, n + 1))
        key = scheduled_key(now, parts[0], "en")
        posts.append(OutboxPost(key, "scheduled", "en", parts, now - timedelta(seconds=1)))
        texts += parts
    outbox.add(posts, now=now)
    return texts


def run(kills: int, db_url: str | None, seed: int) -> dict[str, object]:
    from bot.clock import SystemClock
    from bot.sandbox import Sandbox, World
    from bot.store.outbox import OutboxStore

    rng = random.Random(seed)
    tmp = tempfile.TemporaryDirectory(prefix="crash-posting-")
    url = db_url or f"sqlite:///{Path(tmp.name) / 'bot.db'}"
    store = Store(url)
    store.upgrade()
    outbox = OutboxStore(store)
    sandbox = Sandbox(World(SystemClock()), clock=SystemClock(), seed=seed)
    sandbox.limits.overrides.update({"create": 1_000_000, "user_tweets": 1_000_000})
    sandbox.faults.add("slow", "create", probability=0.35, delay=0.05)
    env = {
        **os.environ,
        "CRASH_CREDENTIALS": json.dumps(sandbox.credentials),
        "CRASH_BOT_ID": sandbox.bot_user_id,
    }
    expected: list[str] = []
    killed = 0
    with sandbox:
        # Killed workers leave half-read sockets; socketserver would print each reset.
        sandbox._server.handle_error = lambda request, client_address: None  # type: ignore[union-attr,method-assign]
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            "--db-url",
            url,
            "--base-url",
            sandbox.base_url,
        ]
        t0 = time.perf_counter()
        while killed < kills:
            if not outbox.open_posts():
                expected += add_batch(store, len(expected), rng)
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                proc.wait()
                raise RuntimeError(f"worker failed to start (exit {proc.returncode})")
            time.sleep(rng.uniform(0.0, 0.3))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.wait()
        final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        elapsed = time.perf_counter() - t0
        posted = [p["text"] for p in sandbox.posted]
        states = Counter(e.post.state for e in outbox.entries())
        recorded = sum(len(e.post.posted_ids) for e in outbox.entries())
        timeline_reads = sum(1 for r in sandbox.requests if r.endpoint == "user_tweets")
    store.close()
    tmp.cleanup()
    counts = Counter(posted)
    return {
        "kills": killed,
        "final_worker_exit": final.returncode,
        "posts": sum(states.values()),
        "parts_expected": len(expected),
        "posted": len(posted),
        "duplicates": sum(c - 1 for c in counts.values() if c > 1),
        "missing": len(set(expected) - set(counts)),
        "unexpected": len(set(counts) - set(expected)),
        "recorded_ids": recorded,
        "timeline_reads": timeline_reads,
        "states": dict(states),
        "seconds": round(elapsed, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kills", nargs="?", type=int, default=50, help="SIGKILLs (default 50)")
    parser.add_argument("--db-url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--json", action="store_true", help="print the tally as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.db_url, args.base_url)
    tally = run(args.kills, args.db_url, args.seed)
    if args.json:
        print(json.dumps(tally))
    else:
        print(
            f"{tally['kills']} SIGKILLs during posting, {tally['seconds']} s: "
            f"{tally['posts']} posts, {tally['parts_expected']} parts expected, "
            f"{tally['posted']} posted, {tally['duplicates']} duplicates, "
            f"{tally['missing']} missing; outbox states {tally['states']}, "
            f"{tally['recorded_ids']} ids recorded, {tally['timeline_reads']} timeline reads "
            "(reconciliations)"
        )
    ok = tally["duplicates"] == 0 and tally["missing"] == 0 and tally["unexpected"] == 0
    return 0 if ok and tally["final_worker_exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
