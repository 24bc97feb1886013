"""Where a SQLite database may live: `check_sqlite_file` refuses, before anything is created (no
folder, no database, no `*.migrate.lock`), a path that is a folder, a FIFO or device, below a
regular file, or a file that is not a SQLite database. `DatabaseFileError` is exit 2: the
organiser must change DATABASE_URL or move the file, retrying cannot help.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
FIX = "set DATABASE_URL to sqlite:///path/to/contestbot.db, a file in a folder you can write"


class DatabaseFileError(Exception):
    """The database path cannot hold a SQLite database (the message names it and the fix)."""


def check_sqlite_file(path: Path, *, fix: str | None = None, option: str = "sqlite:///") -> None:
    """Raise `DatabaseFileError` unless `path` is a SQLite database, an empty file, or a file that
    can be created (its nearest existing ancestor is a folder). Reads at most 16 bytes. `fix` and
    `option` phrase the way out for where the path came from (DATABASE_URL by default, or
    `demo --db`); a garbled file's message then names `fix` too."""
    way_out = fix or FIX
    try:
        mode: int | None = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        mode = None  # below a file: the ancestor walk below says which
    except OSError as exc:
        raise DatabaseFileError(
            f"the database {path} cannot be read ({exc.strerror}) — {way_out}"
        ) from None
    if mode is None:
        folder = path.absolute().parent
        while not _exists(folder) and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise DatabaseFileError(
                f"the database {path} cannot be created: {folder} is a file, not a folder — "
                f"{way_out}"
            )
        return
    if stat.S_ISDIR(mode):
        raise DatabaseFileError(
            f"the database {path} is a folder — give a file name inside it, e.g. "
            f"{option}{path / 'contestbot.db'}"
        )
    if not stat.S_ISREG(mode):
        raise DatabaseFileError(f"the database {path} is not a regular file — {way_out}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseFileError(
            f"the database {path} cannot be read ({exc.strerror}) — give this user access to it, "
            f"or {way_out}"
        ) from None
    if head and head != SQLITE_HEADER:
        raise garbled(path, fix=fix)


def garbled(path: Path | str, *, fix: str | None = None) -> DatabaseFileError:
    return DatabaseFileError(
        f"the database {path} is not a SQLite database (or is damaged) — "
        + (
            fix
            or "move it away and run again to start a new one, restore it from a backup, or "
            "point DATABASE_URL at the bot's database"
        )
    )


def _exists(path: Path) -> bool:
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True
