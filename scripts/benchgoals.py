"""The verdict every benchmark under scripts/ ends with: one line per declared goal (met or
MISSED), then "all goals met" (exit 0) or "MISSED: ..." naming the missed ones (exit 1).
Benchmarks import it as `from benchgoals import verdict` (a script's own folder is on sys.path)."""

from __future__ import annotations

from collections.abc import Mapping


def verdict(goals: Mapping[str, bool]) -> int:
    """Print each goal and the verdict; the exit status (0 when every goal is met, else 1)."""
    for goal, met in goals.items():
        print(f"goal: {goal}: {'met' if met else 'MISSED'}")
    missed = [goal for goal, met in goals.items() if not met]
    if missed:
        print("MISSED: " + "; ".join(missed))
        return 1
    print("all goals met")
    return 0
