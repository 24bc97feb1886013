"""Crash safety, short: `scripts/crash_test.py` with five SIGKILLs of real `python -m bot run`
processes against a sandbox scenario in accelerated time, compared with an undisturbed run: no
tweet, snapshot, cursor, result or post is lost, doubled or missing. (The script runs 100.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.shell.test_faults import load_script

pytestmark = pytest.mark.slow


def test_five_kills_lose_double_and_miss_nothing(tmp_path: Path) -> None:
    crash_test: Any = load_script("crash_test")
    tally = crash_test.run(5, speed=120, seed=5, workdir=tmp_path)
    assert sum(tally.kills.values()) == 5
    # The comparison had something to compare: entries, snapshots, cursors, standings, and the
    # launch and winners posts of the reference.
    assert tally.checked["tweets"] >= 10 and tally.checked["snapshots"] >= 10
    assert tally.checked["cursors"] >= 1 and tally.checked["results"] >= 3
    assert tally.checked["posts"] >= 2
    assert dict(+tally.lost) == {}
    assert dict(+tally.doubled) == {}
    assert dict(+tally.missing) == {}
