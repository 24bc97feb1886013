"""The real-browser test infrastructure (tests/browser.py, the `chromium` and `browser_page`
fixtures, scripts/ensure_chromium.sh), on small pages each test writes to tmp_path.

The `browser` tests prove what the generated report pages rely on: WebCrypto on file:// pages
(and over loopback HTTP), console errors and uncaught exceptions caught, horizontal overflow
measured at phone width, and no request ever leaving the machine.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests import browser
from tests.browser import LoadedPage

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ensure_chromium.sh"
BASH = shutil.which("bash") or "/bin/bash"

# A string with non-ASCII characters, so the page must hash its UTF-8 bytes as Python does.
MESSAGE = "contestbot — résultats vérifiables ✓ 2026"

SHA256_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sha256</title></head>
<body>
<p id="message">{message}</p>
<p id="secure"></p>
<p id="digest"></p>
<script>
(async () => {{
  document.getElementById("secure").textContent = String(window.isSecureContext);
  const text = document.getElementById("message").textContent;
  const bytes = new TextEncoder().encode(text);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  document.getElementById("digest").textContent = Array.from(new Uint8Array(digest))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  document.body.dataset.done = "1";
}})().catch((e) => {{
  document.getElementById("digest").textContent = "error: " + e;
  document.body.dataset.done = "1";
}});
</script>
</body></html>
"""


