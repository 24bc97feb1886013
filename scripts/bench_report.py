"""Benchmark: the report of a frozen competition with N entries (default 10,000), on SQLite.

    python scripts/bench_report.py [--entries 10000] [--db URL] [--keep DIR]

Builds the competition as the bot would: a sandbox (in process, rate limits lifted) holding N
entries by 2,000 authors over six days (a tenth of them community members, three languages, two
hashtags, a partner mentioned), one poll cycle and the freeze through the real client and store.
Then times what `contestbot report` does, in process: gathering from the store and analysing
(`gather`), and rendering and writing every file (`write_report`); and prints each file's size.

Goals: the organiser's report (report.html) is self-contained and under 1 MB at 10,000 entries
(issue 11); the public page (results.html) carries the whole committed result so that the reader's
browser can hash it, which costs about 200 bytes per entry after gzip and base64, so its goal is
50 kB + 250 bytes per entry (2.55 MB at 10,000 entries; under 1 MB up to about 3,800); and the
embedded result hashes to the digest. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.config import parse_config
from bot.freezer import freeze_if_due
from bot.polling.poller import Poller
from bot.report.gather import gather
from bot.report.write import write_report
from bot.sandbox import Sandbox, World
from bot.sandbox.ratelimit import LIMITS
from bot.store import Store
from bot.x.tweepy_client import TweepyXClient

NOW = datetime(2026, 9, 8, 12, 0, tzinfo=UTC)
START = NOW - timedelta(days=6)
AUTHORS = 2000
ORGANISER_LIMIT = 1_000_000  # bytes
PUBLIC_BASE, PUBLIC_PER_ENTRY = 50_000, 250  # bytes


def config_text(members: list[str]) -> str:
    return f"""
[bot]
username = "contestbot"

[[competition]]
id = "bench"
title = "Benchmark contest"
hashtags = ["Bench", "IGF"]
accounts = ["contestbot", "partner"]
organisers = ["orga"]
community = {members!r}
start = "{START.isoformat()}"
end = "{(NOW - timedelta(hours=1)).isoformat()}"
timezone = "Europe/Paris"
late_posts_grace = "2m"

[[competition.categories]]
id = "most-liked"
kind = "likes"
title = "Most liked"
winners = 3

[[competition.categories]]
id = "most-comments"
kind = "replies"
title = "Most comments"

[[competition.categories]]
id = "weighted"
kind = "weighted"
title = "Most engaging"
weights = {{ likes = 1, replies = 2, reposts = 3 }}
""".replace("'", '"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--keep", help="write the report into this folder (default: temporary)")
    args = parser.parse_args(argv)
    n = args.entries
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    url = args.db or f"sqlite:///{tmp / 'bench.db'}"
    clock = ManualClock(START)
    world = World(clock)
    names = [f"user{i:04d}" for i in range(AUTHORS)]
    for i, name in enumerate(names):
        world.add_user(name, followers=(i * 37) % 5000)
    members = names[: AUTHORS // 10]
    langs = ("en", "fr", "es")
    span = (NOW - timedelta(hours=1) - START) / max(n, 1)
    for i in range(n):
        tags = "#Bench #IGF" if i % 5 == 0 else "#Bench"
        mention = " @partner" if i % 11 == 0 else ""
        tid = world.post(
            names[i % AUTHORS],
            f"entry {i} about the forum {tags}{mention}",
            at=START + span * i,
            lang=langs[i % 3],
        )
        world.set_metrics(tid, likes=(i * 7) % 97, replies=(i * 3) % 17, retweets=i % 5)
    world.add_user("orga")
    world.add_user("partner")
    sandbox = Sandbox(world, clock=clock, bot_username="contestbot")
    sandbox.limits.overrides = {name: 10**9 for name in LIMITS}
    sandbox.start()
    config = parse_config(config_text(members), source="bench.toml")
    competition = config.competitions[0]
    store = Store(url)
    try:
        store.upgrade()
        client = TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url)
        clock.set(NOW - timedelta(minutes=30))
        built = time.perf_counter()
        Poller(client, store, clock).run_cycle([competition])
        clock.set(NOW)
        assert freeze_if_due(
            competition,
            client=client,
            store=store,
            clock=clock,
            bot_username="contestbot",
            settle=timedelta(0),
        ), "the benchmark competition did not freeze"
        built = time.perf_counter() - built
        t0 = time.perf_counter()
        data = gather(store, config, competition, clock.now())
        t1 = time.perf_counter()
        out = Path(args.keep) if args.keep else tmp / "reports"
        written = write_report(data, out)
        t2 = time.perf_counter()
    finally:
        store.close()
        sandbox.stop()
    entries = len(data.series)
    print(
        f"report of one frozen competition, {entries} entries, {AUTHORS} authors, "
        f"3 categories, {url.split(':')[0]} (built by poll + freeze in {built:.1f} s)"
    )
    print(f"  gather + analyse (store reads, pure analysis): {t1 - t0:6.2f} s")
    print(f"  render + write (HTML, JSON, CSV, charts):      {t2 - t1:6.2f} s")
    print(f"  whole report:                                  {t2 - t0:6.2f} s")
    ok = True
    limits = {
        written.organiser: ORGANISER_LIMIT,
        written.public: PUBLIC_BASE + PUBLIC_PER_ENTRY * entries,
    }
    for path in sorted(written.files):
        size = path.stat().st_size
        mark = ""
        if path in limits:
            goal = limits[path]
            verdict = "ok" if size < goal else "TOO BIG"
            mark = (
                f"  {verdict} (goal < {goal / 1000:.0f} kB; {size / max(entries, 1):.0f} B/entry)"
            )
            ok = ok and size < goal
        print(f"  {path.relative_to(written.folder).as_posix():34s} {size / 1000:9.1f} kB{mark}")
    html = written.public.read_text(encoding="utf-8")
    packed = re.search(r'data-encoding="gzip\+base64">([^<]+)<', html)
    digest = data.current.digest if data.current else None
    if packed is None or digest is None:
        print("  the public page carries no embedded result: FAILED")
        return 1
    raw = gzip.decompress(base64.b64decode(packed.group(1)))
    matches = hashlib.sha256(raw).hexdigest() == digest
    print(
        f"  embedded result: {len(raw) / 1000:.1f} kB canonical, "
        f"{len(packed.group(1)) / 1000:.1f} kB in the page (gzip + base64), digest "
        f"{'matches' if matches else 'DOES NOT MATCH'}"
    )
    ok = ok and matches
    print("goal met" if ok else "goal MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
