"""Hardening of what a user types or sets outside the config file: numeric arguments out of range,
non-finite or huge numbers in the environment, files that are not regular files or too large, and
database paths that cannot hold a database. Each gives ONE error line naming the input, exit 2, and
writes nothing (the tmp dir holds only the config)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.cli.conftest import Cli, competition_toml


def files_in(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def configured(cli: Cli, clock: ManualClock) -> Cli:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    return cli


def assert_refused(cli: Cli, argv: tuple[str, ...], needle: str, before: list[str]) -> None:
    code, out, err = cli(*argv)
    lines = err.strip().splitlines()
    assert code == 2, (argv, code, out, err)
    assert len(lines) == 1 and needle in lines[0], lines
    assert "Traceback" not in err
    assert files_in(cli.tmp_path) == before, "a refused input wrote something"
    assert not cli.written()


BIG = "99999999999999999999999"
NUMERIC_ARGS = [
    (("outbox", "approve", BIG), "ID"),
    (("outbox", "approve", "0"), "ID"),
    (("outbox", "approve", "-3"), "ID"),
    (("outbox", "approve", "9223372036854775808"), "ID"),
    (("outbox", "approve", "1e3"), "ID"),
    (("outbox", "preview", BIG), "ID"),
    (("post", "cancel", BIG), "ID"),
    (("leaderboard", "spring", "--top", BIG), "--top"),
    (("leaderboard", "spring", "--top", "0"), "--top"),
    (("leaderboard", "spring", "--top", "100001"), "--top"),
    (
        ("jury", "pick", "spring", "c", "1", "--rank", BIG, "--judge", "j", "--reason", "r"),
        "--rank",
    ),
    (("sandbox", "--port", "70000"), "--port"),
    (("sandbox", "--port", BIG), "--port"),
    (("sandbox", "--speed", "inf"), "--speed"),
    (("sandbox", "--speed", "nan"), "--speed"),
    (("sandbox", "--speed", "1e400"), "--speed"),
    (("sandbox", "--speed", "-1"), "--speed"),
    (("demo", "--speed", "nan"), "--speed"),
    (("demo", "--seconds", "inf"), "--seconds"),
    (("demo", "--seconds", "1e300"), "--seconds"),
]


@pytest.mark.parametrize(
    ("argv", "needle"), NUMERIC_ARGS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v
)
def test_numeric_arguments_out_of_range_are_usage_errors(
    configured: Cli, argv: tuple[str, ...], needle: str
) -> None:
    before = files_in(configured.tmp_path)
    code, _out, err = configured(*argv)
    assert code == 2 and needle in err and "Traceback" not in err
    assert "OverflowError" not in err and "ValueError" not in err
    assert files_in(configured.tmp_path) == before


ENV_NUMBERS = [
    ("CONTESTBOT_LEASE_TTL", "inf"),
    ("CONTESTBOT_LEASE_TTL", "-inf"),
    ("CONTESTBOT_LEASE_TTL", "nan"),
    ("CONTESTBOT_LEASE_TTL", "1e300"),
    ("CONTESTBOT_LEASE_TTL", "0.001"),
    ("CONTESTBOT_CLOCK", "accelerated:2026-09-01T12:00:00+00:00:nan"),
    ("CONTESTBOT_CLOCK", "accelerated:2026-09-01T12:00:00+00:00:inf"),
    ("CONTESTBOT_CLOCK", "accelerated:2026-09-01T12:00:00+00:00:1e400"),
    ("CONTESTBOT_CLOCK", "accelerated:2026-09-01T12:00:00+00:00@nan:60"),
    ("CONTESTBOT_CLOCK", "accelerated:2026-09-01T12:00:00+00:00@1e300:60"),
    ("CONTESTBOT_INSTANCE_ID", "x" * 201),
    ("CONTESTBOT_INSTANCE_ID", "a\tb"),
]


@pytest.mark.parametrize(
    "command", [("run", "--once"), ("status",), ("outbox",), ("db", "upgrade")]
)
@pytest.mark.parametrize(("name", "value"), ENV_NUMBERS)
def test_bad_operations_variables_are_refused_before_anything_is_opened(
    configured: Cli, command: tuple[str, ...], name: str, value: str
) -> None:
    configured.env[name] = value
    before = files_in(configured.tmp_path)
    code, _out, err = configured(*command)
    assert code == 2, err
    assert name in err and "Traceback" not in err and "OverflowError" not in err
    assert len(err.strip().splitlines()) == 1
    assert files_in(configured.tmp_path) == before


@pytest.mark.parametrize("command", [("run", "--once"), ("status",)])
def test_a_clock_that_runs_past_the_year_9999_is_refused(
    configured: Cli, command: tuple[str, ...]
) -> None:
    # Readable, but the elapsed time since the anchor (1970) at x1e6 overflows a datetime.
    configured.env["CONTESTBOT_CLOCK"] = "accelerated:9999-12-31T12:00:00+00:00@0:1000000"
    before = files_in(configured.tmp_path)
    assert_refused(configured, command, "past the year 9999", before)


def test_data_dir_that_is_a_file_is_refused(configured: Cli) -> None:
    (configured.tmp_path / "notadir").write_text("x")
    configured.env["CONTESTBOT_DATA_DIR"] = str(configured.tmp_path / "notadir")
    before = files_in(configured.tmp_path)
    assert_refused(configured, ("run", "--once"), "CONTESTBOT_DATA_DIR", before)


# ------------------------------------------------------------------------------ files


def test_text_file_that_is_not_a_regular_file_is_refused(configured: Cli) -> None:
    fifo = configured.tmp_path / "pipe"
    os.mkfifo(fifo)
    before = files_in(configured.tmp_path)
    at = ("--at", "2026-12-01T09:00:00+00:00")
    for path, needle in (
        ("/dev/zero", "is a device, not a regular file"),
        (str(fifo), "is a named pipe (FIFO), not a regular file"),
        (str(configured.tmp_path), "is a folder, not a regular file"),
        (str(configured.tmp_path / "missing.txt"), "cannot be read"),
    ):
        assert_refused(configured, ("post", "schedule", *at, "--text-file", path), needle, before)


def test_text_file_too_large_or_not_utf8_is_refused(configured: Cli) -> None:
    big = configured.tmp_path / "big.txt"
    big.write_text("word " * 20_000)
    latin = configured.tmp_path / "latin.txt"
    latin.write_bytes(b"caf\xe9")
    before = files_in(configured.tmp_path)
    at = ("--at", "2026-12-01T09:00:00+00:00")
    assert_refused(
        configured, ("post", "schedule", *at, "--text-file", str(big)), "larger than 64 KiB", before
    )
    assert_refused(
        configured, ("post", "schedule", *at, "--text-file", str(latin)), "is not UTF-8", before
    )


def test_export_to_a_folder_or_below_a_file_is_refused_before_the_database(configured: Cli) -> None:
    (configured.tmp_path / "plain").write_text("x")
    before = files_in(configured.tmp_path)
    for target, needle in (
        (str(configured.tmp_path), "is a folder"),
        (str(configured.tmp_path / "plain" / "cert.json"), "is a file, not a folder"),
        ("/dev/null", "is a device"),
    ):
        assert_refused(configured, ("results", "spring", "--export", target), needle, before)


def test_sandbox_scenario_too_large_is_refused(configured: Cli) -> None:
    huge = configured.tmp_path / "huge.toml"
    with huge.open("wb") as fh:
        fh.truncate(9 * 2**20)  # sparse: no disk used
    before = files_in(configured.tmp_path)
    assert_refused(configured, ("sandbox", "--scenario", str(huge)), "larger than 8 MiB", before)


# ------------------------------------------------------------------------------ database paths


@pytest.mark.parametrize(
    "command",
    [
        ("run", "--once", "--dry-run"),
        ("db", "upgrade"),
        ("status",),
        ("outbox",),
        ("leaderboard", "spring"),
    ],
)
@pytest.mark.parametrize(
    "kind", ["folder", "below-file", "random-bytes", "text-file", "bad-pages", "fifo"]
)
def test_database_path_that_cannot_hold_a_database(
    configured: Cli, command: tuple[str, ...], kind: str
) -> None:
    # DATABASE_URL names a SQLite file here whatever the suite's backend (--db): these are paths.
    tmp = configured.tmp_path
    target = tmp / "db.sqlite"
    needle = "is not a SQLite database"
    if kind == "folder":
        target.mkdir()
        needle = "is a folder"
    elif kind == "below-file":
        (tmp / "plain").write_text("x")
        target = tmp / "plain" / "db.sqlite"
        needle = "is a file, not a folder"
    elif kind == "random-bytes":
        target.write_bytes(os.urandom(4096))
    elif kind == "text-file":
        target.write_text("hello, this is not a database\n")
    elif kind == "bad-pages":
        target.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4080)
    else:
        os.mkfifo(target)
        needle = "is not a regular file"
    configured.env["DATABASE_URL"] = f"sqlite:///{target}"
    configured.env["X_BEARER_TOKEN"] = "token"
    before = files_in(tmp)
    code, _out, err = configured(*command)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and str(target) in lines[0], lines
    assert "Traceback" not in err and "UnicodeDecodeError" not in err
    assert files_in(tmp) == before, "a stray file (lock, folder, heartbeat) was left"
