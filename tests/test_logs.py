"""Logging: secrets masked in every sink and format (messages, extras, tracebacks), JSON lines
when asked, and a rotated file."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from loguru import logger

from bot.cli.main import main
from bot.logs import configure_logging

CANARY = "CANARY/t0ken+secret=="


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    yield
    configure_logging()


def log_everything() -> None:
    logger.info("using token {}", CANARY)
    logger.bind(token=CANARY).warning("request to /2/tweets?token={}", quote(CANARY, safe=""))
    try:
        raise RuntimeError(f"server said: bad token {CANARY}")
    except RuntimeError:
        logger.exception("call failed")


def test_text_logs_mask_secrets_everywhere() -> None:
    out = io.StringIO()
    configure_logging(secrets=[CANARY], stream=out)
    log_everything()
    text = out.getvalue()
    assert CANARY not in text and quote(CANARY, safe="") not in text
    assert text.count("***") >= 3
    assert "RuntimeError: server said: bad token ***" in text


def test_json_lines_mask_secrets_and_parse() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", secrets=[CANARY], stream=out)
    log_everything()
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["level"] for r in records] == ["INFO", "WARNING", "ERROR"]
    assert records[0]["message"] == "using token ***"
    assert records[1]["extra"] == {"token": "***"}
    assert "bad token ***" in records[2]["exception"]
    assert records[0]["time"].endswith("Z")
    assert CANARY not in out.getvalue()


def test_file_logs_rotate_and_are_masked(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "bot.log"
    configure_logging(secrets=[CANARY], stream=io.StringIO(), file=path, max_bytes=400, backups=2)
    for i in range(40):
        logger.info("line {} {}", i, CANARY)
    configure_logging()  # closes the file
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["bot.log", "bot.log.1", "bot.log.2"]
    for p in path.parent.iterdir():
        assert CANARY not in p.read_text()
    assert "line 39" in path.read_text()


def test_a_runtime_error_line_never_shows_the_database_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password = "CANARYpassw0rd"
    code = main(
        ["db", "upgrade"],
        environ={
            "DATABASE_URL": f"postgresql://bot:{password}@127.0.0.1:1/contestbot",
            "CONTESTBOT_CONFIG": str(tmp_path / "none.toml"),
        },
    )
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith("error: ")
    assert password not in captured.out + captured.err


def test_debug_logs_only_with_debug(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "CONTESTBOT_CONFIG": str(tmp_path / "none.toml"),
        "X_BEARER_TOKEN": CANARY,
    }
    assert main(["db", "upgrade"], environ=env) == 0
    assert "DEBUG" not in capsys.readouterr().err
    assert main(["db", "upgrade", "--debug"], environ=env) == 0
    err = capsys.readouterr().err
    assert "DEBUG" in err and "opening the database" in err
    assert "x_bearer_token=***" in err and CANARY not in err  # the settings line is masked
