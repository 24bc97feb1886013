"""Benchmark the X API sandbox: load N posts into a World (time and tracemalloc peak), then time
requests served over loopback (127.0.0.1 only) through a real tweepy Client: recent search
(hashtag, common keyword, rare keyword, absent keyword, the bot's conversation query, a
conjunction of two common hashtags, a query no index can serve), deep search pages (next_token)
and tweet lookups. Bounded loops.

Goals (exit 1, printing MISSED, when one is missed; "all goals met" and exit 0 otherwise):
  - a rare-keyword search (a word ~0.1% of the posts carry) answers in < 10 ms per request at
    100,000 posts (the keyword index, not a scan of every post);
  - deep pages: for a common-hashtag query and the bot's OR-of-hashtags query, following
    next_token to page 20 costs at most twice page 1 per page (paging seeks, it does not
    re-scan the newer posts).

    python scripts/bench_sandbox.py [--tweets 100000] [--requests 200] [--pages 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tweepy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchgoals import verdict

from bot.clock import ManualClock
from bot.sandbox import Sandbox, World
from tests.conftest import redirect_client

GOAL_RARE_MS = 10.0
GOAL_DEEP_RATIO = 2.0
RARE_EVERY = 1000  # one post in RARE_EVERY says "Serendipity"
DEEP_REPEATS = 5  # walks of the deep-page chain; per page the median walk counts


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
        if i % RARE_EVERY == 7:
            text += " Serendipity!"
        ids.append(world.post(rng.choice(users), text, at=t0 + step * i))
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return world, ids, elapsed, peak / 1e6


def rate(label: str, count: int, call: Callable[[], Any]) -> float:
    """Run `call` `count` times; print requests per second and ms each; return ms each."""
    start = time.perf_counter()
    for _ in range(count):
        call()
    elapsed = time.perf_counter() - start
    ms = elapsed * 1000 / count
    print(f"{label:<86} {count / elapsed:8.1f} req/s ({ms:7.2f} ms each, {count} requests)")
    return ms


def deep_pages(client: Any, query: str, pages: int) -> tuple[list[float], int]:
    """Follow next_token for up to `pages` pages of 100, DEEP_REPEATS times; the median ms of
    each page over the walks, and the number of pages there were."""
    walks: list[list[float]] = []
    for _ in range(DEEP_REPEATS):
        times: list[float] = []
        token: str | None = None
        for _ in range(pages):
            start = time.perf_counter()
            resp = client.search_recent_tweets(query, max_results=100, next_token=token)
            times.append((time.perf_counter() - start) * 1000)
            token = resp.meta.get("next_token")
            if token is None:
                break
        walks.append(times)
    depth = min(len(w) for w in walks)
    return [statistics.median(w[i] for w in walks) for i in range(depth)], depth


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tweets", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--pages", type=int, default=20)
    args = ap.parse_args()
    clock = ManualClock(datetime(2026, 9, 1, 12, tzinfo=UTC))
    world, ids, load_s, peak_mb = build_world(args.tweets, clock)
    rare = sum(1 for i in range(args.tweets) if i % RARE_EVERY == 7)
    print(
        f"loaded {args.tweets} posts in {load_s:.2f} s under tracemalloc "
        f"({args.tweets / load_s:,.0f} posts/s, peak traced memory {peak_mb:.0f} MB; "
        f"{len(world.by_word):,} distinct keyword tokens indexed)"
    )
    goals: dict[str, bool] = {}
    with Sandbox(world, clock=clock) as sb:
        sb.limits.overrides["search"] = 10**9  # a benchmark, not a rate-limit test
        c = sb.credentials
        client = redirect_client(tweepy.Client(bearer_token=c["bearer_token"]), sb.base_url)
        n = args.requests
        rng = random.Random(2)

        def search(query: str, max_results: int = 100) -> Callable[[], Any]:
            return lambda: client.search_recent_tweets(query, max_results=max_results)

        print("recent search, page 1 (max_results=100), candidates from the index:")
        rate(
            "  '#IGFcontest -is:retweet' (hashtag on 2% of posts)",
            n,
            search("#IGFcontest -is:retweet"),
        )
        rate(
            "  'number -is:reply' (keyword on every post: its postings, a page fills at once)",
            max(n // 4, 5),
            search("number -is:reply"),
        )
        rare_ms = rate(
            f"  'serendipity' (rare keyword on {rare} posts, matched as 'Serendipity!') [goal]",
            n,
            search("serendipity"),
        )
        rate(
            "  'nonexistentword' (keyword on no post: empty postings)", n, search("nonexistentword")
        )
        replies_of = f"(conversation_id:{ids[-1]} OR conversation_id:{ids[len(ids) // 2]}) is:reply"
        rate(
            "  '(conversation_id:A OR conversation_id:B) is:reply' (the bot's reply poll)",
            n,
            search(replies_of),
        )
        conj_ms = rate(
            "  '#news #sport' (two hashtags on 1/3 of posts each, never together: 0 results)",
            max(n // 40, 3),
            search("#news #sport"),
        )
        print("recent search that no index can serve (a full scan of every post):")
        scan_ms = rate(
            "  '🦄' (an emoji keyword matches as a substring: not indexable, 0 results)",
            max(n // 40, 3),
            search("🦄"),
        )
        rare_ok = rare_ms < GOAL_RARE_MS
        goals[f"rare keyword {rare_ms:.2f} ms per request < {GOAL_RARE_MS:.0f} ms"] = rare_ok
        print(
            f"rare keyword: {rare_ms:.2f} ms per request (goal < {GOAL_RARE_MS:.0f} ms) "
            f"{'ok' if rare_ok else 'MISSED'}; "
            f"the full scan costs {scan_ms / rare_ms:,.0f}x as much, "
            f"the two-hashtag conjunction {conj_ms / rare_ms:,.1f}x"
        )
        for query in ("#news -is:retweet", "(#news OR #today) -is:retweet"):
            per_page, depth = deep_pages(client, query, args.pages)
            first, last = per_page[0], per_page[-1]
            ratio = last / first
            ok = ratio <= GOAL_DEEP_RATIO
            goals[
                f"deep pages of {query!r}: page {depth} costs x{ratio:.2f} page 1 "
                f"(<= x{GOAL_DEEP_RATIO:.0f})"
            ] = ok
            print(
                f"deep pages '{query}' (max_results=100, median of {DEEP_REPEATS} walks): "
                f"page 1 {first:.2f} ms, page {depth} {last:.2f} ms, "
                f"ratio {ratio:.2f} (goal <= {GOAL_DEEP_RATIO:.0f}) {'ok' if ok else 'MISSED'}"
            )
        print("lookups:")
        rate(
            "  GET /2/tweets?ids= (100 random ids, public_metrics)",
            n,
            lambda: client.get_tweets(rng.sample(ids, 100), tweet_fields=["public_metrics"]),
        )
        rate("  GET /2/tweets/:id (one random id)", n, lambda: client.get_tweet(rng.choice(ids)))
    return verdict(goals)


if __name__ == "__main__":
    raise SystemExit(main())
