"""CLI fixtures: a config file written into a temporary directory, and an environment (a plain
dict, never os.environ) pointing the bot at the sandbox and at a database: a SQLite file there, or,
when the suite runs with `--db postgresql`, a fresh database on the test PostgreSQL server."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

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

    def __init__(
        self, tmp_path: Path, capsys: Any, clock: Any, *, postgres_url: str | None = None
    ) -> None:
        self.tmp_path = tmp_path
        self.capsys = capsys
        self.clock = clock
        self.config = tmp_path / "contestbot.toml"
        self.db = tmp_path / "data" / "bot.db"
        self.backend = "postgresql" if postgres_url else "sqlite"
        self.db_url = postgres_url or f"sqlite:///{self.db}"
        self.env: dict[str, str] = {
            "DATABASE_URL": self.db_url,
            "CONTESTBOT_CONFIG": str(self.config),
            # the daemon's heartbeat and other files stay in the test's folder on every backend
            "CONTESTBOT_DATA_DIR": str(tmp_path / "data"),
        }

    def written(self) -> bool:
        """Whether anything reached the database: the SQLite file exists, or the PostgreSQL
        database holds a table."""
        if self.backend == "sqlite":
            return self.db.exists()
        engine = create_engine(self.db_url)
        try:
            return bool(inspect(engine).get_table_names())
        finally:
            engine.dispose()

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
def cli(tmp_path: Path, capsys: Any, clock: Any, request: pytest.FixtureRequest) -> Cli:
    postgres_url = None
    if request.getfixturevalue("db_backend") == "postgresql":
        postgres_url = request.getfixturevalue("db_url")
    return Cli(tmp_path, capsys, clock, postgres_url=postgres_url)
