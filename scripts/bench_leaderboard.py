"""Benchmark the live leaderboard at scale: `contestbot leaderboard bench --format json` on a
database of N entries (each with `--snapshots` metric snapshots), for each N of `--sizes`.

    python scripts/bench_leaderboard.py [--sizes 10000 100000 1000000] [--snapshots 10]
                                        [--db sqlite|postgresql|URL]

For each N it fills a fresh database (at the latest schema) with N entries by 2,000 authors and
their snapshots, written straight into the tables with the store's bulk INSERT (COPY on
PostgreSQL): what the poller would have stored (writing a million entries a page at a time
through the poller would take far longer than the measurements),
then measures:
  - the first read: the live rows computed from every entry once (`bot.store.live` rebuild: what
    an upgraded database, or a change of the competition's rules, costs once);
  - in process, live top-10 per category: `bot.leaderboard.board(top=10)` on an open store with
    nothing new to apply (the daemon applies each cycle's writes as it goes), best of 5;
  - in process, after one poll cycle's writes: a page of 100 new entries and 100 refreshed ones
    saved through the store, then `board(top=10)` applying them and reading, best of 3;
  - in process, a participant's place in every category (the reply to a "rank" mention,
    `bot.leaderboard.standings_reader`): per account, best of 3;
  - the whole CLI process (`python -m bot leaderboard bench --format json --top 10`, started
    fresh: imports, config, database, top-10 per category, the exclusions counted, JSON
    out): wall time and peak RSS of the child;
  - the full-standings exports, `leaderboard bench --all --include-excluded --format csv` and
    `--format json`, each a whole CLI process writing every ranked line of both categories and
    every exclusion (one entry per author: most entries are excluded somewhere) to a file, read
    back to count them: wall time, lines per second, size and peak RSS of the child.
`--db postgresql` runs the same on a throwaway PostgreSQL server on 127.0.0.1 (started from the
local binaries as the test suite does: scripts/ensure_postgres.sh installs them); `--db URL` on
that database (one the benchmark may empty: every N drops and rebuilds its tables); the default
is a temporary SQLite file.

Goals (issue 14; exit 1, printing MISSED, when one is missed), checked at the largest N run:
live top-10 per category at 1M entries in < 50 ms in process (nothing new, and after a cycle's
writes; a participant's place too) and < 1 s for the whole CLI process, peak RSS < 200 MB (the
top-10 process, and each full-standings export), and growth from the smallest to the largest N
no worse than logarithmic (time ratio <= 1 + log10 of the entries' ratio: x3 for 100x, where
linear is x100). The goals are stated for N = 1,000,000; a run whose largest N is
smaller checks the same limits there.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchgoals import DB_HELP, on_database, verdict
from sqlalchemy import text

from bot.config import parse_config
from bot.core.models import Account, Competition, Lookup, Metrics, Page, Post
from bot.core.snowflake import make_snowflake
from bot.leaderboard import board, standings_reader
from bot.store import Store
from bot.store.convert import content_values, metric_values
from bot.store.schema import Base, CompetitionEntryRow, MetricSnapshotRow, TweetIdRow, TweetRow
from bot.store.writes import bulk_insert

AUTHORS = 2000
PAGE = 100
GOAL_IN_PROCESS_MS = 50.0
GOAL_CLI_S = 1.0
GOAL_RSS_MB = 200.0
REPO = Path(__file__).resolve().parent.parent
BOT = "contestbot"  # [bot] username of CONFIG: the CLI reads the same rows

CONFIG = """\
[bot]
username = "contestbot"
dry_run = true

[[competition]]
id = "bench"
title = "Leaderboard benchmark"
hashtags = ["Bench"]
start = "{start}"
end = "{end}"
tie_rule = "earliest"
leaderboard_top = 10

[[competition.categories]]
id = "most-liked"
kind = "likes"

