"""Typed reading of one TOML table, collecting problems instead of raising.

`TableReader` wraps a table (a dict from tomllib) with the place it came from, and offers one getter
per value type. Each getter returns the default when the value is wrong and records a `Problem`
naming the key, the bad value and the fix, so parsing goes on and reports every mistake at once.
`finish()` reports keys nobody asked for: a typo such as `hashtag = [...]` must not silently pass.
"""

from __future__ import annotations

import difflib
import errno
import math
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from bot.config.problems import MISSING, Problem
from bot.core.timing import parse_duration

HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
MAX_INTEGER = 1_000_000_000  # no count, age or id in a config file is larger: beyond is a typo
MAX_NUMBER = 1e9  # weights and scores: finite and at most this
MAX_DURATION = timedelta(days=365)  # longer durations overflow date arithmetic in `run`

T = TypeVar("T")


@dataclass
class ParseContext:
    """Where the text came from (for messages and relative paths) and the problems found so far."""

    source: str
    base_dir: Path
    problems: list[Problem] = field(default_factory=list)


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


class TableReader:
    """Read keys of `table`, a TOML table found at `prefix` (e.g. "categories[1]") inside
    `competition` (None outside competitions)."""

    def __init__(
        self,
        table: dict[str, Any],
        ctx: ParseContext,
        *,
        allowed: Sequence[str],
        competition: str | None = None,
        prefix: str = "",
    ) -> None:
        self.table = table
        self.ctx = ctx
        self.allowed = tuple(allowed)
        self.competition = competition
        self.prefix = prefix
        self.failed = False

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def problem(self, name: str, value: object, issue: str, fix: str) -> None:
        self.failed = True
        self.ctx.problems.append(
            Problem(
                file=self.ctx.source,
                competition=self.competition,
                key=self.key(name),
                value=value,
                issue=issue,
                fix=fix,
            )
        )

    def has(self, name: str) -> bool:
        return name in self.table

    def raw(self, name: str) -> object:
        return self.table.get(name, MISSING)

    def finish(self) -> None:
        """Report every key that is not in `allowed`."""
        for name in self.table:
            if name in self.allowed:
                continue
            close = difflib.get_close_matches(name, self.allowed, n=1)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            self.problem(
                name,
                None,
                "is not a known key",
                f"{hint}allowed keys here: {', '.join(self.allowed)}",
            )

    # ---------------------------------------------------------------------------------- getters

    def _typed(self, name: str, kinds: tuple[type, ...], what: str, example: str) -> Any:
        value = self.table.get(name, MISSING)
        if value is MISSING:
            return MISSING
        # bool is an int in Python, but `winners = true` is a mistake, not 1.
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if wrong_bool or not isinstance(value, kinds):
            self.problem(name, value, f"is {type_name(value)}, not {what}", f"write e.g. {example}")
            return MISSING
        return value

    def string(
        self, name: str, *, required: bool = False, default: str = "", example: str = '"..."'
    ) -> str:
        value = self._typed(name, (str,), "a string", f"{name} = {example}")
        if value is MISSING:
            if required and not self.has(name):
                self.problem(name, MISSING, "is required", f"add {name} = {example}")
            return default
        if required and not value.strip():
            self.problem(name, value, "is empty", f"write e.g. {name} = {example}")
            return default
        return str(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self._typed(name, (bool,), "true or false", f"{name} = {str(default).lower()}")
        return default if value is MISSING else bool(value)

    def integer(
        self, name: str, default: int, *, minimum: int = 0, maximum: int = MAX_INTEGER
    ) -> int:
        value = self._typed(name, (int,), "an integer", f"{name} = {max(default, minimum)}")
        if value is MISSING:
            return default
        if value < minimum or value > maximum:
            where = f"below {minimum}" if value < minimum else f"above {maximum}"
            self.problem(name, value, f"is {where}", f"use an integer from {minimum} to {maximum}")
            return default
        return int(value)

    def number(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        value = self._typed(name, (int, float), "a number", f"{name} = {default}")
        if value is MISSING:
            return default
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            self.problem(
                name,
                value,
                "is not a usable number",
                f"use a number from {minimum:g} to {MAX_NUMBER:g}",
            )
            return default
        if value < minimum:
            self.problem(name, value, f"is below {minimum}", f"use a number of at least {minimum}")
            return default
        return float(value)

    def duration(self, name: str, default: timedelta, *, example: str) -> timedelta:
        """A positive duration written like "1h30m" (d, h, m, s units)."""
        value = self.raw(name)
        if value is MISSING:
            return default
        if not isinstance(value, str):
            self.problem(
                name, value, f"is {type_name(value)}, not a duration", f"write {name} = {example}"
            )
            return default
        try:
            td = parse_duration(value)
        except (ValueError, OverflowError):
            self.problem(
                name, value, "is not a duration", f"write it like {example} (d, h, m, s units)"
            )
            return default
        if td > MAX_DURATION:
            self.problem(name, value, "is too long", f"use at most 365d, e.g. {name} = {example}")
            return default
        if td <= timedelta(0):
            self.problem(name, value, "is not positive", f"write e.g. {name} = {example}")
            return default
        return td

    def choice(self, name: str, choices: Sequence[T], default: T) -> T:
        value = self._typed(name, (str,), "a string", f'{name} = "{default}"')
        if value is MISSING:
            return default
        for c in choices:
            if value == c:
                return c
        self.problem(
            name,
            value,
            "is not one of the choices",
            f"use one of: {', '.join(str(c) for c in choices)}",
        )
        return default

    def string_list(self, name: str, *, example: str = '["..."]') -> list[str] | None:
        """A list of strings; None when absent or wrong (the problem is recorded)."""
        value = self._typed(name, (list,), "a list", f"{name} = {example}")
        if value is MISSING:
            return None
        bad = [v for v in value if not isinstance(v, str)]
        if bad:
            self.problem(
                name,
                value,
                f"holds {type_name(bad[0])} where strings are expected",
                f"quote every item, e.g. {name} = {example}",
            )
            return None
        return [str(v) for v in value]

    def table_of(self, name: str) -> dict[str, Any] | None:
        value = self._typed(name, (dict,), "a table", f"[{self.key(name)}]")
        return None if value is MISSING else dict(value)

    def handles(self, name: str) -> tuple[str, ...]:
        """A list of X handles, '@' stripped, each checked against X's rules."""
        values = self.string_list(name, example='["igf", "partner_org"]')
        if values is None:
            return ()
        out: list[str] = []
        seen: set[str] = set()
        for raw in values:
            handle = parse_handle(raw)
            if handle is None:
                self.problem(
                    name,
                    raw,
                    "is not a valid X handle",
                    "use 1 to 15 letters, digits or underscores, with or without a leading @",
                )
                continue
            if handle.lower() not in seen:
                seen.add(handle.lower())
                out.append(handle)
        return tuple(out)


def parse_handle(raw: str) -> str | None:
    """`@Some_Org` -> `Some_Org`; None when it cannot be an X handle."""
    text = raw.strip()
    if text.startswith("@"):
        text = text[1:]
    return text if HANDLE_RE.match(text) else None


def read_text_capped(path: Path, cap: int) -> str:
    """The UTF-8 text of the regular file at `path`, read at most `cap` bytes. Opened without
    blocking (a FIFO would hang a plain open) and checked to be a regular file before reading
    (/dev/zero would never end); OSError or UnicodeDecodeError say why not."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            kind = "a directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "not a regular file"
            raise OSError(errno.EINVAL, f"it is {kind}")
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise OSError(errno.EFBIG, f"it is larger than {cap // 1024} KiB")
    return data.decode("utf-8").removeprefix("\ufeff")
