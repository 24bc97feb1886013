"""How the bot writes instants: ISO-8601 in UTC, whole seconds, with a `Z`; the one time formatter.

One shape everywhere (heartbeat files, `status` state, log lines, reasons, CLI tables and JSON),
so what `contestbot status` and the CLI print compares as text. `iso_z` writes (None stays None),
`iso` writes a time that is always there, `parse_iso` reads any of them back. Pure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal


def iso_z(
    when: datetime | None, *, timespec: Literal["seconds", "milliseconds"] = "seconds"
) -> str | None:
    """Aware datetime -> `2026-11-02T09:00:00Z` (the fraction of a second is dropped, or kept to
    the millisecond with `timespec="milliseconds"`, as log lines do); None stays None. A naive
    datetime is refused: inside the bot every time is aware UTC."""
    if when is None:
        return None
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r} - pass an aware UTC datetime")
    return when.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def iso(when: datetime) -> str:
    """`iso_z` for a time that is always there (reasons, messages, tables)."""
    text = iso_z(when)
    assert text is not None
    return text


def parse_iso(text: str) -> datetime | None:
    """An ISO-8601 time (with `Z` or an offset) -> aware UTC datetime; None when it is not one
    (a naive time counts as UTC)."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
