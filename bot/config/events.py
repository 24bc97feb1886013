"""`[[event]]` tables and the `[posting]` table -> `Event`s and `PostingConfig`, every mistake
reported with the file, the key, the bad value and the fix.

Owns the event vocabulary (start with an offset, or a local time plus `timezone`; durations such
as "90m" or "1h30m"; zones to show; reminder offsets; per-language or combined posts) and the value
readers `bot.config.posting` shares (durations, languages, zones). Importing it registers both
sections with `bot.config`: `Config.sections["event"]` is a tuple of `Event`, and
`sections["posting"]` a `PostingConfig` (parsed by `bot.config.posting`). `parse_events` reads both
from a parsed document without the registry.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import bot.config.limits as limits
from bot.config.problems import MISSING, Problem
from bot.config.reader import ParseContext, TableReader, type_name
from bot.config.sections import register_section
from bot.core.events import (
    SUPPORTED_LANGUAGES,
    Event,
    PostMode,
)
from bot.core.models import Competition
from bot.core.timing import parse_duration, zone

EVENT_KEYS = (
    "id",
    "title",
    "start",
    "timezone",
    "duration",
    "link",
    "languages",
    "show_zones",
    "reminders",
    "post_mode",
    "post_languages",
)
POST_MODES: tuple[PostMode, ...] = ("per-language", "combined")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LANGS_FIX = f"use language codes among {', '.join(SUPPORTED_LANGUAGES)}"


# ----------------------------------------------------------------------------------------- events


def parse_event_section(
    raw: object, ctx: ParseContext, competitions: tuple[Competition, ...]
) -> tuple[Event, ...]:
    if not isinstance(raw, list):
        ctx.problems.append(
            Problem(
                ctx.source,
                "event",
                f"is {type_name(raw)}, not a list of tables",
                "declare each event with [[event]] (double brackets)",
            )
        )
        return ()
    out: list[Event] = []
    seen: set[str] = set()
    for i, table in enumerate(raw, start=1):
        if not isinstance(table, dict):
            ctx.problems.append(
                Problem(
                    ctx.source,
                    f"event[{i}]",
                    f"is {type_name(table)}, not a table",
                    "declare each event with [[event]]",
                )
            )
            continue
        event = _event(table, ctx, i)
        if event is None:
            continue
        if event.id in seen:
            ctx.problems.append(
                Problem(
                    ctx.source,
                    f"event[{i}].id",
                    "is already used by another event",
                    "give each event its own id",
                    value=event.id,
                )
            )
            continue
        seen.add(event.id)
        out.append(event)
    return tuple(out)


def _event(table: dict[str, Any], ctx: ParseContext, index: int) -> Event | None:
    raw_id = table.get("id")
    label = raw_id if isinstance(raw_id, str) and SLUG_RE.match(raw_id) else str(index)
    r = TableReader(table, ctx, allowed=EVENT_KEYS, prefix=f"event[{label}]")
    r.finish()
    eid = r.string("id", required=True, example='"igf-webinar-1"')
    if eid and not SLUG_RE.match(eid):
        r.problem(
            "id", eid, "is not a valid id", "use lowercase letters, digits, '-' and '_' (up to 64)"
        )
    title = r.string("title", required=True, example='"IGF webinar: the open internet"')
    zone_name = r.string("timezone", default="UTC", example='"Europe/Paris"')
    if not _zone_ok(r, "timezone", zone_name):
        zone_name = ""
    start = _instant(r, "start", zone_name)
    duration = r.duration("duration", timedelta(hours=1), example='"1h30m"')
    link = r.string("link", example='"https://example.org/webinar"')
    if link and not is_web_url(link):
        r.problem(
            "link",
            link,
            "is not an http(s) URL with a host",
            'write link = "https://example.org/webinar" (only http:// and https:// links)',
        )
    languages = languages_value(r, "languages", ("en",), check_supported=False)
    post_languages = languages_value(r, "post_languages", ("en",), check_supported=True)
    show = r.string_list("show_zones", example='["UTC", "Europe/Paris", "America/Sao_Paulo"]')
    show_zones = tuple(z for z in (show or []) if _zone_ok(r, "show_zones", z)) if show else ()
    reminders = _reminders(r)
    post_mode = r.choice("post_mode", POST_MODES, "per-language")
    if r.failed or start is None:
        return None
    return Event(
        id=eid,
        title=title,
        start=start,
        zone=zone_name or "UTC",
        duration=duration,
        link=link,
        languages=languages,
        show_zones=show_zones or (zone_name or "UTC",),
        reminders=reminders,
        post_mode=post_mode,
        post_languages=post_languages,
    )


def _zone_ok(r: TableReader, key: str, name: str) -> bool:
    if limits.load_zone(name) is None:  # also NUL bytes, paths and over-long names
        r.problem(
            key,
            name,
            "is not a known time zone",
            'use an IANA zone name such as "Europe/Paris", "America/Sao_Paulo" or "UTC"',
        )
        return False
    return True


def _instant(r: TableReader, key: str, zone_name: str) -> datetime | None:
    """An ISO-8601 time with an offset, or a local time read in `zone_name` (which must exist)."""
    example = '"2026-10-27T15:00:00+01:00"'
    value = r.raw(key)
    if value is MISSING:
        r.problem(key, MISSING, "is required", f"add {key} = {example}")
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            r.problem(key, value, "is not an ISO-8601 time", f"write e.g. {key} = {example}")
            return None
    elif isinstance(value, date):
        r.problem(key, value.isoformat(), "has no time of day", f"write e.g. {key} = {example}")
        return None
    else:
        r.problem(key, value, f"is {type_name(value)}, not a time", f"write {key} = {example}")
        return None
    if not limits.wall_time_in_range(when):
        r.problem(
            key,
            when.isoformat(),
            f"is outside {limits.DATE_RANGE}",
            f"write e.g. {key} = {example}",
        )
        return None
    if when.tzinfo is not None:
        return when.astimezone(UTC)
    if not zone_name or not r.has("timezone"):
        if not r.has("timezone"):
            r.problem(
                key,
                when.isoformat(),
                "has no UTC offset and no timezone is set",
                'add an offset (e.g. "+01:00") or set timezone = "Europe/Paris"',
            )
        return None
    tz = zone(zone_name)
    local = when.replace(tzinfo=tz)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != when:
        r.problem(
            key,
            when.isoformat(),
            f"does not exist in {zone_name} (the clocks skip it)",
            "pick a time outside the daylight-saving change, or give an explicit offset",
        )
        return None
    return local.astimezone(UTC)


def languages_value(
    r: TableReader, key: str, default: tuple[str, ...], *, check_supported: bool
) -> tuple[str, ...]:
    values = r.string_list(key, example='["en", "fr", "es"]')
    if values is None:
        return default
    if not values:
        r.problem(key, values, "is empty", 'list one or more, e.g. ["en", "fr"]')
        return default
    out: list[str] = []
    for v in values:
        code = v.strip().lower()
        if check_supported and code not in SUPPORTED_LANGUAGES:
            r.problem(key, v, "is not a language the bot can write posts in", LANGS_FIX)
        elif not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", code):
            r.problem(key, v, "is not a language code", 'use codes such as "en", "fr", "pt-br"')
        elif code not in out:
            out.append(code)
    return tuple(out) or default


def _reminders(r: TableReader) -> tuple[timedelta, ...]:
    default = (timedelta(hours=24), timedelta(hours=1))
    values = r.string_list("reminders", example='["24h", "1h"]')
    if values is None:
        return default
    out: list[timedelta] = []
    for v in values:
        try:
            td = parse_duration(v)
            if td > timedelta(days=365):
                raise ValueError(v)
        except (ValueError, OverflowError):
            r.problem(
                "reminders", v, "is not a duration", 'write offsets like ["24h", "1h", "30m"]'
            )
            continue
        if td <= timedelta(0):
            r.problem("reminders", v, "is not positive", "give how long before the start, e.g. 1h")
        elif td not in out:
            out.append(td)
    return tuple(out)


def is_web_url(text: str) -> bool:
    """An http(s) URL with a host and no whitespace or control characters (never javascript:,
    data:, file: ...)."""
    if len(text) > 2000 or any(ch.isspace() or ord(ch) < 32 for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


register_section("event", parse_event_section)
