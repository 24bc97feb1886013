"""Benchmark the X API sandbox: load N tweets into a World, then measure requests per second
served over loopback for recent search (hashtag query, paged) and for tweet lookups (100 ids),
through a real tweepy Client. Prints figures; bounded loops; never leaves 127.0.0.1.

    python scripts/bench_sandbox.py [--tweets 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tweepy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import ManualClock
from bot.sandbox import Sandbox, World
from tests.conftest import redirect_client


def build_world(n: int, clock: ManualClock) -> tuple[World, list[str], float, float]:
    world = World(clock)
    users = [f"user{i}" for i in range(500)]
    for u in users:
        world.add_user(u)
    rng = random.Random(1)
    t0 = clock.now() - timedelta(days=6)
    step = timedelta(days=6) / n
    tracemalloc.start()
    start = time.perf_counter()
    ids = []
    for i in range(n):
        tag = "#IGFcontest" if i % 50 == 0 else rng.choice(("#news", "#today", "#sport"))
        text = f"tweet number {i} about things {tag} @user{rng.randrange(500)}"
        ids.append(world.post(rng.choice(users), text, at=t0 + step * i))
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return world, ids, elapsed, peak / 1e6


def rate(label: str, count: int, call: object) -> None:
    start = time.perf_counter()
    for _ in range(count):
        call()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {count / elapsed:8.1f} req/s  ({elapsed * 1000 / count:.1f} ms each)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tweets", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    clock = ManualClock(datetime(2026, 9, 1, 12, tzinfo=UTC))
    world, ids, load_s, peak_mb = build_world(args.tweets, clock)
    print(
        f"loaded {args.tweets} tweets in {load_s:.2f} s "
        f"({args.tweets / load_s:,.0f} tweets/s, peak traced memory {peak_mb:.0f} MB)"
    )
    with Sandbox(world, clock=clock) as sb:
        c = sb.credentials
        client = redirect_client(tweepy.Client(bearer_token=c["bearer_token"]), sb.base_url)
        n = args.requests
        rng = random.Random(2)
        rate(
            "search '#IGFcontest -is:retweet' x100",
            n,
            lambda: client.search_recent_tweets("#IGFcontest -is:retweet", max_results=100),
        )
        rate(
            "search 'number -is:reply' (keyword, full scan) x100",
            max(n // 10, 5),
            lambda: client.search_recent_tweets("number -is:reply", max_results=100),
        )
        rate(
            "search rare keyword (scans everything)",
            max(n // 20, 3),
            lambda: client.search_recent_tweets("nonexistentword"),
        )
        rate(
            "lookup GET /2/tweets?ids= (100 ids)",
            n,
            lambda: client.get_tweets(rng.sample(ids, 100), tweet_fields=["public_metrics"]),
        )
        rate("lookup GET /2/tweets/:id", n, lambda: client.get_tweet(rng.choice(ids)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
