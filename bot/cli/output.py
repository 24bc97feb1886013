"""How listing commands print: an aligned text table by default, `--format json` or `--format csv`.

Shared by `leaderboard` and `competitions` (and later `status`). Table cells are made safe for a
terminal (control characters shown escaped, so a hostile title cannot rewrite the screen or break a
row) and aligned by display width (wide CJK and emoji count two columns). CSV cells that a
spreadsheet would run as a formula (starting with = + - @, tab or carriage return) are prefixed with
a quote. JSON is UTF-8, keys in a stable order, times ISO-8601 UTC with `Z`.
"""

from __future__ import annotations

import argparse
import csv
import json
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import IO, Literal

Format = Literal["table", "json", "csv"]
FORMATS: tuple[Format, ...] = ("table", "json", "csv")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


def add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="output as an aligned text table (default), JSON, or CSV for spreadsheets",
    )


def iso_z(when: datetime | None) -> str | None:
    """Aware datetime -> `2026-11-02T09:00:00Z` (UTC); None stays None."""
    if when is None:
        return None
    text = when.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def number(value: float) -> int | float:
    """Scores print as integers when they are whole (likes), as floats otherwise (weighted)."""
    return int(value) if float(value).is_integer() else round(value, 6)


# ----------------------------------------------------------------------------------------- table


def terminal_safe(text: str) -> str:
    """Escape control and bidi-override characters, which would break rows or reorder them."""
    out: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc" or (cat == "Cf" and ch in BIDI_CONTROLS):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def display_width(text: str) -> int:
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _cell(value: Cell) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{number(value)}"
    return terminal_safe(str(value))


def render_table(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """Columns separated by two spaces; numbers right-aligned; ends with a newline."""
    raw_rows = [list(row) for row in rows]
    cells = [[_cell(v) for v in row] for row in raw_rows]
    numeric = [
        bool(raw_rows)
        and all(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in raw_rows)
        for i in range(len(headers))
    ]
    widths = [
        max([display_width(h), *(display_width(r[i]) for r in cells)])
        for i, h in enumerate(headers)
    ]
    lines = []
    for row in [list(headers), *cells]:
        parts = []
        for i, text in enumerate(row):
            pad = " " * (widths[i] - display_width(text))
            parts.append(pad + text if numeric[i] else text + pad)
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------- csv, json


def csv_safe(value: Cell) -> str:
    """A cell a spreadsheet will show, never run: formula-looking text gets a leading quote.
    Numbers are written as numbers (a negative score is data, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(number(value))
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def write_csv(out: IO[str], headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_safe(h) for h in headers])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])


def to_json(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
