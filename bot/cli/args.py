"""Argument types and file checks shared by every subcommand: bounded whole numbers, finite
positive numbers, row ids, ports, and files named on the command line.

argparse calls a type with the raw text and prints `argument --x: <message>` (exit 2) when it
raises `ArgumentTypeError`, so a value out of range never reaches SQLite (`OverflowError` on an id
past 2^63-1) or a `timedelta` (`inf`, `nan`, `1e400`). Files given on the command line must be
regular files (a FIFO would block the read forever, `/dev/zero` would fill memory) and are read
with a size cap; output files must not be folders or sit below a file.
"""

from __future__ import annotations

import argparse
import math
import os
import stat
from collections.abc import Callable
from pathlib import Path

from bot.cli.context import UsageError

MAX_ROW_ID = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT
MAX_COUNT = 10_000  # --top, --rank: more than any leaderboard or shortlist shows
MAX_SPEED = 1_000_000.0  # simulated seconds per real second (the demo runs at x80)
MAX_SECONDS = 86_400.0 * 7
TEXT_FILE_LIMIT = 64 * 1024  # a post or thread text: a 25-part thread is under 10 KiB


def bounded_int(low: int, high: int, *, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high` (the message says the range)."""

    def parse(text: str) -> int:
        stripped = text.strip()
        # int() accepts 4300 digits and '_' separators; an id or a count is at most 19 digits.
        digits = stripped.removeprefix("-").removeprefix("+")
        if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
            if digits.isascii() and digits.isdigit():
                raise argparse.ArgumentTypeError(
                    f"{_short(text)} is too large — give {what} from {low} to {high}"
                )
            raise argparse.ArgumentTypeError(
                f"{_short(text)!r} is not {what} — give {what} from {low} to {high}"
            )
        value = int(stripped)
        if not low <= value <= high:
            side = f"below {low}" if value < low else f"above {high}"
            raise argparse.ArgumentTypeError(
                f"{value} is {side} — give {what} from {low} to {high}"
            )
        return value

    return parse


def bounded_float(low: float, high: float, *, what: str = "a number") -> Callable[[str], float]:
    """An argparse type: a finite number above `low` (exclusive) and at most `high`."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{_short(text)!r} is not a number — give {what} above {low:g}, at most {high:g}"
            ) from None
        if not math.isfinite(value) or not low < value <= high:
            raise argparse.ArgumentTypeError(
                f"{_short(text)} is out of range — give {what} above {low:g}, at most {high:g}"
            )
        return value

    return parse


row_id = bounded_int(1, MAX_ROW_ID, what="an id")
count = bounded_int(1, MAX_COUNT, what="a whole number")
port_number = bounded_int(0, 65535, what="a port (0 picks a free one)")
speed = bounded_float(0.0, MAX_SPEED, what="a speed")
seconds = bounded_float(0.0, MAX_SECONDS, what="a number of seconds")


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def read_text_file(path: Path, *, option: str, limit: int = TEXT_FILE_LIMIT) -> str:
    """The UTF-8 text of the regular file `path`, at most `limit` bytes; otherwise a `UsageError`
    naming `option`, the path and the fix. Opened without blocking, so a FIFO cannot hang."""
    fix = "give a UTF-8 text file"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot be read ({exc.strerror}); {fix}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise UsageError(f"{option} {path} is {file_kind(mode)}, not a regular file; {fix}")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UsageError(
            f"{option} {path} is larger than {limit // 1024} KiB; {fix} holding only the post"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{option} {path} is not UTF-8 (byte {exc.start}); save it as UTF-8 text"
        ) from None


def check_output_file(path: Path, *, option: str) -> None:
    """Refuse an output path that cannot become a regular file: a folder, a FIFO or device, or
    below something that is not a folder (nothing is created)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: cannot be written ({exc.strerror}); give a file path in a folder "
            "you can write"
        ) from None
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(
            f"{option} {path} is {file_kind(mode)}, not a regular file; give a file name such as "
            "certificate.json"
        )
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: {folder} is a file, not a folder; give another path")
    if path.parent.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        raise UsageError(
            f"{option} {path}: the folder {path.parent} is not writable by this user; "
            "give another path"
        )


def file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"
