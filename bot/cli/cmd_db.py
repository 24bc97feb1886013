"""`contestbot db upgrade`: bring the database at DATABASE_URL to the latest schema (Alembic), in
place, for SQLite files and PostgreSQL alike. `run` and `demo` do this themselves."""

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
    store.upgrade()
    ctx.out.write(f"database {settings.database_url_masked} is at the latest schema\n")
    return 0
