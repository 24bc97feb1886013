"""What every benchmark under scripts/ shares: the verdict it ends with (one line per declared goal,
met or MISSED, then "all goals met", exit 0, or "MISSED: ..." naming the missed ones, exit 1),
and the database its `--db` names. Benchmarks import it as `from benchgoals import verdict`
(a script's own folder is on sys.path)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

DB_HELP = (
    "sqlite (default: a temporary file), postgresql (a throwaway server on 127.0.0.1, from the "
    "binaries scripts/ensure_postgres.sh installs) or a database URL"
)


class NoDatabase(Exception):
    """The `--db` asked for cannot be had (the message says what to do)."""


@contextlib.contextmanager
def database(db: str) -> Iterator[tuple[str, str | None]]:
    """`--db` as (label, URL): ("SQLite", None) for a temporary SQLite the benchmark makes
    itself, a new database on a throwaway PostgreSQL server for "postgresql" (stopped and deleted
    afterwards), or the URL given."""
    if db == "sqlite":
        yield "SQLite", None
        return
    if db != "postgresql":
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(db).get_backend_name()
        except ArgumentError:
            raise NoDatabase(
                f"--db {db!r} is neither sqlite, postgresql nor a database URL "
                "(e.g. postgresql+psycopg://user@127.0.0.1/bench)"
            ) from None
        yield {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(backend, backend), db
        return
    root = str(Path(__file__).resolve().parent.parent)  # the server comes from the test suite's
    if root not in sys.path:
        sys.path.insert(0, root)
    from tests.db_fixture import find_bindir, running_postgres

    bindir = find_bindir()
    if bindir is None:
        raise NoDatabase("no PostgreSQL binaries: run scripts/ensure_postgres.sh")
    with running_postgres(bindir) as server:
        yield "PostgreSQL", server.create_database()


def verdict(goals: Mapping[str, bool]) -> int:
    """Print each goal and the verdict; the exit status (0 when every goal is met, else 1)."""
    for goal, met in goals.items():
        print(f"goal: {goal}: {'met' if met else 'MISSED'}")
    missed = [goal for goal, met in goals.items() if not met]
    if missed:
        print("MISSED: " + "; ".join(missed))
        return 1
    print("all goals met")
    return 0


def on_database(db: str, run: Callable[[str, str | None], int]) -> int:
    """`run(label, url)` on the database `--db` names (`database`); exit 2, saying what to do,
    when it cannot be had."""
    try:
        with database(db) as (label, url):
            return run(label, url)
    except NoDatabase as exc:
        print(exc, file=sys.stderr)
        return 2
