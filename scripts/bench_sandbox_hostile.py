"""Benchmark the sandbox under hostile clients: a normal tweepy client's latency (p50/p99) alone,
then while 300 half-open connections, slowloris headers, a huge Content-Length and deep JSON are
held open: on its kept-alive connection, and on a fresh connection per request (a client that
arrives during the flood, when every handler slot is taken). Loopback only. Goal: every normal
request answered, p99 < 1 s on both, handler threads bounded. Exits 1 when the goal is missed.

    python scripts/bench_sandbox_hostile.py [--half-open 300] [--requests 200]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import tweepy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import ManualClock
from bot.sandbox import Sandbox, World
from tests.conftest import START, redirect_client


def latencies(client: tweepy.Client, clock: ManualClock, n: int) -> tuple[list[float], int]:
    out, failed = [], 0
    for _ in range(n):
        clock.advance(20)  # stay inside the users/me rate limit (75 per 15 min)
        t = time.perf_counter()
        try:
            client.get_me()
        except Exception:  # a failure is counted, not fatal
            failed += 1
        out.append(time.perf_counter() - t)
    return out, failed


def fresh_latencies(
    make: Callable[[], tweepy.Client], clock: ManualClock, n: int
) -> tuple[list[float], int]:
    out, failed = [], 0
    for _ in range(n):
        clock.advance(3)  # inside the search rate limit (450 per 15 min)
        client = make()
        t = time.perf_counter()
        try:
            client.search_recent_tweets("contest")
        except Exception:  # a failure is counted, not fatal
            failed += 1
        out.append(time.perf_counter() - t)
        client.session.close()
    return out, failed


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half-open", type=int, default=300)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    clock = ManualClock(START)
    with Sandbox(World(clock), clock=clock) as sb:
        port = sb._server.server_address[1]  # type: ignore[union-attr]
        c = sb.credentials
        client = redirect_client(
            tweepy.Client(
                consumer_key=c["api_key"],
                consumer_secret=c["api_secret"],
                access_token=c["access_token"],
                access_token_secret=c["access_token_secret"],
            ),
            sb.base_url,
            5,
        )

        def fresh_client() -> tweepy.Client:
            return redirect_client(tweepy.Client(sb.credentials["bearer_token"]), sb.base_url, 5)

        base, base_failed = latencies(client, clock, args.requests)
        threads_before = threading.active_count()
        held: list[socket.socket] = []
        for i in range(args.half_open):
            s = socket.create_connection(("127.0.0.1", port), 5)
            s.sendall(b"GET /2/users/me HT" if i % 3 else b"GET / HTTP/1.1\r\nHost: x\r\nX-a: ")
            held.append(s)
        for payload in (
            b"POST /2/tweets HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n",
            b"POST /2/tweets HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{",
            b"POST /_sandbox/world HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
            b"Authorization: Bearer " + sb.admin_token.encode() + b"\r\n\r\n" + b"[" * 100_000,
        ):
            s = socket.create_connection(("127.0.0.1", port), 5)
            s.sendall(payload)
            held.append(s)
        time.sleep(0.3)
        hostile, failed = latencies(client, clock, args.requests)
        fresh, fresh_failed = fresh_latencies(fresh_client, clock, max(20, args.requests // 4))
        threads_peak = threading.active_count()
        for s in held:
            s.close()
        time.sleep(1.0)
        threads_after = threading.active_count()
        server = sb._server
        assert server is not None
        p50b, p99b = statistics.median(base), pct(base, 0.99)
        p50h, p99h = statistics.median(hostile), pct(hostile, 0.99)
        print(
            f"baseline  p50 {p50b * 1000:7.2f} ms  p99 {p99b * 1000:7.2f} ms  failed {base_failed}"
        )
        print(
            f"hostile   p50 {p50h * 1000:7.2f} ms  p99 {p99h * 1000:7.2f} ms  failed {failed}  "
            f"({args.half_open} half-open + 3 hostile bodies)"
        )
        p50f, p99f = statistics.median(fresh), pct(fresh, 0.99)
        print(
            f"fresh     p50 {p50f * 1000:7.2f} ms  p99 {p99f * 1000:7.2f} ms  failed "
            f"{fresh_failed}  (a new connection per request during the flood)"
        )
        ratio = f"ratio     p50 x{p50h / p50b:.2f}  p99 x{p99h / p99b:.2f}"
        print(ratio + "  (kept-alive, hostile/base)")
        print(
            f"threads   before {threads_before}  while held {threads_peak}  after {threads_after}"
            f"  (bound {sb.max_connections}); evicted {server.evicted}, refused {server.refused}"
        )
        goal = (
            failed == 0
            and fresh_failed == 0
            and p99h < 1.0
            and p99f < 1.0
            and threads_peak <= threads_before + sb.max_connections
            and threads_after <= threads_before + 2
        )
        verdict = "met" if goal else "MISSED"
        print(f"goal (all answered, p99 < 1 s, threads bounded and released): {verdict}")
        return 0 if goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
