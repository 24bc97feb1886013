"""scripts/ensure_postgres.sh: finds the server binaries, installs them with apt-get when missing.

The install path runs against a fake apt-get (and sudo) on PATH that records its arguments and
"installs" stub binaries, so the test needs neither root nor the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.db_fixture import find_bindir

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure_postgres.sh"
BASH = shutil.which("bash") or "/bin/bash"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _stub(path: Path, body: str = "exit 0") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


def _sandbox_path(tmp_path: Path) -> Path:
    """A PATH with only the few real tools the script needs (no apt-get, pg_config, initdb)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("id", "find", "sort", "dirname", "readlink"):
        real = shutil.which(tool)
        assert real is not None, f"{tool} is needed to run this test"
        (bin_dir / tool).symlink_to(real)
    return bin_dir


def test_finds_the_machine_s_binaries_and_prints_their_directory() -> None:
    expected = find_bindir()
    if expected is None:
        pytest.skip("no PostgreSQL here; running the script would install it")
    run = _run(dict(os.environ))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(expected)


def test_an_explicit_bindir_wins(tmp_path: Path) -> None:
    for tool in ("initdb", "pg_ctl", "postgres"):
        _stub(tmp_path / "pg" / tool)
    run = _run({**os.environ, "CONTESTBOT_PG_BINDIR": str(tmp_path / "pg")})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(tmp_path / "pg")


def test_installs_with_apt_get_when_missing_then_is_idempotent(tmp_path: Path) -> None:
    bin_dir = _sandbox_path(tmp_path)
    lib_root = tmp_path / "lib" / "postgresql"
    log = tmp_path / "apt.log"
    mkdir, chmod = shutil.which("mkdir"), shutil.which("chmod")
    _stub(
        bin_dir / "apt-get",
        f'echo "$DEBIAN_FRONTEND $*" >> {log}\n'
        f'if [ "$1" = install ]; then {mkdir} -p {lib_root}/16/bin\n'
        f"  for t in initdb pg_ctl postgres; do echo '#!/bin/sh' > {lib_root}/16/bin/$t;"
        f" {chmod} +x {lib_root}/16/bin/$t; done\nfi",
    )
    _stub(bin_dir / "sudo", '[ "$1" = -n ] && shift\nexec "$@"')
    env = {"PATH": str(bin_dir), "PG_LIB_ROOT": str(lib_root)}

    first = _run(env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == str(lib_root / "16" / "bin")
    assert "installing Debian's postgresql package" in first.stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "noninteractive update -qq"
    assert calls[1] == "noninteractive install -y -qq --no-install-recommends postgresql"

    second = _run(env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == str(lib_root / "16" / "bin")
    assert len(log.read_text().splitlines()) == 2  # nothing installed the second time


def test_fails_clearly_without_apt_get(tmp_path: Path) -> None:
    bin_dir = _sandbox_path(tmp_path)
    run = _run({"PATH": str(bin_dir), "PG_LIB_ROOT": str(tmp_path / "none")})
    assert run.returncode == 1
    assert run.stdout == ""
    assert "apt-get is not available" in run.stderr
    assert "CONTESTBOT_PG_BINDIR" in run.stderr


def test_fails_clearly_when_the_install_fails(tmp_path: Path) -> None:
    bin_dir = _sandbox_path(tmp_path)
    _stub(bin_dir / "apt-get", 'echo "E: Unable to locate package postgresql" >&2\nexit 100')
    _stub(bin_dir / "sudo", '[ "$1" = -n ] && shift\nexec "$@"')
    run = _run({"PATH": str(bin_dir), "PG_LIB_ROOT": str(tmp_path / "none")})
    assert run.returncode == 1
    assert "apt-get update failed" in run.stderr
