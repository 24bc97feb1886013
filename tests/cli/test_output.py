"""The shared output helpers: formula-safe CSV cells, terminal-safe aligned tables, UTC times."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from bot.cli.output import csv_safe, display_width, iso_z, render_table, write_csv


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
