"""Start-up hardening, through real `python -m bot` processes: environment values that are not
valid UTF-8 or not usable as HTTP credentials are refused (exit 2, one line per variable, the
secret never printed, nothing written); a stdout pipe closed early ends quietly; and `status`
tells a killed instance (no clean stop) from a live one by its heartbeat age."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.core.liveness import liveness, threshold_for
from tests.cli.conftest import competition_toml

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 9, 1, 12, tzinfo=UTC)


def base_env(tmp: Path) -> dict[bytes, bytes]:
    env = {
        k.encode(): v.encode()
        for k, v in os.environ.items()
        if not k.startswith(("X_", "CONTESTBOT_", "DATABASE_URL"))
    }
    env[b"PYTHONPATH"] = str(ROOT).encode()
    env[b"DATABASE_URL"] = f"sqlite:///{tmp / 'data' / 'bot.db'}".encode()
    env[b"CONTESTBOT_CONFIG"] = str(tmp / "contestbot.toml").encode()
    env[b"CONTESTBOT_DATA_DIR"] = str(tmp / "data").encode()
    env[b"X_API_BASE_URL"] = b"http://127.0.0.1:9"
    return env


def write_config(tmp: Path) -> None:
    (tmp / "contestbot.toml").write_text(
        competition_toml("spring", START, START + timedelta(days=1)), encoding="utf-8"
    )


def run_bot(tmp: Path, env: dict[bytes, bytes], *argv: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv], env=env, cwd=tmp, capture_output=True, timeout=60
    )


def files_in(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


SECRET = b"s3cr3tVALUE"
BAD_ENV = [
    (b"X_BEARER_TOKEN", SECRET + b"\xff\xfe", "not valid UTF-8"),
    (b"X_BEARER_TOKEN", SECRET + "€".encode(), "printable ASCII"),
    (b"X_BEARER_TOKEN", SECRET + "é".encode(), "printable ASCII"),
    (b"X_API_KEY", SECRET + b"\xe9", "not valid UTF-8"),
    (b"X_API_SECRET", SECRET + "日本".encode(), "printable ASCII"),
    (b"X_ACCESS_TOKEN", SECRET + b"\x80", "not valid UTF-8"),
    (b"X_ACCESS_TOKEN_SECRET", SECRET + b"\x1b[0m", "printable ASCII"),
    (b"CONTESTBOT_INSTANCE_ID", b"host\xff", "not valid UTF-8"),
    (b"CONTESTBOT_INSTANCE_ID", b"host\x07one", "control characters"),
    (b"DATABASE_URL", b"sqlite:///data/b\xffd.db", "not valid UTF-8"),
    (b"X_API_BASE_URL", b"http://127.0.0.1:9/\xff", "not valid UTF-8"),
    (b"CONTESTBOT_CONFIG", b"conf\xff.toml", "not valid UTF-8"),
    (b"CONTESTBOT_LOG_FORMAT", b"js\xffon", "not valid UTF-8"),
    (b"CONTESTBOT_LOG_FILE", b"log\xff.txt", "not valid UTF-8"),
    (b"CONTESTBOT_LEASE_TTL", b"6\xff0", "not valid UTF-8"),
    (b"CONTESTBOT_LEASE_TTL", b"inf", "is not a number of seconds"),
    (b"CONTESTBOT_DATA_DIR", b"data\xff", "not valid UTF-8"),
    (b"CONTESTBOT_CLOCK", b"accelerated:\xff", "not valid UTF-8"),
    (b"CONTESTBOT_CLOCK", b"accelerated:2026-09-01T12:00:00+00:00:nan", "speed above 0"),
]


@pytest.mark.parametrize(
    "command", [("run", "--once", "--dry-run"), ("status",), ("config", "check")]
)
@pytest.mark.parametrize(("name", "value", "needle"), BAD_ENV)
def test_environment_values_that_are_not_usable_text_are_refused_before_start_up(
    tmp_path: Path, command: tuple[str, ...], name: bytes, value: bytes, needle: str
) -> None:
    write_config(tmp_path)
    env = base_env(tmp_path)
    env[name] = value
    before = files_in(tmp_path)
    proc = run_bot(tmp_path, env, *command)
    err = proc.stderr.decode("utf-8", "backslashreplace")
    assert proc.returncode == 2, err
    assert name.decode() in err and needle in err, err
    assert "Traceback" not in err
    assert SECRET.decode() not in err and SECRET.decode() not in proc.stdout.decode(
        "utf-8", "replace"
    )
    assert files_in(tmp_path) == before


def test_an_argument_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path)
    before = files_in(tmp_path)
    proc = subprocess.run(
        [sys.executable.encode(), b"-m", b"bot", b"leaderboard", b"spr\xffing"],
        env=base_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert b"argument 2 holds bytes that are not valid UTF-8" in proc.stderr
    assert files_in(tmp_path) == before


def test_a_dotenv_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path)
    (tmp_path / ".env").write_bytes(b"X_BEARER_TOKEN=abc\xff\n")
    before = files_in(tmp_path)
    proc = run_bot(tmp_path, base_env(tmp_path), "status")
    assert proc.returncode == 2 and b".env is not UTF-8" in proc.stderr, proc.stderr
    assert b"Traceback" not in proc.stderr and files_in(tmp_path) == before
    (tmp_path / ".env").unlink()
    os.mkfifo(tmp_path / ".env")  # would block python-dotenv's open() forever
    proc = run_bot(tmp_path, base_env(tmp_path), "status")
    assert proc.returncode == 2 and b".env is not a regular file" in proc.stderr, proc.stderr


# ------------------------------------------------------------------------------ broken pipes


def seeded(tmp_path: Path) -> dict[bytes, bytes]:
    """A database with three scheduled posts of about 2 KB each, so listings print several KB."""
    write_config(tmp_path)
    env = base_env(tmp_path)
    assert run_bot(tmp_path, env, "db", "upgrade").returncode == 0
    for n in range(3):
        at = f"2027-01-0{n + 1}T09:00:00+00:00"
        path = str(text_file(tmp_path, n))
        proc = run_bot(tmp_path, env, "post", "schedule", "--at", at, "--text-file", path)
        assert proc.returncode == 0, proc.stderr
    return env


def text_file(tmp: Path, n: int) -> Path:
    path = tmp / f"post{n}.txt"
    path.write_text(f"post number {n} " + "word " * 400, encoding="utf-8")
    return path


PRINTING = [
    ("--help",),
    ("config", "check"),
    ("competitions",),
    ("competitions", "--format", "json"),
    ("leaderboard", "spring"),
    ("leaderboard", "spring", "--format", "csv"),
    ("status",),
    ("status", "--format", "json"),
    ("outbox",),
    ("outbox", "preview", "--upcoming"),
    ("post", "list"),
    ("results", "spring"),
    ("jury", "list", "spring"),
]


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[bytes, bytes]]:
    tmp = tmp_path_factory.mktemp("pipe")
    return tmp, seeded(tmp)


@pytest.mark.parametrize("argv", PRINTING, ids=" ".join)
def test_a_closed_stdout_pipe_ends_quietly(
    seeded_dir: tuple[Path, dict[bytes, bytes]], argv: tuple[str, ...]
) -> None:
    tmp, env = seeded_dir
    reader_r, writer = os.pipe()
    os.close(reader_r)  # the reader is gone before the first byte (`| head -c0`)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        env=env,
        cwd=tmp,
        stdout=writer,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    os.close(writer)
    assert proc.returncode in (0, 141), proc.stderr
    assert proc.stderr == b"", proc.stderr


def test_head_c1_reads_one_byte_and_the_bot_ends_quietly(
    seeded_dir: tuple[Path, dict[bytes, bytes]],
) -> None:
    tmp, env = seeded_dir
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "outbox", "preview", "--upcoming"],
        env=env,
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert bot.stdout is not None
    head = subprocess.run(["head", "-c1"], stdin=bot.stdout, capture_output=True, timeout=60)
    bot.stdout.close()
    _, err = bot.communicate(timeout=60)
    assert len(head.stdout) == 1
    assert bot.returncode in (0, 141) and err == b"", err


# ------------------------------------------------------------------------------ liveness


def test_liveness_from_heartbeat_age_with_an_injected_clock() -> None:
    clock = ManualClock(START)
    threshold = threshold_for(timedelta(seconds=60))
    beat = clock.now()
    assert liveness(beat, None, now=clock.now(), threshold=threshold).state == "live"
    clock.advance(seconds=180)
    assert liveness(beat, None, now=clock.now(), threshold=threshold).state == "live"
    clock.advance(seconds=1)
    stale = liveness(beat, None, now=clock.now(), threshold=threshold)
    assert stale.state == "stale" and stale.since == beat + timedelta(seconds=180)
    assert stale.describe(lambda d: d.strftime("%H:%M")) == "stale since 12:03"
    stopped = liveness(beat, beat + timedelta(seconds=5), now=clock.now(), threshold=threshold)
    assert stopped.state == "stopped" and not stopped.is_live
    assert threshold_for(timedelta(seconds=20)) == timedelta(seconds=60)


def test_status_shows_a_killed_instance_as_stale(tmp_path: Path) -> None:
    from bot.cli.main import main
    from bot.store import Store
    from bot.store.ops import OpsStore

    write_config(tmp_path)
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "CONTESTBOT_CONFIG": str(tmp_path / "contestbot.toml"),
        "CONTESTBOT_DATA_DIR": str(tmp_path),
        "CONTESTBOT_LEASE_TTL": "60",
    }
    clock = ManualClock(START)
    assert main(["db", "upgrade"], clock=clock, environ=env) == 0
    store = Store(env["DATABASE_URL"])
    ops = OpsStore(store)
    for name in ("killed", "running", "clean"):
        ops.heartbeat(name, hostname="h", pid=1, started_at=START, now=START, state={})
    ops.stop_instance("clean", now=START + timedelta(seconds=10))
    clock.advance(minutes=10)
    ops.heartbeat("running", hostname="h", pid=2, started_at=START, now=clock.now(), state={})
    store.close()
    import contextlib
    import io
    import json

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["status", "--format", "json"], clock=clock, environ=env) == 0
    doc = {i["instance_id"]: i for i in json.loads(out.getvalue())["instances"]}
    assert doc["running"]["live"] and doc["running"]["liveness"] == "live"
    assert not doc["killed"]["live"] and doc["killed"]["liveness"] == "stale"
    assert doc["killed"]["liveness_since"] == "2026-09-01T12:03:00Z"
    assert doc["clean"]["liveness"] == "stopped"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["status"], clock=clock, environ=env) == 0
    assert "stale since 2026-09-01T12:03:00Z" in out.getvalue()
    assert "stopped at 2026-09-01T12:00:10Z" in out.getvalue()