def _write(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def _page(body: str, head: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>test</title>{head}</head>\n<body>{body}</body></html>\n"
    )


def _digest_on_page(loaded: LoadedPage) -> tuple[str, str]:
    loaded.page.wait_for_selector("body[data-done]", state="attached")
    secure = loaded.page.text_content("#secure") or ""
    digest = loaded.page.text_content("#digest") or ""
    return secure, digest


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serve(directory: Path) -> Iterator[str]:
    """Serve `directory` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------------------------------
# In the browser


@pytest.mark.browser
def test_webcrypto_sha256_works_on_a_file_page(browser_page: LoadedPage, tmp_path: Path) -> None:
    path = _write(tmp_path, "sha.html", SHA256_PAGE.format(message=MESSAGE))
    started = time.perf_counter()
    loaded = browser_page.load(path)
    load_seconds = time.perf_counter() - started
    secure, digest = _digest_on_page(loaded)
    assert loaded.page.url.startswith("file://")
    assert secure == "true"  # file:// pages are secure contexts in Chromium: crypto.subtle exists
    assert digest == hashlib.sha256(MESSAGE.encode("utf-8")).hexdigest()
    loaded.assert_no_errors()
    print(f"chromium launch {browser.last_launch_seconds:.3f}s, page load {load_seconds:.3f}s")


@pytest.mark.browser
def test_webcrypto_sha256_works_over_loopback_http(
    browser_page: LoadedPage, tmp_path: Path
) -> None:
    _write(tmp_path, "sha.html", SHA256_PAGE.format(message=MESSAGE))
    with _serve(tmp_path) as base_url:
        loaded = browser_page.load(f"{base_url}/sha.html")
        secure, digest = _digest_on_page(loaded)
    assert secure == "true"  # http://127.0.0.1 is potentially trustworthy, hence secure
    assert digest == hashlib.sha256(MESSAGE.encode("utf-8")).hexdigest()
    assert loaded.blocked == []
    loaded.assert_no_errors()


@pytest.mark.browser
def test_a_clean_page_has_no_errors(browser_page: LoadedPage, tmp_path: Path) -> None:
    path = _write(tmp_path, "clean.html", _page("<p>fine</p><script>console.log('hi')</script>"))
    loaded = browser_page.load(path)
    assert loaded.page.text_content("p") == "fine"
    assert loaded.errors == []
    loaded.assert_no_errors()


@pytest.mark.browser
def test_console_error_is_caught(browser_page: LoadedPage, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "console.html",
        _page("<script>console.warn('only a warning'); console.error('boom', 42)</script>"),
    )
    loaded = browser_page.load(path)
    assert len(loaded.errors) == 1
    assert loaded.errors[0].startswith("console.error: boom 42")
    with pytest.raises(AssertionError, match="boom 42"):
        loaded.assert_no_errors()


@pytest.mark.browser
def test_an_uncaught_exception_is_caught(browser_page: LoadedPage, tmp_path: Path) -> None:
    path = _write(
        tmp_path, "throws.html", _page("<script>null.property; console.log('unreached')</script>")
    )
    loaded = browser_page.load(path)
    assert len(loaded.errors) == 1
    assert loaded.errors[0].startswith("pageerror: TypeError:")


@pytest.mark.browser
def test_a_wide_element_overflows_at_phone_width(browser_page: LoadedPage, tmp_path: Path) -> None:
    path = _write(
        tmp_path, "wide.html", _page('<table style="width:2000px"><tr><td>wide</td></tr></table>')
    )
    loaded = browser_page.load(path)
    assert loaded.horizontal_overflow() > 0
    assert loaded.page.viewport_size == {"width": 375, "height": 740}
    shot = loaded.screenshot(tmp_path / "shots" / "wide.png")
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    loaded.assert_no_errors()


@pytest.mark.browser
def test_a_fluid_page_does_not_overflow_at_phone_width(
    browser_page: LoadedPage, tmp_path: Path
) -> None:
    body = (
        '<main style="max-width:60rem;margin:auto;padding:1rem">'
        "<h1>Results</h1><p>" + "A long paragraph of words that wraps. " * 40 + "</p>"
        '<div style="overflow-x:auto"><table style="width:2000px"><tr><td>scrolls inside its box'
        "</td></tr></table></div></main>"
    )
    loaded = browser_page.load(_write(tmp_path, "fluid.html", _page(body)))
    assert browser.horizontal_overflow(loaded.page) == 0
    loaded.assert_no_errors()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("kind", "html", "url"),
    [
        (
            "CDN script",
            '<script src="https://cdn.example.com/lib.js"></script>',
            "https://cdn.example.com/lib.js",
        ),
        (
            "stylesheet",
            '<link rel="stylesheet" href="https://fonts.example.net/css">',
            "https://fonts.example.net/css",
        ),
        (
            "image by IP",
            '<img src="http://192.0.2.1/pixel.png" alt="">',
            "http://192.0.2.1/pixel.png",
        ),
        (
            "fetch()",
            "<script>fetch('https://api.example.org/x').catch(() => {})</script>",
            "https://api.example.org/x",
        ),
        (
            "look-alike of 127.0.0.1",
            '<script src="http://127.0.0.1.example.com/x.js"></script>',
            "http://127.0.0.1.example.com/x.js",
        ),
    ],
)
def test_requests_off_the_machine_are_blocked_and_recorded(
    browser_page: LoadedPage, tmp_path: Path, kind: str, html: str, url: str
) -> None:
    loaded = browser_page.load(_write(tmp_path, "remote.html", _page(html)))
    loaded.wait_for_errors()
    assert loaded.blocked == [url], kind
    assert any(e.startswith(f"blocked network request: GET {url}") for e in loaded.errors)
    with pytest.raises(AssertionError, match="blocked network request"):
        loaded.assert_no_errors()


@pytest.mark.browser
def test_host_names_do_not_resolve_even_where_routing_cannot_see(
    browser_page: LoadedPage, tmp_path: Path
) -> None:
    """WebSockets bypass request routing; the host resolver rules stop them. `localhost` names
    this machine, yet a WebSocket to it never connects: only 127.0.0.1 resolves."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        script = (
            f"const ws = new WebSocket('ws://localhost:{port}/');"
            "ws.onerror = () => { document.title = 'refused'; };"
        )
        loaded = browser_page.load(_write(tmp_path, "ws.html", _page(f"<script>{script}</script>")))
        loaded.page.wait_for_function("() => document.title === 'refused'")
        listener.settimeout(0.2)
        with pytest.raises(TimeoutError):
            listener.accept()
    assert any("ERR_NAME_NOT_RESOLVED" in e for e in loaded.wait_for_errors()), loaded.errors