[[competition.categories]]
id = "most-replies"
kind = "replies"
"""


def accounts(start: datetime) -> list[Account]:
    return [
        Account(
            id=str(10_000 + a),
            username=f"user{a:04d}",
            name=f"User {a}",
            created_at=start - timedelta(days=400),
            followers=10 + a % 500,
        )
        for a in range(AUTHORS)
    ]


def build(url: str, n: int, snapshots: int, start: datetime, end: datetime) -> float:
    """Fill a fresh database with N entries and their snapshots (bulk inserts into the store's
    tables, as the poller would have written them); returns the seconds it took."""
    t0 = time.perf_counter()
    store = Store(url)
    with store.engine.begin() as conn:  # a fresh database for every N
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    store.upgrade()
    store.sync_competitions(competition_of(CONFIG_TEXT[0]), now=start)
    people = accounts(start)
    store.save_accounts(people, now=start)
    step = (end - start - timedelta(days=1)) / max(n, 1)
    chunk = 20_000
    with store.transaction() as s:  # the store's own bulk INSERT (COPY on PostgreSQL)
        for lo in range(0, n, chunk):
            tweets, ids, entries, snaps = [], [], [], []
            for i in range(lo, min(n, lo + chunk)):
                post = bench_post(i, start + step * i, people)
                seen = start + step * i
                tweets.append(
                    {
                        "key": post.id,
                        **content_values(post),
                        **metric_values(post.metrics),
                        "created_at": post.created_at,
                        "metrics_at": end - timedelta(hours=1),
                        "status": "active",
                        "status_changed_at": None,
                        "first_seen_at": seen,
                        "updated_at": seen,
                    }
                )
                ids.append({"id": post.id, "key": post.id})
                entries.append(
                    {
                        "competition_id": "bench",
                        "key": post.id,
                        "source": "search",
                        "found_at": seen,
                    }
                )
                for k in range(snapshots):
                    snaps.append(
                        {
                            "key": post.id,
                            "tweet_id": post.id,
                            "taken_at": end - timedelta(hours=snapshots - k),
                            **metric_values(post.metrics),
                        }
                    )
            bulk_insert(s, TweetRow, tweets)
            bulk_insert(s, TweetIdRow, ids)
            bulk_insert(s, CompetitionEntryRow, entries)
            bulk_insert(s, MetricSnapshotRow, snaps)
    store.close()
    return time.perf_counter() - t0


def bench_post(i: int, when: datetime, people: list[Account]) -> Post:
    tid = make_snowflake(when, i % 4096)
    return Post(
        id=tid,
        text=f"entry {i} #Bench",
        author_id=people[i % AUTHORS].id,
        created_at=when,
        edit_history_ids=(tid,),
        hashtags=("Bench",),
        metrics=Metrics(likes=(i * 7919) % 1000, replies=(i * 104729) % 50),
    )


def read_once(url: str) -> float:
    """The first read: the live rows computed from every entry. Seconds."""
    store = Store(url)
    try:
        t0 = time.perf_counter()
        board(store, competition_of(CONFIG_TEXT[0])[0], datetime.now(UTC), top=10, bot_username=BOT)
        return time.perf_counter() - t0
    finally:
        store.close()


def in_process_ms(url: str, n: int, start: datetime) -> tuple[float, float, int]:
    """(nothing new, after a cycle's writes) best milliseconds of `board(top=10)`, and the number
    of exclusions the board counts."""
    store = Store(url)
    try:
        competition = competition_of(CONFIG_TEXT[0])[0]
        idle = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            shown = board(store, competition, datetime.now(UTC), top=10, bot_username=BOT)
            idle = min(idle, (time.perf_counter() - t0) * 1000)
        people = accounts(start)
        after = float("inf")
        for cycle in range(3):
            now = datetime.now(UTC)
            base = n + 1000 * cycle
            new = tuple(
                bench_post(base + j, now - timedelta(minutes=5), people) for j in range(100)
            )
            page = Page(new, tuple(people[:100]), new[-1].id, new[0].id, len(new), None)
            store.save_page("bench", "search:0", page, now=now)
            old = tuple(
                replace(p, metrics=Metrics(likes=p.metrics.likes + 5, replies=p.metrics.replies))
                for p in (bench_post(j * (n // 100), start, people) for j in range(100))
            )
            store.save_lookup(Lookup(old, ()), now)
            t0 = time.perf_counter()
            board(store, competition, now, top=10, bot_username=BOT)
            after = min(after, (time.perf_counter() - t0) * 1000)
        return idle, after, shown.exclusion_count
    finally:
        store.close()


def place_ms(url: str, start: datetime) -> float:
    """Best milliseconds per account of a participant's place in every category (what the reply
    to a "rank" mention says: `bot.leaderboard.standings_reader`), over three authors of
    N / 2,000 entries each, best of 3."""
    store = Store(url)
    try:
        competition = competition_of(CONFIG_TEXT[0])[0]
        people = accounts(start)
        best = float("inf")
        for _ in range(3):
            now = datetime.now(UTC)
            t0 = time.perf_counter()
            read = standings_reader(store, competition, now, bot_username=BOT)
            for i in (0, AUTHORS // 3, AUTHORS - 1):
                read(people[i])
            best = min(best, (time.perf_counter() - t0) * 1000 / 3)
        return best
    finally:
        store.close()


CONFIG_TEXT: list[str] = [""]


def competition_of(config_text: str) -> tuple[Competition, ...]:
    return parse_config(config_text, source="bench_leaderboard").competitions


# The child reports its own peak RSS: the kernel's VmHWM of the process image `python -m bot`
# runs in. (The rusage of a waited-for child counts the memory of the process it was forked
# from before its exec, here the benchmark's own, which holds the database it just built.)
_CHILD = """
import os, runpy, sys
sys.argv = ["bot", *sys.argv[1:]]
try:
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(peak)
"""


def cli_run(
    url: str, config_path: Path, *args: str, output: Path | None = None
) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit status of one fresh CLI process: the top-10 JSON
    leaderboard, or `leaderboard bench *args` with its output written to `output`."""
    peak_file = config_path.with_name("peak-kb")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CONTESTBOT_CONFIG": str(config_path),
        "PYTHONPATH": str(REPO),
        "BENCH_PEAK_FILE": str(peak_file),
    }
    command = args or ("--format", "json", "--top", "10")
    t0 = time.perf_counter()
    with output.open("wb") if output is not None else open(os.devnull, "wb") as out:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, "leaderboard", "bench", *command],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.PIPE,
            check=False,
        )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
    return wall, int(peak_file.read_text()) / 1024, proc.returncode


