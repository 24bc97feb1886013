"""Real-browser helpers for tests: headless Chromium (Debian's `chromium` package) driven by
Playwright's sync API. Playwright's own browser download (`playwright install`) is never used.

The fixtures in tests/conftest.py wrap this module:

- `chromium` (session): one launched `playwright.sync_api.Browser`. The binary is
  `$CONTESTBOT_CHROMIUM`, else /usr/bin/chromium, else `chromium` on PATH. With none, the test is
  skipped, or fails under CI (`bash scripts/ensure_chromium.sh` installs it).
- `browser_page` (function): a `LoadedPage` in a fresh browser context; `.load(path_or_url)`
  opens a file (as a file:// URL) or URL and waits for the load event; `.errors` collects
  console errors, uncaught page errors and blocked network requests.

The browser never reaches the network: every request whose URL is not file:// (or data:/blob:,
which never leave the browser) or http://127.0.0.1 is aborted and recorded in `.errors` and
`.blocked`, and host names other than 127.0.0.1 do not resolve (a backstop for what request
routing does not see: preconnects, DNS prefetch, WebSockets). Service workers are blocked.

Playwright is imported lazily, so the rest of the suite runs where it is not installed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Route, ViewportSize

ENV_CHROMIUM = "CONTESTBOT_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
FIX = (
    "run `bash scripts/ensure_chromium.sh` (or `apt-get install chromium`), "
    f"or set {ENV_CHROMIUM} to a Chromium binary"
)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # No host name resolves except 127.0.0.1: catches what request routing cannot see.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
LAUNCH_TIMEOUT_MS = 60_000
DEFAULT_TIMEOUT_MS = 10_000
DESKTOP_VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
PHONE_VIEWPORT: ViewportSize = {"width": 375, "height": 740}
LOCAL_SCHEMES = ("file", "data", "blob")

#: Seconds the last `launch_chromium` took to start Playwright and launch the browser.
last_launch_seconds: float | None = None


def find_chromium() -> str | None:
    """The Chromium binary to use: $CONTESTBOT_CHROMIUM, /usr/bin/chromium, `chromium` on PATH."""
    candidates = [os.environ.get(ENV_CHROMIUM, ""), DEFAULT_CHROMIUM, shutil.which("chromium")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_browser(message: str, fix: str = FIX) -> NoReturn:
    """Fail under CI (which must have a browser), skip on a developer machine without one."""
    if in_ci():
        pytest.fail(f"{message} (CI is set: browser tests must run); {fix}")
    pytest.skip(f"{message}; {fix}")


def allowed_url(url: str) -> bool:
    """Whether the browser may fetch `url`: local (file:, data:, blob:) or http://127.0.0.1."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme == "http" and parts.hostname == "127.0.0.1"


@contextlib.contextmanager
def launch_chromium(executable: str | None = None) -> Iterator[Browser]:
    """Start Playwright and launch headless Chromium; close both afterwards."""
    global last_launch_seconds
    path = executable or find_chromium()
    if path is None:
        env_value = os.environ.get(ENV_CHROMIUM)
        where = f"{ENV_CHROMIUM}={env_value!r} is not executable and " if env_value else ""
        missing_browser(f"{where}no Chromium at {DEFAULT_CHROMIUM} or on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_browser(
            "the playwright package is not installed", "run .venv/bin/pip install -e '.[test]'"
        )
    started = time.perf_counter()
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=LAUNCH_ARGS, timeout=LAUNCH_TIMEOUT_MS
        )
        last_launch_seconds = time.perf_counter() - started
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@dataclass
class LoadedPage:
    """A page in its own browser context, with what went wrong on it.

    `errors` holds, in order, console messages of type "error", uncaught exceptions
    ("pageerror") and blocked network requests; `blocked` holds the blocked URLs alone."""

    page: Page
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def load(self, target: str | os.PathLike[str]) -> LoadedPage:
        """Open a file (as a file:// URL) or a URL and wait for its load event."""
        if isinstance(target, str) and "://" in target:
            url = target
        else:
            path = Path(target).resolve()
            if not path.is_file():
                raise FileNotFoundError(f"no page to load at {path}")
            url = path.as_uri()
        self.page.goto(url, wait_until="load")
        return self

    def wait_for_errors(self, count: int = 1, timeout_ms: float = 2_000) -> list[str]:
        """Wait until at least `count` errors are recorded (for asynchronous ones, such as a
        fetch() after the load event) or `timeout_ms` passes; returns the errors so far."""
        deadline = time.monotonic() + timeout_ms / 1000
        while len(self.errors) < count and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)  # lets Playwright deliver pending events
        return self.errors

    def assert_no_errors(self) -> None:
        assert not self.errors, "the page reported errors:\n" + "\n".join(self.errors)

    def horizontal_overflow(self) -> int:
        return horizontal_overflow(self.page)

    def screenshot(self, path: str | os.PathLike[str]) -> Path:
        return screenshot(self.page, path)

    # Event handlers, installed by `open_page`.

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location
            where = f" ({location.get('url', '')}:{location.get('lineNumber', '')})"
            self.errors.append(f"console.error: {message.text}{where}")

    def _on_page_error(self, error: Error) -> None:
        self.errors.append(f"pageerror: {error.name}: {error.message}")

    def _on_route(self, route: Route) -> None:
        request = route.request
        if allowed_url(request.url):
            route.fallback()
            return
        self.blocked.append(request.url)
        self.errors.append(
            f"blocked network request: {request.method} {request.url} "
            "(tests never reach the network; inline the resource)"
        )
        route.abort("blockedbyclient")


@contextlib.contextmanager
def open_page(browser: Browser) -> Iterator[LoadedPage]:
    """A fresh context and page on `browser` (desktop viewport), closed afterwards."""
    context = browser.new_context(viewport=DESKTOP_VIEWPORT, service_workers="block")
    try:
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        page = context.new_page()
        loaded = LoadedPage(page)
        context.route("**/*", loaded._on_route)
        page.on("console", loaded._on_console)
        page.on("pageerror", loaded._on_page_error)
        yield loaded
    finally:
        context.close()


def horizontal_overflow(page: Page) -> int:
    """Pixels the document is wider than the viewport at phone size (375x740); 0 fits.

    Leaves the page at that viewport."""
    page.set_viewport_size(PHONE_VIEWPORT)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return int(overflow)


def screenshot(page: Page, path: str | os.PathLike[str]) -> Path:
    """Save a full-page PNG of `page` at `path` (parent directories created); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=out, full_page=True)
    return out