@pytest.mark.browser
def test_each_page_gets_a_fresh_context(chromium: Browser, tmp_path: Path) -> None:
    writer = _write(tmp_path, "writer.html", _page("<script>localStorage.x = '1'</script>"))
    reader = _write(
        tmp_path, "reader.html", _page("<script>document.title = localStorage.length</script>")
    )
    # over loopback HTTP: one origin for both pages (file:// storage is not reliably shared
    # between two files, so a file:// test would pass for the wrong reason)
    with _serve(tmp_path) as base:
        with browser.open_page(chromium) as first:
            first.load(f"{base}/{writer.name}").page.wait_for_function(
                "() => localStorage.x === '1'"
            )
            first.load(f"{base}/{reader.name}")
            assert first.page.title() == "1"  # the same context shares the origin's storage
        with browser.open_page(chromium) as second:
            assert second.load(f"{base}/{reader.name}").page.title() == "0"  # a fresh context
    assert chromium.contexts == []


@pytest.mark.browser
def test_loading_a_missing_file_is_an_error(browser_page: LoadedPage, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no page to load at .*nothing\.html"):
        browser_page.load(tmp_path / "nothing.html")


# --------------------------------------------------------------------------------------------------
# Without a browser


@pytest.mark.parametrize(
    "url",
    [
        "file:///tmp/report.html",
        "data:text/plain,hi",
        "blob:file:///4f1e",
        "http://127.0.0.1/",
        "http://127.0.0.1:8123/results.html?x=1",
    ],
)
def test_local_urls_are_allowed(url: str) -> None:
    assert browser.allowed_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/lib.js",
        "http://example.com/",
        "http://localhost:8000/",
        "https://127.0.0.1/",
        "http://127.0.0.1.example.com/",
        "http://user@8.8.8.8/",
        "ws://example.com/socket",
    ],
)
def test_remote_urls_are_blocked(url: str) -> None:
    assert not browser.allowed_url(url)


def test_finds_the_binary_from_the_environment_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv(browser.ENV_CHROMIUM, str(fake))
    assert browser.find_chromium() == str(fake)


def test_no_browser_skips_on_a_developer_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"ensure_chromium\.sh"):
        browser.missing_browser("no Chromium")


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_no_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"ensure_chromium\.sh.*apt-get install"):
        browser.missing_browser("no Chromium")


