"""Wiring: `Settings` -> the X client, the store and the poller, built alike for every command.

The only place that turns settings into live collaborators, so commands stay short and tests can
build the same objects against the sandbox. Imports of the heavier modules (tweepy, SQLAlchemy)
happen inside the functions, so `contestbot --help` stays fast and works on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loguru import logger

from bot.clock import Clock
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.polling.poller import Poller
    from bot.store import Store
    from bot.x.tweepy_client import TweepyXClient


class MissingCredentials(Exception):
    """A command needs credentials that are not set. `names` lists the variables."""

    def __init__(self, names: tuple[str, ...], purpose: str) -> None:
        self.names = names
        self.purpose = purpose
        super().__init__(
            f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} not set ({purpose}) — "
            "put them in .env (see .env.example) or the environment"
        )


class NoDatabase(Exception):
    """A read-only command found no database file (nothing has been polled yet)."""


def open_store(settings: Settings) -> Store:
    """The store at `DATABASE_URL`, creating the SQLite file's directory if needed (not upgraded:
    `run` and `db upgrade` call `upgrade()`)."""
    from bot.store import Store

    # Store() checks a SQLite path (folder, below a file, not a database) before creating its
    # folder, so a refused path leaves nothing behind.
    logger.debug("opening the database {}", settings.database_url_masked)
    return Store(settings.database_url)


def existing_store(settings: Settings) -> Store:
    """The store, for commands that only read: never creates a SQLite file."""
    path = settings.sqlite_path
    if path is not None:
        from bot.store.paths import check_sqlite_file

        check_sqlite_file(path)  # a folder or a path below a file: exit 2, not "no database"
    if path is not None and not path.exists():
        raise NoDatabase(
            f"no database at {path} yet — run `contestbot run --once` (or `contestbot db upgrade`)"
            " first, or set DATABASE_URL to the bot's database"
        )
    store = open_store(settings)
    if store.current_revision() is None:  # a server database nothing has written to yet
        store.close()
        raise NoDatabase(
            f"no database at {settings.database_url_masked} yet (it holds no contestbot tables) — "
            "run `contestbot run --once` (or `contestbot db upgrade`) first, or set DATABASE_URL "
            "to the bot's database"
        )
    if not store.is_current():
        store.close()
        raise NoDatabase(
            f"the database {settings.database_url_masked} is not at the latest schema — run "
            "`contestbot db upgrade` (or `contestbot run`, which upgrades it)"
        )
    return store


def make_client(settings: Settings) -> TweepyXClient:
    """The X client for `X_API_BASE_URL`. Reading needs X_BEARER_TOKEN; the user-context
    credentials (posting, mentions) are passed when set."""
    from bot.x.tweepy_client import TweepyXClient

    missing = settings.missing("X_BEARER_TOKEN")
    if missing:
        raise MissingCredentials(missing, "needed to read from the X API")

    def raw(name: str) -> str:
        secret = getattr(settings, name)
        return secret.reveal() if secret else ""

    logger.debug(
        "X client for {} (user context: {})",
        settings.x_api_base_url,
        "yes" if settings.has_user_context else "no",
    )
    return TweepyXClient(
        raw("x_bearer_token"),
        raw("x_api_key"),
        raw("x_api_secret"),
        raw("x_access_token"),
        raw("x_access_token_secret"),
        base_url=settings.x_api_base_url,
    )


def make_poller(client: TweepyXClient, store: Store, clock: Clock) -> Poller:
    from bot.polling.poller import Poller

    return Poller(client, store, clock)
