"""The outbox survives SIGKILL: a short run of scripts/crash_posting.py (real worker processes
killed at random moments while posting to a sandbox in another process) against the test database
(SQLite, or PostgreSQL with --db postgresql) leaves no duplicate and no missing post."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "scripts" / "crash_posting.py"


def test_killed_posting_processes_leave_no_duplicate_and_no_missing_post(db_url: str) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "8", "--seed", "7", "--json", "--db-url", db_url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    tally = json.loads(done.stdout.strip().splitlines()[-1])
    assert tally["kills"] == 8
    assert tally["duplicates"] == 0 and tally["missing"] == 0 and tally["unexpected"] == 0
    assert tally["posted"] == tally["parts_expected"] == tally["recorded_ids"] > 0
    assert tally["states"] == {"sent": tally["posts"]}
    assert done.returncode == 0, done.stderr