def _entries_exported(path: Path, fmt: str) -> int:
    """The lines of an export, ranked (every category) and excluded, read back as a user's
    script would."""
    with path.open(encoding="utf-8") as f:
        if fmt == "csv":
            return sum(1 for _ in csv.DictReader(f))
        doc = json.load(f)
        return sum(len(c["entries"]) for c in doc["categories"]) + len(doc["excluded"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--snapshots", type=int, default=10)
    parser.add_argument("--db", default="sqlite", help=DB_HELP)
    args = parser.parse_args(argv)
    return on_database(args.db, lambda label, url: run(args, label, url))


def run(args: argparse.Namespace, label: str, url_given: str | None) -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(days=6), now + timedelta(days=1)
    CONFIG_TEXT[0] = CONFIG.format(start=start.isoformat(), end=end.isoformat())
    rows: list[tuple[int, float, float, float, float]] = []
    export_rss: list[float] = []
    places: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "contestbot.toml"
        config_path.write_text(CONFIG_TEXT[0], encoding="utf-8")
        for n in sorted(args.sizes):
            url = url_given or f"sqlite:///{tmp}/bench-{n}.db"
            built = build(url, n, args.snapshots, start, end)
            first = read_once(url)
            idle, after, excluded = in_process_ms(url, n, start)
            place = place_ms(url, start)
            wall, rss, code = cli_run(url, config_path)
            if code != 0:
                print(f"N={n}: the leaderboard command failed with exit {code}", file=sys.stderr)
                return 2
            exports: list[tuple[str, float, float, int, float]] = []
            for fmt in ("csv", "json"):
                path = Path(tmp) / f"all.{fmt}"
                e_wall, e_rss, e_code = cli_run(
                    url, config_path, "--all", "--include-excluded", "--format", fmt, output=path
                )
                if e_code != 0:
                    print(
                        f"N={n}: the --all {fmt} export failed with exit {e_code}", file=sys.stderr
                    )
                    return 2
                lines = _entries_exported(path, fmt)
                exports.append((fmt, e_wall, e_rss, lines, path.stat().st_size / 2**20))
                path.unlink()
            rows.append((n, idle, after, wall, rss))
            places.append(place)
            export_rss.append(max(e[2] for e in exports))
            print(
                f"{label}, N={n:>9,} entries x {args.snapshots} snapshots, 2 categories "
                f"(filled in {built:.0f} s; live rows computed once in {first:.1f} s):\n"
                f"  in process, board(top=10): nothing new {idle:7.1f} ms; after a cycle's "
                f"writes (100 new + 100 refreshed entries) {after:7.1f} ms\n"
                f"  in process, a participant's place in every category (the reply to a rank "
                f"mention; {n // AUTHORS:,} entries each): {place:7.1f} ms\n"
                f"  whole CLI process (--format json, top 10, {excluded:,} exclusions counted): "
                f"{wall:5.2f} s, peak RSS {rss:4.0f} MB\n"
                + "".join(
                    f"  full-standings export (--all --include-excluded --format {fmt}, whole CLI "
                    f"process, written to a file): {lines:,} lines (ranked and excluded), "
                    f"{size:.0f} MB in {e_wall:.1f} s "
                    f"({lines / e_wall:,.0f} lines/s), peak RSS {e_rss:.0f} MB\n"
                    for fmt, e_wall, e_rss, lines, size in exports
                ),
                end="",
                flush=True,
            )
            if url_given is None:
                Path(f"{tmp}/bench-{n}.db").unlink(missing_ok=True)
    n, idle, after, wall, rss = rows[-1]
    goals = {
        f"in process, nothing new, < {GOAL_IN_PROCESS_MS:.0f} ms at N={n:,}": idle
        < GOAL_IN_PROCESS_MS,
        f"in process, after a cycle's writes, < {GOAL_IN_PROCESS_MS:.0f} ms at N={n:,}": after
        < GOAL_IN_PROCESS_MS,
        f"in process, a participant's place < {GOAL_IN_PROCESS_MS:.0f} ms at N={n:,}": places[-1]
        < GOAL_IN_PROCESS_MS,
        f"whole CLI process < {GOAL_CLI_S:.0f} s at N={n:,}": wall < GOAL_CLI_S,
        f"peak RSS < {GOAL_RSS_MB:.0f} MB at N={n:,}": rss < GOAL_RSS_MB,
        f"full-standings exports (CSV, JSON) peak RSS < {GOAL_RSS_MB:.0f} MB at N={n:,}": (
            export_rss[-1] < GOAL_RSS_MB
        ),
    }
    if len(rows) > 1:
        limit = 1 + math.log10(n / rows[0][0])  # x3 for 100x the entries (linear: x100)
        for label, col in (("nothing new", 1), ("after a cycle's writes", 2), ("CLI", 3)):
            growth = rows[-1][col] / rows[0][col]
            print(
                f"growth, {label}, N={rows[0][0]:,} -> N={n:,} (x{n / rows[0][0]:.0f} the "
                f"entries): x{growth:.2f} the time"
            )
            goals[f"growth {label} <= x{limit:.1f} (logarithmic or flat)"] = growth <= limit
    return verdict(goals)


if __name__ == "__main__":
    sys.exit(main())
