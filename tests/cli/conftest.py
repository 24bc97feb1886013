"""CLI fixtures: a config file written into a temporary directory, and an environment (a plain
dict, never os.environ) pointing the bot at a SQLite file there and at the sandbox."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main


def competition_toml(cid: str, start: datetime, end: datetime, *, hashtag: str = "Spring") -> str:
    return f"""
[[competition]]
id = "{cid}"
title = "Competition {cid}"
hashtags = ["{hashtag}"]
start = "{start.isoformat()}"
end = "{end.isoformat()}"
excluded_accounts = ["organiser"]

[[competition.categories]]
id = "most-liked"
kind = "likes"
title = "Most liked"

[[competition.categories]]
id = "most-comments"
kind = "replies"
"""


class Cli:
    """Runs `main()` in-process with an injected clock and environment; returns (code, out, err)."""

    def __init__(self, tmp_path: Path, capsys: Any, clock: Any) -> None:
        self.tmp_path = tmp_path
        self.capsys = capsys
        self.clock = clock
        self.config = tmp_path / "contestbot.toml"
        self.db = tmp_path / "data" / "bot.db"
        self.env: dict[str, str] = {
            "DATABASE_URL": f"sqlite:///{self.db}",
            "CONTESTBOT_CONFIG": str(self.config),
        }

    def write_config(self, text: str) -> None:
        self.config.write_text(text, encoding="utf-8")

    def use_sandbox(self, sandbox: Any) -> None:
        self.env["X_API_BASE_URL"] = sandbox.base_url
        for key, value in sandbox.credentials.items():
            self.env[f"X_{key.upper()}"] = value

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv), clock=self.clock, environ=self.env)
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(tmp_path: Path, capsys: Any, clock: Any) -> Cli:
    return Cli(tmp_path, capsys, clock)
