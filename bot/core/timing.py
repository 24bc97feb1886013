"""When posts are due and how times read in each zone: reminder due times, durations, the start of
an event rendered in the zones organisers show (zoneinfo, so daylight-saving changes are right),
leaderboard-update slots, and the grace and already-started tests the outbox decides with.

Pure: every function takes `now` (or no time at all); nothing reads the clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.events import Event
from bot.core.templates import isolate, phrase

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> timedelta:
    """ "90m", "1h30m", "24h", "2d", "45s" -> timedelta. Raises ValueError naming the value."""
    s = text.strip().lower().replace(" ", "")
    m = _DURATION.fullmatch(s)
    if not s or m is None or not any(m.groups()):
        raise ValueError(
            f"duration {text!r} is not understood; write it like 90m, 1h30m, 24h or 2d"
        )
    d, h, mi, se = (int(g) if g else 0 for g in m.groups())
    return timedelta(days=d, hours=h, minutes=mi, seconds=se)


def format_duration_key(td: timedelta) -> str:
    """A compact stable label for an offset, used in outbox keys: 24h, 1h30m, 45m, 48h, 1m30s."""
    total = int(td.total_seconds())
    if total <= 0:
        raise ValueError(f"offset {td} must be positive")
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (seconds, "s")]
    return "".join(f"{n}{u}" for n, u in parts if n)


def format_duration(td: timedelta, lang: str) -> str:
    """A human duration in `lang`: "24 h", "1 h 30 min", "45 min" (zh: "1 小时 30 分钟")."""
    minutes = round(td.total_seconds() / 60)
    hours, mins = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} {phrase('hours', lang)}")
    if mins or not hours:
        parts.append(f"{mins} {phrase('minutes', lang)}")
    return " ".join(parts)


def zone(name: str) -> ZoneInfo:
    """The zone called `name`, or ValueError naming it and the fix."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as UTC, Europe/Paris or "
            "America/Sao_Paulo"
        ) from exc


def zone_label(name: str) -> str:
    """ "America/Sao_Paulo" -> "Sao Paulo"; "UTC" -> "UTC"."""
    return name.rsplit("/", 1)[-1].replace("_", " ")


def reminder_due_times(event: Event) -> list[tuple[timedelta, datetime]]:
    """(offset, due_at in UTC) per reminder, earliest first. Offsets are absolute durations."""
    start = event.start.astimezone(UTC)
    pairs = {(off, start - off) for off in event.reminders if off > timedelta(0)}
    return sorted(pairs, key=lambda p: p[1])


def event_day(event: Event) -> date:
    """The day the event is on, in the zone it was declared in."""
    return event.start.astimezone(zone(event.zone)).date()


def weekday_name(d: date, lang: str) -> str:
    return phrase("weekdays", lang).split(" ")[d.weekday()]


def render_date(event: Event, lang: str) -> str:
    """The event day with its weekday, e.g. "Mon 2026-10-26" (ISO dates read in every language)."""
    day = event_day(event)
    return f"{weekday_name(day, lang)} {isolate(day.isoformat(), lang)}"


def render_zone_time(start: datetime, zone_name: str, day: date, lang: str) -> str:
    """The start as read in `zone_name`, 24-hour clock; the local weekday and the day shift appear
    only when the local date is not `day`: "Paris 15:00", "Singapore Tue 02:00 (+1 day)"."""
    local = start.astimezone(zone(zone_name))
    shift = (local.date() - day).days
    if shift == 0:
        return isolate(f"{zone_label(zone_name)} {local.strftime('%H:%M')}", lang)
    label = isolate(zone_label(zone_name), lang)
    clock = isolate(local.strftime("%H:%M"), lang)
    days = phrase("day_shift", lang).format(n=f"{shift:+d}")
    return f"{label} {weekday_name(local.date(), lang)} {clock} ({days})"


def render_times(event: Event, lang: str) -> list[str]:
    """One line per shown zone (in the order configured)."""
    day = event_day(event)
    return [render_zone_time(event.start, z, day, lang) for z in event.show_zones]


def has_started(event: Event, now: datetime) -> bool:
    return now >= event.start


def is_beyond_grace(due_at: datetime, now: datetime, grace: timedelta) -> bool:
    """True when a post due at `due_at` is more than `grace` late at `now`."""
    return now > due_at + grace


def leaderboard_slots(
    start: datetime,
    end: datetime,
    *,
    times: Sequence[datetime] = (),
    interval: timedelta | None = None,
) -> list[datetime]:
    """The UTC times leaderboard updates are due for a competition running [start, end): the
    configured times inside the window, plus every `interval` after `start` (not at `start`, which
    is the launch post, nor at `end`, which is the winners' turn)."""
    slots = {t.astimezone(UTC) for t in times if start <= t < end}
    if interval is not None:
        if interval <= timedelta(0):
            raise ValueError(f"leaderboard interval {interval} must be positive")
        t = start + interval
        while t < end:
            slots.add(t.astimezone(UTC))
            t += interval
    return sorted(slots)


def slot_label(when: datetime) -> str:
    """A period label for an outbox key, minute precision, no colons: "2026-11-01T1100Z"."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H%MZ")
