"""Reminder times and zone rendering, across the EU and US daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.events import Event
from bot.core.templates import LRI, PDI
from bot.core.timing import (
    format_duration,
    format_duration_key,
    is_beyond_grace,
    leaderboard_slots,
    parse_duration,
    reminder_due_times,
    render_date,
    render_times,
    slot_label,
)

ZONES = ("UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Singapore", "Africa/Nairobi")


def event(start: datetime, zone: str, **kw: object) -> Event:
    return Event(id="w1", title="Webinar", start=start, zone=zone, show_zones=ZONES, **kw)  # type: ignore[arg-type]


def test_after_the_eu_change_paris_is_utc_plus_one() -> None:
    # EU clocks go back on Sunday 2026-10-25; on the 26th Paris is UTC+1, Sao Paulo UTC-3 (no DST).
    ev = event(datetime(2026, 10, 26, 19, 0, tzinfo=ZoneInfo("Europe/Paris")), "Europe/Paris")
    assert render_times(ev, "en") == [
        "UTC 18:00",
        "Paris 19:00",
        "Sao Paulo 15:00",
        "Singapore Tue 02:00 (+1 day)",
        "Nairobi 21:00",
    ]
    assert render_date(ev, "en") == "Mon 2026-10-26"


def test_before_the_eu_change_paris_is_utc_plus_two() -> None:
    ev = event(datetime(2026, 10, 23, 19, 0, tzinfo=ZoneInfo("Europe/Paris")), "Europe/Paris")
    assert render_times(ev, "en") == [
        "UTC 17:00",
        "Paris 19:00",
        "Sao Paulo 14:00",
        "Singapore Sat 01:00 (+1 day)",
        "Nairobi 20:00",
    ]


def test_us_change_new_york_shifts_by_an_hour() -> None:
    # US clocks go back on Sunday 2026-11-01: New York is UTC-4 before, UTC-5 after.
    zones = ("America/New_York", "UTC")
    before = Event("a", "A", datetime(2026, 10, 31, 16, 0, tzinfo=UTC), show_zones=zones)
    after = Event("b", "B", datetime(2026, 11, 2, 16, 0, tzinfo=UTC), show_zones=zones)
    assert render_times(before, "en") == ["New York 12:00", "UTC 16:00"]
    assert render_times(after, "en") == ["New York 11:00", "UTC 16:00"]


def test_previous_day_in_the_west_and_localised_weekdays() -> None:
    ev = event(datetime(2026, 3, 30, 1, 30, tzinfo=ZoneInfo("Europe/Paris")), "Europe/Paris")
    assert render_times(ev, "fr")[2] == "Sao Paulo dim. 20:30 (-1 jour)"
    assert render_times(ev, "es")[0] == "UTC dom. 23:30 (-1 día)"
    assert render_times(ev, "zh")[0] == "UTC 周日 23:30 (-1天)"
    assert render_times(ev, "ru")[0] == "UTC вс 23:30 (-1 дн.)"


def test_arabic_isolates_latin_runs() -> None:
    ev = event(datetime(2026, 10, 26, 19, 0, tzinfo=ZoneInfo("Europe/Paris")), "Europe/Paris")
    lines = render_times(ev, "ar")
    assert lines[1] == f"{LRI}Paris 19:00{PDI}"
    assert lines[3] == f"{LRI}Singapore{PDI} الثلاثاء {LRI}02:00{PDI} (+1 يوم)"


def test_reminder_due_times_are_exact_across_the_change() -> None:
    # EU clocks go back at 01:00 UTC on Sunday 2026-10-25. 24 h before a Sunday 12:00 (CET) session
    # is Saturday 11:00 UTC, which Paris reads as 13:00 (CEST): absolute hours, not wall clock.
    start = datetime(2026, 10, 25, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    ev = event(start, "Europe/Paris", reminders=(timedelta(hours=1), timedelta(hours=24)))
    due = reminder_due_times(ev)
    assert due == [
        (timedelta(hours=24), datetime(2026, 10, 24, 11, 0, tzinfo=UTC)),
        (timedelta(hours=1), datetime(2026, 10, 25, 10, 0, tzinfo=UTC)),
    ]
    assert due[0][1].astimezone(ZoneInfo("Europe/Paris")).hour == 13


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),
        ("24h", timedelta(hours=24)),
        ("2d", timedelta(days=2)),
        ("45s", timedelta(seconds=45)),
        ("1H 30M", timedelta(minutes=90)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "90", "1.5h", "h", "30m1h", "-1h"])
def test_parse_duration_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="90m, 1h30m"):
        parse_duration(bad)


def test_duration_labels() -> None:
    assert format_duration_key(timedelta(hours=24)) == "24h"
    assert format_duration_key(timedelta(minutes=90)) == "1h30m"
    assert format_duration_key(timedelta(days=2)) == "48h"
    assert format_duration(timedelta(minutes=90), "en") == "1 h 30 min"
    assert format_duration(timedelta(minutes=45), "zh") == "45 分钟"
    assert format_duration(timedelta(hours=24), "ru") == "24 ч"


def test_grace() -> None:
    due = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert not is_beyond_grace(due, due + timedelta(minutes=30), timedelta(minutes=30))
    assert is_beyond_grace(due, due + timedelta(minutes=31), timedelta(minutes=30))


def test_leaderboard_slots_times_and_interval() -> None:
    start = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    end = start + timedelta(days=1)
    paris_noon = datetime(2026, 11, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    slots = leaderboard_slots(
        start, end, times=[paris_noon, end + timedelta(hours=1)], interval=timedelta(hours=8)
    )
    assert slots == [
        datetime(2026, 11, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 11, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 16, 0, tzinfo=UTC),
    ]
    assert slot_label(slots[1]) == "2026-11-01T1100Z"
