"""Shared fixtures: a `clock` (ManualClock) and a started `sandbox` (real local X API server on
127.0.0.1, port 0, with a bot account and its credentials); a migrated `store` on the test
database (`db_url`: SQLite, or PostgreSQL with --db postgresql), our `client` for the sandbox and
a `poller` of both; plus `redirect_client`, which mounts the CONTRACT.md §9 redirect adapter on a
tweepy Client's session so it talks to the sandbox. `chromium` and `browser_page` (at the end;
helpers in tests/browser.py) load pages in a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from requests.adapters import HTTPAdapter

from bot.clock import ManualClock
from bot.polling.poller import Poller
from bot.sandbox import Sandbox, World
from bot.store import Store
from bot.x.tweepy_client import TweepyXClient
from tests import browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytest_plugins = ["tests.db_fixture"]

START = datetime(2026, 9, 1, 12, 0, 0, tzinfo=UTC)


class RedirectAdapter(HTTPAdapter):
    """Sends requests meant for https://api.twitter.com to the sandbox instead. The OAuth 1.0a
    signature was already computed over api.twitter.com, as the sandbox expects."""

    def __init__(self, base_url: str, timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        request.url = request.url.replace("https://api.twitter.com", self.base_url, 1)
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def redirect_client(client: Any, base_url: str, timeout: float | None = None) -> Any:
    """Point a tweepy Client (or a requests.Session) at `base_url`; returns it."""
    session = getattr(client, "session", client)
    session.mount("https://api.twitter.com", RedirectAdapter(base_url, timeout))
    return client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[Sandbox]:
    sb = Sandbox(World(clock), clock=clock, bot_username="contestbot")
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.upgrade()
    yield s
    s.close()


@pytest.fixture
def client(sandbox: Sandbox) -> TweepyXClient:
    return TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url)


@pytest.fixture
def poller(client: TweepyXClient, store: Store, clock: ManualClock) -> Poller:
    return Poller(client, store, clock)


# --- Real browser (tests/browser.py) -------------------------------------------------------------
# `chromium`: one headless Chromium (Debian's package, driven by Playwright) per session; skips
# without one, fails under CI. `browser_page`: a fresh context and page per test, as a LoadedPage
# (`.load(path_or_url)`, `.errors`, `.blocked`). Mark such tests `@pytest.mark.browser`.


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with browser.launch_chromium() as launched:
        yield launched


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[browser.LoadedPage]:
    with browser.open_page(chromium) as loaded:
        yield loaded
