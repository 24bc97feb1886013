"""How listing commands print: an aligned text table by default, `--format json` or `--format csv`.

Shared by every command that prints: `leaderboard`, `competitions`, `results`, `status`... so times
(`iso_z`: UTC, whole seconds, `Z`; `local_iso`: in the organiser's zone) and category headings
(`category_label`) read the same everywhere. Table cells are made safe for a
terminal (control characters shown escaped, so a hostile title cannot rewrite the screen or break a
row) and aligned by display width (wide CJK and emoji count two columns). CSV cells that a
spreadsheet would run as a formula (starting with = + - @, tab or carriage return) are prefixed with
a quote. JSON is UTF-8, keys in a stable order, times ISO-8601 UTC with `Z`, whole seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import IO, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.models import Category

Format = Literal["table", "json", "csv"]
FORMATS: tuple[Format, ...] = ("table", "json", "csv")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


def add_format_option(
    parser: argparse.ArgumentParser,
    formats: Sequence[Format] = FORMATS,
    *,
    help: str | None = None,
) -> None:
    """`--format`, offering `formats` (a command without CSV rows offers table and JSON)."""
    spreadsheets = ", or CSV for spreadsheets" if "csv" in formats else ""
    parser.add_argument(
        "--format",
        choices=tuple(formats),
        default="table",
        help=help or f"output as an aligned text table (default), JSON{spreadsheets}",
    )


Rows = Sequence[Sequence[Cell]]


@dataclass(frozen=True)
class Listing:
    """What a listing command prints, each format built only when it is the one asked for:
    `document` for JSON; `columns` and `rows` for CSV and the table; `text` when the table form is
    more than one table (a leaderboard's headings, `status`'s sections); `empty`, the table form's
    line when there are no rows; `csv_rows` when the CSV cells differ from the table's (full texts
    where the table cuts). The forms are functions of nothing, called by `emit`."""

    document: Callable[[], Mapping[str, object]]
    columns: Sequence[str] = ()
    rows: Callable[[], Rows] = tuple
    text: Callable[[], str] | None = None
    empty: str | None = None
    csv_rows: Callable[[], Rows] | None = None


def emit(out: IO[str], fmt: str, listing: Listing) -> int:
    """Print `listing` as `fmt` (`--format`): the one place listing commands print; returns 0."""
    if fmt == "json":
        out.write(to_json(listing.document()))
    elif fmt == "csv":
        write_csv(out, listing.columns, (listing.csv_rows or listing.rows)())
    elif listing.text is not None:
        out.write(listing.text())
    else:
        rows = listing.rows()
        if not rows and listing.empty is not None:
            out.write(listing.empty + "\n")
        else:
            out.write(render_table(listing.columns, rows))
    return 0


def zone_of(label: str) -> tzinfo:
    """The zone an organiser wrote: an offset (`+01:00`, `-03:30`), `UTC`/`Z`, or an IANA name.
    An unknown name falls back to UTC (config validation has already rejected it)."""
    if label in ("UTC", "Z"):
        return UTC
    if label[:1] in "+-" and len(label) == 6 and label[3] == ":":
        sign = -1 if label[0] == "-" else 1
        try:
            minutes = int(label[1:3]) * 60 + int(label[4:6])
        except ValueError:
            return UTC
        return timezone(sign * timedelta(minutes=minutes))
    try:
        return ZoneInfo(label)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_iso(when: datetime, label: str) -> str:
    """`when` as the organiser reads it, in the zone `label` (see `zone_of`), with its offset:
    `2026-11-02T09:00:00+01:00`; UTC prints with `Z`."""
    local = when.astimezone(zone_of(label)).replace(microsecond=0)
    return local.isoformat().replace("+00:00", "Z")


def category_label(category: Category) -> str:
    """A category's heading, the same in every command: `Most liked [most-liked: likes]`, or
    `most-liked [likes]` without a title. The kind carries what changes its score: the replies
    mode, or the weights of a weighted category."""
    kind: str = category.kind
    if category.kind == "replies":
        kind += f", {category.replies_mode}"
    elif category.kind == "weighted" and category.weights:
        kind += " " + " + ".join(f"{number(w)}×{metric}" for metric, w in category.weights)
    if category.title and category.title != category.id:
        return terminal_safe(f"{category.title} [{category.id}: {kind}]")
    return terminal_safe(f"{category.id} [{kind}]")


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


def write_json_streamed(
    out: IO[str], document: object, streams: Mapping[str, Iterable[object]]
) -> None:
    """`to_json(document)` written as it is made, where each string of `streams`' keys stands in
    `document` for a list whose items come from the iterable: the same text, item after item, so
    a list of a million entries is never held whole."""
    text = to_json(document)
    at = 0
    spots = sorted((text.index(json.dumps(token)), token) for token in streams)
    for start, token in spots:
        out.write(text[at:start])
        line_start = text.rfind("\n", 0, start) + 1
        indent = " " * (len(text[line_start:start]) - len(text[line_start:start].lstrip(" ")))
        inner = indent + "  "
        first = True
        for item in streams[token]:
            encoded = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n" + inner)
            out.write(("[\n" if first else ",\n") + inner + encoded)
            first = False
        out.write("[]" if first else "\n" + indent + "]")
        at = start + len(json.dumps(token))
    out.write(text[at:])
