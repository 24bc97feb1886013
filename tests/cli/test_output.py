"""The shared output helpers: formula-safe CSV cells, terminal-safe aligned tables, UTC times in
whole seconds, times in the organiser's zone, and the one category heading."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.cli.output import (
    Listing,
    category_label,
    csv_safe,
    display_width,
    emit,
    local_iso,
    render_table,
    write_csv,
)
from bot.core.models import Category
from bot.core.timefmt import iso_z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("alice", "alice"),
        ("", ""),
        (None, ""),
        (-3, "-3"),
        (2.0, "2"),
        (2.5, "2.5"),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, expected: str) -> None:
    assert csv_safe(value) == expected  # type: ignore[arg-type]


def test_write_csv_neutralises_every_cell() -> None:
    out = io.StringIO()
    write_csv(out, ["title", "score"], [["=1+1", 3], ["ok", None]])
    assert out.getvalue() == "title,score\n'=1+1,3\nok,\n"


def test_table_aligns_wide_characters_and_escapes_controls() -> None:
    text = render_table(["name", "n"], [["日本", 1], ["a\u202eb\nc", 10]])
    lines = text.splitlines()
    assert len(lines) == 3  # the newline inside a cell did not break the row
    assert "\\u202e" in lines[2] and "\\n" in lines[2]
    assert display_width(lines[1]) == display_width(lines[0])
    assert lines[1].endswith(" 1") and lines[2].endswith("10")  # numbers right-aligned


def test_iso_z_is_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert iso_z(datetime(2026, 11, 2, 9, 0, tzinfo=paris)) == "2026-11-02T08:00:00Z"
    assert iso_z(None) is None


def test_iso_z_prints_whole_seconds() -> None:
    when = datetime(2026, 11, 2, 9, 0, 57, 813846, tzinfo=UTC)
    assert iso_z(when) == "2026-11-02T09:00:57Z"  # truncated: never a second in the future


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("+01:00", "2026-11-02T09:00:00+01:00"),
        ("-03:30", "2026-11-02T04:30:00-03:30"),
        ("Europe/Paris", "2026-11-02T09:00:00+01:00"),
        ("America/Sao_Paulo", "2026-11-02T05:00:00-03:00"),
        ("UTC", "2026-11-02T08:00:00Z"),
    ],
)
def test_local_iso_shows_the_organisers_zone(zone: str, expected: str) -> None:
    assert local_iso(datetime(2026, 11, 2, 8, 0, 0, 5, tzinfo=UTC), zone) == expected


@pytest.mark.parametrize(
    ("category", "label"),
    [
        (
            Category(id="most-liked", kind="likes", title="Most liked"),
            "Most liked [most-liked: likes]",
        ),
        (Category(id="most-liked", kind="likes"), "most-liked [likes]"),
        (
            Category(id="talk", kind="replies", title="Most comments", replies_mode="distinct"),
            "Most comments [talk: replies, distinct]",
        ),
        (
            Category(id="mix", kind="weighted", weights=(("likes", 1.0), ("replies", 2.5))),
            "mix [weighted 1×likes + 2.5×replies]",
        ),
        (Category(id="x", kind="jury", title="Be\u202est"), "Be\\u202est [x: jury]"),
    ],
)
def test_category_label_is_one_heading_for_every_command(category: Category, label: str) -> None:
    assert category_label(category) == label


def test_one_output_layer_prints_every_format_of_a_listing_and_builds_only_that_one() -> None:
    built: list[str] = []

    def form(name: str, value: Any) -> Callable[[], Any]:
        def build() -> Any:
            built.append(name)
            return value

        return build

    listing = Listing(
        document=form("json", {"schema": "x/1", "rows": [{"a": 1}]}),
        columns=("a", "b"),
        rows=form("rows", [[1, "cut…"]]),
        csv_rows=form("csv", [[1, "=the whole text"]]),
        empty="nothing here",
    )
    out = io.StringIO()
    assert emit(out, "json", listing) == 0
    assert json.loads(out.getvalue()) == {"schema": "x/1", "rows": [{"a": 1}]}
    assert built == ["json"]
    out = io.StringIO()
    emit(out, "csv", listing)
    assert out.getvalue() == "a,b\n1,'=the whole text\n"  # the sheet's cells, formula-safe
    assert built == ["json", "csv"]
    out = io.StringIO()
    emit(out, "table", listing)
    assert out.getvalue().splitlines()[-1].split() == ["1", "cut…"]
    assert built == ["json", "csv", "rows"]
    out = io.StringIO()
    emit(out, "table", Listing(document=dict, columns=("a",), empty="nothing here"))
    assert out.getvalue() == "nothing here\n"
    out = io.StringIO()
    emit(out, "table", Listing(document=form("never", {}), text=lambda: "a leaderboard\n"))
    assert out.getvalue() == "a leaderboard\n"
    assert "never" not in built
