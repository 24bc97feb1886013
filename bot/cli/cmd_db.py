"""`contestbot db upgrade`: bring the database at DATABASE_URL to the latest schema (Alembic), in
place, for SQLite files and PostgreSQL alike, and say what it did (created, upgraded from which
revision, or nothing to do). `run` and `demo` do this themselves."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.context import Context


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "db", help="database maintenance", description="Database maintenance commands."
    )
    group = p.add_subparsers(dest="db_command", metavar="ACTION", required=True, help="what to do")
    up: argparse.ArgumentParser = group.add_parser(
        "upgrade",
        help="create or migrate the database to the latest schema",
        description="Apply every pending migration to the database at DATABASE_URL (creating a "
        "SQLite file and its directory if needed). Safe to run repeatedly.",
    )
    up.set_defaults(func=upgrade)


def upgrade(ctx: Context) -> int:
    from bot.app import open_store

    settings = ctx.settings()
    store = open_store(settings)
    try:
        before = store.current_revision()
        store.upgrade()
        after = store.current_revision()
    finally:
        store.close()
    where = settings.database_url_masked
    if before is None:
        message = f"created the database {where} at revision {after} (the latest schema)"
    elif before != after:
        message = f"upgraded the database {where} from revision {before} to {after} (the latest)"
    else:
        message = f"the database {where} is already at the latest schema (revision {after})"
    ctx.out.write(message + "\n")
    return 0