def test_no_browser_found_fails_the_fixture_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv(browser.ENV_CHROMIUM, str(tmp_path / "absent"))
    monkeypatch.setattr(browser, "DEFAULT_CHROMIUM", str(tmp_path / "absent-too"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with (
        pytest.raises(pytest.fail.Exception, match="is not executable and no Chromium"),
        browser.launch_chromium(),
    ):
        pass


# --------------------------------------------------------------------------------------------------
# scripts/ensure_chromium.sh (against a fake apt-get and sudo, so no root and no network)


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _stub(path: Path, body: str = "exit 0") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


def _sandbox_path(tmp_path: Path, *, uid: int | None = None) -> Path:
    """A PATH with `id` (real, or a stub reporting `uid`) and no apt-get, sudo or chromium."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if uid is None:
        real = shutil.which("id")
        assert real is not None, "id is needed to run this test"
        (bin_dir / "id").symlink_to(real)
    else:
        _stub(bin_dir / "id", f"echo {uid}")
    return bin_dir


def _fake_apt_get(bin_dir: Path, log: Path, target: Path) -> None:
    """apt-get that logs its arguments and, on install, puts a stub browser at `target`."""
    mkdir, chmod = shutil.which("mkdir"), shutil.which("chmod")
    _stub(
        bin_dir / "apt-get",
        f'echo "$DEBIAN_FRONTEND $*" >> {log}\n'
        f'if [ "$1" = install ]; then {mkdir} -p {target.parent}\n'
        f"  echo '#!/bin/sh' > {target}; {chmod} +x {target}\nfi",
    )


def test_script_finds_the_machine_s_chromium_quickly() -> None:
    expected = browser.find_chromium()
    if expected is None:
        pytest.skip("no Chromium here; running the script would install it")
    env = {k: v for k, v in os.environ.items() if k != browser.ENV_CHROMIUM}
    if expected != browser.DEFAULT_CHROMIUM:
        env[browser.ENV_CHROMIUM] = expected
    started = time.perf_counter()
    run = _run(env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == expected
    assert time.perf_counter() - started < 5


def test_script_an_explicit_binary_wins(tmp_path: Path) -> None:
    _stub(tmp_path / "browser" / "chrome")
    run = _run({**os.environ, browser.ENV_CHROMIUM: str(tmp_path / "browser" / "chrome")})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(tmp_path / "browser" / "chrome")


def test_script_installs_as_root_when_missing_then_is_idempotent(tmp_path: Path) -> None:
    bin_dir = _sandbox_path(tmp_path, uid=0)
    target = tmp_path / "usr" / "bin" / "chromium"
    log = tmp_path / "apt.log"
    _fake_apt_get(bin_dir, log, target)
    env = {"PATH": str(bin_dir), "CHROMIUM_DEFAULT": str(target)}

    first = _run(env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == str(target)
    assert "installing Debian's chromium package" in first.stderr
    assert log.read_text().splitlines() == [
        "noninteractive update -qq",
        "noninteractive install -y -qq --no-install-recommends chromium fonts-liberation",
    ]

    second = _run(env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == str(target)
    assert second.stderr == ""
    assert len(log.read_text().splitlines()) == 2  # nothing installed the second time


def test_script_installs_through_sudo_n_when_not_root(tmp_path: Path) -> None:
    bin_dir = _sandbox_path(tmp_path, uid=1000)
    target = tmp_path / "usr" / "bin" / "chromium"
    log = tmp_path / "apt.log"
    _fake_apt_get(bin_dir, log, target)
    _stub(bin_dir / "sudo", f'echo "sudo $*" >> {log}\n[ "$1" = -n ] && shift\nexec "$@"')
    run = _run({"PATH": str(bin_dir), "CHROMIUM_DEFAULT": str(target)})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(target)
    calls = log.read_text().splitlines()
    assert calls[0] == "sudo -n apt-get update -qq"
    assert (
        calls[2]
        == "sudo -n apt-get install -y -qq --no-install-recommends chromium fonts-liberation"
    )


def test_script_fails_clearly_when_not_root_and_no_sudo(tmp_path: Path) -> None:
    bin_dir = _sandbox_path(tmp_path, uid=1000)
    _fake_apt_get(bin_dir, tmp_path / "apt.log", tmp_path / "chromium")
    run = _run({"PATH": str(bin_dir), "CHROMIUM_DEFAULT": str(tmp_path / "none")})
    assert run.returncode == 1
    assert run.stdout == ""
    assert "needs root" in run.stderr
    assert "apt-get install chromium" in run.stderr
    assert not (tmp_path / "apt.log").exists()


def test_script_fails_clearly_when_sudo_needs_a_password(tmp_path: Path) -> None:
    bin_dir = _sandbox_path(tmp_path, uid=1000)
    _fake_apt_get(bin_dir, tmp_path / "apt.log", tmp_path / "chromium")
    _stub(bin_dir / "sudo", 'echo "sudo: a password is required" >&2\nexit 1')
    run = _run({"PATH": str(bin_dir), "CHROMIUM_DEFAULT": str(tmp_path / "none")})
    assert run.returncode == 1
    assert "apt-get update failed" in run.stderr
    assert "sudo -n" in run.stderr


def test_script_fails_clearly_without_apt_get(tmp_path: Path) -> None:
    bin_dir = _sandbox_path(tmp_path)
    run = _run({"PATH": str(bin_dir), "CHROMIUM_DEFAULT": str(tmp_path / "none")})
    assert run.returncode == 1
    assert run.stdout == ""
    assert "apt-get is not available" in run.stderr
    assert browser.ENV_CHROMIUM in run.stderr


def test_script_warns_about_a_wrong_explicit_binary(tmp_path: Path) -> None:
    _stub(tmp_path / "default-chromium")
    run = _run(
        {
            "PATH": str(_sandbox_path(tmp_path)),
            browser.ENV_CHROMIUM: str(tmp_path / "typo"),
            "CHROMIUM_DEFAULT": str(tmp_path / "default-chromium"),
        }
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(tmp_path / "default-chromium")
    assert "is not an executable file" in run.stderr
