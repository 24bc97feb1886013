"""The quick benchmarks still run against the code as it is (a moved module or a changed model
must not leave a script that only fails when someone measures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "argv",
    [
        ("bench_rules.py", "20"),
        ("bench_textlength.py", "--repeat", "1"),
        ("bench_leaderboard.py", "--sizes", "100", "300", "--snapshots", "1"),
        ("bench_sandbox.py", "--tweets", "3000", "--requests", "10", "--pages", "5"),
        ("bench_poll.py", "--tweets", "2000", "--mentions", "200"),
        pytest.param(
            ("bench_poll.py", "--tweets", "1000", "--db", "postgresql"),
            marks=pytest.mark.postgres,
        ),
    ],
    ids=[
        "bench_rules",
        "bench_textlength",
        "bench_leaderboard",
        "bench_sandbox",
        "bench_poll",
        "bench_poll_postgresql",
    ],
)
def test_a_quick_benchmark_runs_and_prints_its_figures(argv: tuple[str, ...]) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    # A missed speed goal is the benchmark's verdict (exit 1, saying what it missed), not this
    # test's: timings are not asserted here. Anything else non-zero is a broken script.
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert any(ch.isdigit() for ch in done.stdout)
    # Every benchmark ends with `benchgoals.verdict`, or prints no goals at all.
    if done.returncode == 1:
        assert "MISSED" in done.stdout, done.stdout
    elif "goal:" in done.stdout:
        assert "all goals met" in done.stdout, done.stdout
