"""Alembic environment for contestbot's store, run programmatically by `bot.store.Store.upgrade`.

`Store` passes its own open connection in `config.attributes["connection"]` (so SQLite files and
PostgreSQL URLs work the same, and URLs with `%` need no escaping); the `sqlalchemy.url` option is a
fallback for running Alembic by hand. Offline mode prints the SQL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from bot.store import (  # noqa: F401
    schema_live,
    schema_ops,
    schema_own,
    schema_polling,
    schema_posting,
    schema_rules,
)
from bot.store.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or pass a connection")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
