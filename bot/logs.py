"""Logging, set up once by the CLI: loguru to stderr (text or JSON lines), optionally to a file.

Every line passes through a mask that replaces the configured secrets (credentials, a database
password), also in their URL-encoded form, with `***`, after formatting, so a token inside an
exception message or traceback is masked too. Tracebacks never show local variables (loguru's
`diagnose` would print them, secrets included). The core never logs; the shell does.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import quote

from loguru import logger

from bot.core.timefmt import iso_z

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words
TEXT_FORMAT = "{time:YYYY-MM-DD HH:mm:ss} {level: <7} {message}"


class Masker:
    """Replace every occurrence of each secret (raw and URL-encoded) with `***`."""

    def __init__(self, secrets: Sequence[str]) -> None:
        variants: set[str] = set()
        for s in secrets:
            if len(s) >= MIN_SECRET_LENGTH:
                variants.update({s, quote(s, safe=""), quote(s)})
        # Longest first, so a secret containing another is masked whole.
        self.variants = sorted(variants, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for v in self.variants:
            if v in text:
                text = text.replace(v, MASK)
        return text


class RotatingFile:
    """A log file that is renamed to `<name>.1` (older ones shifted, `backups` kept) once it
    passes `max_bytes`. Written by one sink under loguru's lock."""

    def __init__(self, path: Path, *, max_bytes: int = 10_000_000, backups: int = 5) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self._fh.write(text)
            self._fh.flush()
            if self._fh.tell() >= self.max_bytes:
                self._rotate()

    def _rotate(self) -> None:
        self._fh.close()
        for n in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{n + 1}"))
        if self.backups > 0:
            self.path.replace(self.path.with_name(f"{self.path.name}.1"))
        else:
            self.path.unlink()
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def close(self) -> None:
        with self._lock:
            self._fh.close()


def json_line(record: Any, mask: Masker) -> str:
    """One JSON object per line: time (UTC, Z), level, message, where it came from, extra fields
    and the exception text, if any."""
    payload: dict[str, object] = {
        "time": iso_z(record["time"], timespec="milliseconds"),
        "level": record["level"].name,
        "message": mask(record["message"]),
        "module": record["name"],
        "function": record["function"],
        "line": record["line"],
    }
    if record["extra"]:
        payload["extra"] = {k: mask(str(v)) for k, v in record["extra"].items()}
    exc = record["exception"]
    if exc is not None and exc.type is not None:
        text = "".join(traceback.format_exception(exc.type, exc.value, exc.traceback))
        payload["exception"] = mask(text)
    return json.dumps(payload, ensure_ascii=False) + "\n"


_file: RotatingFile | None = None
_file_sink = 0


def configure_logging(
    *,
    fmt: Literal["text", "json"] = "text",
    file: Path | None = None,
    secrets: Sequence[str] = (),
    level: str = "INFO",
    stream: IO[str] | None = None,
    max_bytes: int = 10_000_000,
    backups: int = 5,
) -> Masker:
    """(Re)configure loguru: remove every sink, then log to `stream` (default: sys.stderr at call
    time) and to `file` if given, all masked. Returns the mask, for error lines printed outside
    logging."""
    global _file, _file_sink
    mask = Masker(secrets)
    logger.remove()
    if _file is not None:
        _file.close()
        _file = None
    out = stream if stream is not None else sys.stderr

    def write_to(target: Any) -> Any:
        def sink(message: Any) -> None:
            if fmt == "json":
                target.write(json_line(message.record, mask))
            else:
                target.write(mask(str(message)))

        return sink

    # Masking the message early too protects sinks other modules or tests add later.
    def patch(record: Any) -> None:
        record["message"] = mask(record["message"])

    logger.configure(patcher=patch)
    options: dict[str, Any] = {"level": level, "backtrace": False, "diagnose": False}
    if fmt == "text":
        options["format"] = TEXT_FORMAT
    else:
        options["format"] = "{message}"
    logger.add(write_to(out), colorize=False, **options)
    if file is not None:
        _file = RotatingFile(file, max_bytes=max_bytes, backups=backups)
        _file_sink = logger.add(write_to(_file), colorize=False, **options)
        atexit.unregister(_close_file)  # registered once, however often logging is configured
        atexit.register(_close_file)
    return mask


def _close_file() -> None:
    """Close the log file at exit, so it is flushed and never left for the garbage collector."""
    global _file
    if _file is not None:
        with contextlib.suppress(ValueError):  # another module removed every sink
            logger.remove(_file_sink)
        _file.close()
        _file = None
