"""Benchmark: the poller ingests and refreshes a sandbox holding N competition tweets.

    python scripts/bench_poll.py [--tweets 100000] [--mentions 0] [--db sqlite|postgresql|URL]
                                 [--tracemalloc] [--cycles 2] [--every 5]

The sandbox runs in a child process (its own core, and its memory kept out of the bot's figures)
with a fixed clock and rate limits lifted; the bot (TweepyXClient + Store + Poller) runs full
cycles (`Poller.run_cycle`: ingest, then refresh) against it over real HTTP through tweepy.

The store is a temporary SQLite file by default; `--db postgresql` is a new database on a
throwaway PostgreSQL server on 127.0.0.1 (the binaries scripts/ensure_postgres.sh installs),
`--db URL` an empty database of yours. Every figure line names the database.

The cold cycle: every tweet searched, stored, and given its first metric reading (the search
page's; the refresh looks up none of them). Each page is stored while the next is fetched, so
the wall time is not the sum of the bot's and the sandbox's: the bot's own work (tweepy,
parsing, the store) is measured as the CPU time of the bot's process, every thread, over the
whole cold cycle (the sandbox's handling, in its own process, is printed beside it). Printed: the
rate end to end and of the bot's own work, each phase as a part, requests against the true
minimum (ceil(N/100) search pages, plus ceil(M/100) mentions pages and one user look-up when
--mentions M > 0; no look-up), and peak memory.

With `--cycles N` (default 2), N-1 steady-state cycles follow, the bot's clock `--every` minutes
further each time (the sandbox's world stays as built). Each prints its requests by kind, its
re-scans, and the ratio to its true minimum: each stream's pages for the posts it returned (at
least one page per stream), plus ceil(R/100) look-ups for the R entries no page returned.

Goals (exit 1, printing MISSED, when one is missed): requests / minimum = 1.00 on the cold cycle
(its first search reads the whole window by start_time, so no re-scan for late-indexed posts may
add a request) and on each steady-state cycle; every entry stored and read; >= 5,000 tweets/s
end to end and >= 10,000 tweets/s of the bot's own work (CPU time), whole cold cycle.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from benchgoals import DB_HELP, on_database, verdict

from bot.clock import ManualClock
from bot.core.models import Category, Competition, Page
from bot.polling.poller import Poller
from bot.store import Store
from bot.x.tweepy_client import TweepyXClient

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=6)  # inside the 7-day search horizon
AUTHORS = 1000
GOAL_END_TO_END = 5_000  # tweets/s, the whole cold cycle against the sandbox
GOAL_OWN_WORK = 10_000  # tweets/s, the bot process's CPU time over the whole cold cycle


def serve_world(conn: Connection, tweets: int, mentions: int) -> None:
    """Child process: build the world in bulk, serve it, report its own peak memory at the end."""
    from bot.sandbox import Sandbox, World
    from bot.sandbox.ratelimit import LIMITS

    clock = ManualClock(NOW)
    world = World(clock)
    names = [f"user{i:04d}" for i in range(AUTHORS)]
    for name in names:
        world.add_user(name, followers=len(name))
    built = time.perf_counter()
    step = SPAN / max(tweets + mentions, 1)
    start = NOW - SPAN
    for i in range(tweets):
        tid = world.post(names[i % AUTHORS], f"entry {i} #Bench", at=start + step * i)
        if i % 7 == 0:
            world.set_metrics(tid, likes=i % 100, replies=i % 13)
    sandbox = Sandbox(world, clock=clock, bot_username="contestbot")
    for i in range(mentions):
        world.post(names[i % AUTHORS], f"hello @contestbot {i}", at=start + step * (tweets + i))
    sandbox.limits.overrides = {name: 10**9 for name in LIMITS}
    sandbox.start()
    conn.send((sandbox.base_url, sandbox.credentials, time.perf_counter() - built))
    while conn.recv() != "done":  # "served": the handling time so far, by kind
        conn.send(served_by_kind(sandbox))
    sandbox.stop()
    conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def served_by_kind(sandbox: Any) -> dict[str, float]:
    served: Counter[str] = Counter()
    for logged in sandbox.requests:
        served[request_kind(logged.path)] += logged.seconds
    return dict(served)


def request_kind(path: str) -> str:
    if path.endswith("/search/recent"):
        return "search"
    if path == "/2/tweets":
        return "lookup"
    return "mentions" if path.endswith("/mentions") else "user"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=100_000, help="competition tweets (N)")
    parser.add_argument(
        "--mentions",
        type=int,
        default=0,
        help="mentions of the bot account without the hashtag (M)",
    )
    parser.add_argument("--db", default="sqlite", help=DB_HELP)
    parser.add_argument("--cycles", type=int, default=2, help="cycles to run (the first cold)")
    parser.add_argument(
        "--every", type=float, default=5.0, help="minutes between two cycles (default 5)"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also measure Python allocations with tracemalloc (slower)",
    )
    args = parser.parse_args(argv)
    return on_database(args.db, lambda label, url: run(args, label, url))


def run(args: argparse.Namespace, label: str, url_given: str | None) -> int:
    parent, child = mp.Pipe()
    proc = mp.Process(target=serve_world, args=(child, args.tweets, args.mentions), daemon=True)
    proc.start()
    base_url, credentials, build_s = parent.recv()
    print(
        f"sandbox: {args.tweets} tweets + {args.mentions} mentions built in {build_s:.1f} s "
        f"at {base_url}"
    )

    tmp = tempfile.TemporaryDirectory()
    url = url_given or f"sqlite:///{tmp.name}/bench.db"
    store = Store(url)
    store.upgrade()
    requests: Counter[str] = Counter()
    first_lookup: list[float] = []
    cold_done = False

    def on_request(method: str, path: str, status: int | None) -> None:
        kind = request_kind(path)
        if kind == "lookup" and not first_lookup and not cold_done:
            first_lookup.append(time.perf_counter())
        requests[kind] += 1
        if status != 200:
            requests["failed"] += 1

    client = TweepyXClient(**credentials, base_url=base_url, on_request=on_request, timeout=60)
    returned: dict[str, set[str]] = {"search": set(), "mentions": set()}
    pages: Counter[str] = Counter()

    def counting(kind: str, read: Callable[..., Page]) -> Callable[..., Page]:
        def wrapped(*a: Any, **k: Any) -> Page:
            page = read(*a, **k)
            returned[kind].update(t.id for t in page.posts)
            pages[kind] += 1
            return page

        return wrapped

    client.search_recent = counting("search", client.search_recent)  # type: ignore[method-assign]
    client.mentions = counting("mentions", client.mentions)  # type: ignore[method-assign]
    comp = Competition(
        id="bench",
        title="Benchmark",
        hashtags=("Bench",),
        start=NOW - SPAN - timedelta(hours=1),
        end=NOW + timedelta(days=1),
        categories=(Category(id="most-liked", kind="likes"),),
        accounts=("contestbot",) if args.mentions else (),
    )
    clock = ManualClock(NOW)
    poller = Poller(client, store, clock)
    if args.tracemalloc:
        tracemalloc.start()
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = poller.run_cycle([comp])
    t1, cpu1 = time.perf_counter(), time.process_time()
    cold_done = True
    traced_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    parent.send("served")
    served = parent.recv()  # the cold cycle's requests only
    entries = store.entry_count(comp.id)
    unread = len(store.refresh_targets([comp.id], unread_since=NOW))
    cold = Counter(requests)
    steady: list[tuple[str, bool]] = []
    for i in range(1, args.cycles):
        requests.clear()
        pages.clear()
        for seen in returned.values():
            seen.clear()
        clock.advance(minutes=args.every)
        again = poller.run_cycle([comp])
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(requests.items()))
        rescans = ", ".join(p for c in again.competitions for p in c.rescans) or "none"
        streams = {"search": 1, "mentions": 1 if args.mentions else 0}
        least = sum(
            max(streams[k], math.ceil(len(returned[k]) / 100)) for k in streams if streams[k]
        )
        least += math.ceil((entries - len(returned["search"] | returned["mentions"])) / 100)
        spent = sum(v for k, v in requests.items() if k != "failed")
        steady.append(
            (
                f"cycle {i + 1} (+{args.every * i:g} min): {spent} requests ({kinds}); "
                f"true minimum {least} (pages for the {sum(map(len, returned.values()))} posts "
                f"returned, look-ups for the rest) -> ratio {spent / least:.2f}; "
                f"re-scans: {rescans}",
                spent == least,
            )
        )
    requests = cold
    parent.send("done")
    sandbox_rss = parent.recv()
    proc.join(timeout=30)
    store.close()
    tmp.cleanup()

    n, m = args.tweets, args.mentions
    minimum = math.ceil(n / 100)
    if m:
        minimum += math.ceil(m / 100) + 1
    made = sum(v for k, v in requests.items() if k != "failed")
    split = t1 if not first_lookup else first_lookup[0]
    ingest_s, refresh_s, whole_s = split - t0, t1 - split, t1 - t0
    # The bot's own work is the CPU time of its process (every thread: the fetching one and the
    # one storing behind it); the sandbox answers from its own process, so none of it is counted.
    own_s = max(cpu1 - cpu0, 1e-9)
    served_s = sum(served.values())  # the sandbox's handling time of the cold cycle's requests
    total = n + m
    print(
        f"{label}, whole cold cycle (search + mentions pages, store, first readings, refresh): "
        f"{total} tweets in {whole_s:.1f} s -> {total / whole_s:,.0f} tweets/s end to end"
    )
    print(
        f"  bot's own work (CPU time of the bot process, all threads, whole cold cycle): "
        f"{own_s:.1f} s -> {total / own_s:,.0f} tweets/s; the sandbox's own handling: "
        f"{served_s:.1f} s in its process"
    )
    print(
        f"  part, ingest phase (search + mentions pages, each stored while the next is fetched): "
        f"{ingest_s:.1f} s -> {total / ingest_s:,.0f} tweets/s"
    )
    print(
        f"  part, refresh phase (look-ups of entries no page read): {report.refreshed} "
        f"tweets, {report.snapshots} snapshots in {refresh_s:.1f} s"
    )
    print(f"  {entries} entries stored, {entries - unread} with a reading")
    detail = ", ".join(f"{k} {v}" for k, v in sorted(requests.items()))
    ratio = made / minimum
    print(f"requests: {made} made ({detail}); true minimum {minimum} -> ratio {ratio:.2f}")
    for line, _ in steady:
        print(line)
    bot_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak memory: bot process {bot_rss:.0f} MB (ru_maxrss)"
        + (f", {traced_peak / 2**20:.0f} MB traced (tracemalloc)" if traced_peak else "")
        + f"; sandbox process {sandbox_rss / 1024:.0f} MB"
    )
    goals = {
        "requests / minimum = 1.00 on the cold cycle": made == minimum,
        "requests / minimum = 1.00 on each steady-state cycle": all(ok for _, ok in steady),
        "every entry stored and read": entries == total and unread == 0,
        f"end to end >= {GOAL_END_TO_END:,} tweets/s": total / whole_s >= GOAL_END_TO_END,
        f"bot's own work >= {GOAL_OWN_WORK:,} tweets/s": total / own_s >= GOAL_OWN_WORK,
    }
    return verdict(goals)


if __name__ == "__main__":
    sys.exit(main())
