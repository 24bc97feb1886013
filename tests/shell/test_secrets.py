"""A canary token is every credential (and the database password); it is pushed through every error
path the daemon and the CLI have - 401 and 403 from the API, 5xx, 429, 402, a malformed setting, an
unreachable database, a crash with --debug, `status`, `health`, the repr of the settings - and it
never appears on stdout, stderr or in the log file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.clock import ManualClock
from bot.sandbox import Credentials, Sandbox, World
from bot.settings import load_settings
from tests.shell.daemonkit import REPO, Comp, config_text, populate

CANARY = "CANARY-SECRET-123"


@pytest.fixture
def canary_sandbox(clock: ManualClock) -> Iterator[Sandbox]:
    """A sandbox that accepts only credentials built around the canary."""
    world = World(clock)
    bot_id = world.add_user("contestbot")
    creds = Credentials(
        bearer_token=CANARY,
        api_key=CANARY + "-key",
        api_secret=CANARY + "-secret",
        access_token=f"{bot_id}-{CANARY}",
        access_token_secret=CANARY + "-token-secret",
    )
    sb = Sandbox(world, clock=clock, credentials=creds)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


class Run:
    def __init__(self, tmp_path: Path, sandbox: Sandbox, clock: ManualClock, capsys: Any) -> None:
        now = clock.now()
        populate(sandbox, "Spring", 2, at=now - timedelta(minutes=10))
        self.config = tmp_path / "c.toml"
        comp = Comp("spring", "Spring", now - timedelta(hours=1), now + timedelta(days=1))
        self.config.write_text(config_text([comp], poll=60), encoding="utf-8")
        self.log = tmp_path / "data" / "bot.log"
        self.env = {
            "DATABASE_URL": f"sqlite:///{tmp_path}/data/bot.db",
            "CONTESTBOT_CONFIG": str(self.config),
            "CONTESTBOT_LOG_FILE": str(self.log),
            "X_API_BASE_URL": sandbox.base_url,
            **{f"X_{k.upper()}": v for k, v in sandbox.credentials.items()},
        }
        self.clock, self.capsys = clock, capsys
        self.seen: list[str] = []

    def __call__(self, *argv: str, **env: str) -> int:
        self.capsys.readouterr()
        code = main(list(argv), clock=self.clock, environ={**self.env, **env})
        out, err = self.capsys.readouterr()
        self.seen.append(out + err)
        return code

    def everything(self) -> str:
        logs = "".join(p.read_text(errors="replace") for p in self.log.parent.glob("bot.log*"))
        return "\n".join(self.seen) + logs


@pytest.fixture
def run(tmp_path: Path, canary_sandbox: Sandbox, clock: ManualClock, capsys: Any) -> Run:
    return Run(tmp_path, canary_sandbox, clock, capsys)


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("unauthorized", 2),  # 401: revoked credentials
        ("not_enrolled", 2),  # 403 about our app
        ("server_error", 1),
        ("unavailable", 1),
        ("rate_limit", 1),
        ("usage_cap", 1),
        ("credits", 1),
        ("malformed", 1),
        ("drop", 1),
    ],
)
def test_api_failures_never_show_the_canary(
    run: Run, canary_sandbox: Sandbox, fault: str, code: int
) -> None:
    canary_sandbox.faults.add(fault, "search", count=1)
    assert run("run", "--once") == code
    # Debug logs too (a 429 keeps the bucket empty until its reset, so that run fails again).
    assert run("--debug", "run", "--once") == (1 if fault == "rate_limit" else 0)
    assert run("status") == 0
    assert run("status", "--format", "json") == 0
    assert run("health") == 1  # `run --once` exited: not running
    text = run.everything()
    assert "poll failed" in text and "Recent errors" in text  # the failure was reported
    assert CANARY not in text


def test_wrong_credentials_401_in_every_output(run: Run) -> None:
    wrong = {
        "X_BEARER_TOKEN": CANARY + "-wrong",
        "X_API_KEY": CANARY + "-k",
        "X_API_SECRET": CANARY + "-s",
        "X_ACCESS_TOKEN": "1-" + CANARY,
        "X_ACCESS_TOKEN_SECRET": CANARY + "-ts",
    }
    assert run("run", "--once", **wrong) == 2
    assert run("--debug", "run", "--once", **wrong) == 2
    text = run.everything()
    assert "credentials" in text and CANARY not in text


def test_malformed_settings_and_database_errors_mask_the_canary(run: Run) -> None:
    assert run("config", "check", X_API_KEY=f"{CANARY} x") == 2  # whitespace inside
    assert run("run", "--once", DATABASE_URL=f"postgres://bot:{CANARY}@127.0.0.1:1/db") == 2
    # A database that does not answer, with a traceback under --debug.
    url = f"postgresql://bot:{CANARY}@127.0.0.1:1/db?connect_timeout=2"
    assert run("--debug", "run", "--once", DATABASE_URL=url) == 1
    assert run("--debug", "status", DATABASE_URL=url) == 1
    text = run.everything()
    assert "DATABASE_URL" in text and "Traceback" in text
    assert CANARY not in text


def test_the_settings_repr_masks_everything() -> None:
    env = {
        "X_BEARER_TOKEN": CANARY,
        "X_API_KEY": CANARY,
        "X_API_SECRET": CANARY,
        "X_ACCESS_TOKEN": CANARY,
        "X_ACCESS_TOKEN_SECRET": CANARY,
        "DATABASE_URL": f"postgresql://bot:{CANARY}@db/contestbot",
    }
    settings = load_settings(env)
    for shown in (repr(settings), str(settings), f"{settings}", settings.database_url_masked):
        assert CANARY not in shown


def test_a_crashing_daemon_process_masks_its_traceback(tmp_path: Path) -> None:
    """A real process whose database URL points nowhere, with --debug and JSON logs."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path),
        "DATABASE_URL": f"postgresql://bot:{CANARY}@127.0.0.1:1/db?connect_timeout=2",
        "CONTESTBOT_CONFIG": str(REPO / "config" / "contestbot.toml"),
        "CONTESTBOT_LOG_FORMAT": "json",
        "CONTESTBOT_LOG_FILE": str(tmp_path / "bot.log"),
        "X_BEARER_TOKEN": CANARY,
        "X_API_KEY": CANARY,
        "X_API_SECRET": CANARY,
        "X_ACCESS_TOKEN": "1-" + CANARY,
        "X_ACCESS_TOKEN_SECRET": CANARY,
        # Never the real X API, whatever fails first: a closed port on loopback.
        "X_API_BASE_URL": "http://127.0.0.1:1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--debug", "run", "--once"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    text = done.stdout + done.stderr + (tmp_path / "bot.log").read_text()
    assert done.returncode == 1 and "Traceback" in text
    assert CANARY not in text
