"""Waiting in tests for something to happen, never for a fixed time.

`wait_until(check, what=...)` polls `check` until it holds, and fails naming `what` (a text, or a
function giving one: what was seen instead) when it has not by the deadline. It is for what a test
cannot be told about (another process's rows, a server thread taking a connection); within one
process, tests pass a clock or an Event instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable

POLL = 0.01  # how often the condition is looked at: not a wait for the thing itself


def wait_until(
    check: Callable[[], bool],
    *,
    what: str | Callable[[], str],
    timeout: float = 30.0,
    interval: float = POLL,
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            text = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:g} s waiting for {text}")
        time.sleep(interval)
