"""Benchmark the live leaderboard at scale: `contestbot leaderboard bench --format json` on a
database of N entries (each with `--snapshots` metric snapshots), for each N of `--sizes`.

    python scripts/bench_leaderboard.py [--sizes 10000 100000] [--snapshots 10]
                                        [--db sqlite|postgresql|URL]

For each N it builds a fresh database through the store, as the poller writes it (pages of 100
posts by 2,000 authors, then refresh snapshots of every entry), and measures:
  - in process: `bot.freezer.live_standings` (what the command computes: read, score, rank every
    category) on an open store, best of 3;
  - the whole CLI process (`python -m bot leaderboard bench --format json --top 10`, started
    fresh: imports, config, database, scoring, JSON out): wall time and peak RSS of the child.
`--db postgresql` runs the same on a throwaway PostgreSQL server on 127.0.0.1 (started from the
local binaries as the test suite does: scripts/ensure_postgres.sh installs them); `--db URL` on
that database (one the benchmark may empty: every N drops and rebuilds its tables); the default
is a temporary SQLite file.

Goals (issue 14; exit 1, printing MISSED, when one is missed), checked at the largest N run:
live top-10 per category at 1M entries in < 50 ms in process and < 1 s for the whole CLI
process, peak RSS < 200 MB, and growth from the smallest to the largest N no worse than
logarithmic (time ratio <= 1 + log10 of the entries' ratio: x3 for 100x, where linear is x100).
The goals are stated for N = 1,000,000; a run whose largest N is smaller checks the same limits
there.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchgoals import verdict
from sqlalchemy import text

from bot.config import parse_config
from bot.core.models import Account, Competition, Lookup, Metrics, Page, Post
from bot.core.snowflake import make_snowflake
from bot.store import Store
from bot.store.schema import Base

AUTHORS = 2000
PAGE = 100
GOAL_IN_PROCESS_MS = 50.0
GOAL_CLI_S = 1.0
GOAL_RSS_MB = 200.0
REPO = Path(__file__).resolve().parent.parent

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
    """Fill a fresh database with N entries and their snapshots; returns the seconds it took."""
    t0 = time.perf_counter()
    store = Store(url)
    with store.engine.begin() as conn:  # a fresh database for every N
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    store.upgrade()
    store.sync_competitions(competition_of(CONFIG_TEXT[0]), now=start)
    people = accounts(start)
    step = (end - start - timedelta(days=1)) / max(n, 1)
    posts: list[Post] = []
    for i in range(n):
        when = start + step * i
        tid = make_snowflake(when, i % 4096)
        author = people[i % AUTHORS]
        posts.append(
            Post(
                id=tid,
                text=f"entry {i} #Bench",
                author_id=author.id,
                created_at=when,
                edit_history_ids=(tid,),
                hashtags=("Bench",),
                metrics=Metrics(likes=(i * 7919) % 1000, replies=(i * 104729) % 50),
            )
        )
    for i in range(0, n, PAGE):
        chunk = tuple(posts[i : i + PAGE])
        page = Page(chunk, tuple(people), chunk[-1].id, chunk[0].id, len(chunk), None)
        store.save_page("bench", "search:0", page, now=start + step * i)
    for k in range(snapshots):
        taken_at = end - timedelta(hours=snapshots - k)
        for i in range(0, n, 1000):
            store.save_lookup(Lookup(tuple(posts[i : i + 1000]), ()), taken_at)
    store.close()
    return time.perf_counter() - t0


def in_process_ms(url: str) -> float:
    from bot.freezer import live_standings

    best = float("inf")
    store = Store(url)
    try:
        competition = competition_of(CONFIG_TEXT[0])[0]
        for _ in range(3):
            t0 = time.perf_counter()
            live_standings(store, competition, datetime.now(UTC))
            best = min(best, (time.perf_counter() - t0) * 1000)
    finally:
        store.close()
    return best


CONFIG_TEXT: list[str] = [""]


def competition_of(config_text: str) -> tuple[Competition, ...]:
    return parse_config(config_text, source="bench_leaderboard").competitions


def cli_run(url: str, config_path: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit status of one fresh CLI process."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CONTESTBOT_CONFIG": str(config_path),
        "PYTHONPATH": str(REPO),
    }
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "leaderboard", "bench", "--format", "json", "--top", "10"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0 and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode(errors="replace"))
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--snapshots", type=int, default=10)
    parser.add_argument(
        "--db", default="sqlite", help="sqlite (default), postgresql (a throwaway server) or a URL"
    )
    args = parser.parse_args(argv)
    if args.db == "postgresql":
        from tests.db_fixture import find_bindir, running_postgres

        bindir = find_bindir()
        if bindir is None:
            print("no PostgreSQL binaries: run scripts/ensure_postgres.sh", file=sys.stderr)
            return 2
        with running_postgres(bindir) as server:
            return run(args, "PostgreSQL", server.create_database())
    if args.db == "sqlite":
        return run(args, "SQLite", None)
    return run(args, "PostgreSQL" if args.db.startswith("postgresql") else args.db, args.db)


def run(args: argparse.Namespace, database: str, url_given: str | None) -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(days=6), now + timedelta(days=1)
    CONFIG_TEXT[0] = CONFIG.format(start=start.isoformat(), end=end.isoformat())
    rows: list[tuple[int, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "contestbot.toml"
        config_path.write_text(CONFIG_TEXT[0], encoding="utf-8")
        for n in sorted(args.sizes):
            url = url_given or f"sqlite:///{tmp}/bench-{n}.db"
            built = build(url, n, args.snapshots, start, end)
            inside = in_process_ms(url)
            wall, rss, code = cli_run(url, config_path)
            if code != 0:
                print(f"N={n}: the leaderboard command failed with exit {code}", file=sys.stderr)
                return 2
            rows.append((n, inside, wall, rss))
            print(
                f"{database}, N={n:>9,} entries x {args.snapshots} snapshots (built in "
                f"{built:.0f} s): live_standings in process {inside:9.1f} ms; whole CLI process "
                f"{wall:6.2f} s, peak RSS {rss:6.0f} MB",
                flush=True,
            )
    n, inside, wall, rss = rows[-1]
    goals = {
        f"in process < {GOAL_IN_PROCESS_MS:.0f} ms at N={n:,}": inside < GOAL_IN_PROCESS_MS,
        f"whole CLI process < {GOAL_CLI_S:.0f} s at N={n:,}": wall < GOAL_CLI_S,
        f"peak RSS < {GOAL_RSS_MB:.0f} MB at N={n:,}": rss < GOAL_RSS_MB,
    }
    if len(rows) > 1:
        growth = rows[-1][1] / rows[0][1]
        print(
            f"growth in process, N={rows[0][0]:,} -> N={n:,} (x{n / rows[0][0]:.0f} the "
            f"entries): x{growth:.1f} the time"
        )
        limit = 1 + math.log10(n / rows[0][0])  # x3 for 100x the entries (linear: x100)
        goals[f"growth <= x{limit:.1f} (logarithmic or flat)"] = growth <= limit
    return verdict(goals)


if __name__ == "__main__":
    sys.exit(main())
