"""How the bot writes instants for machines: ISO-8601 in UTC, whole seconds, with a `Z`.

One shape everywhere (heartbeat files, `status` state, log lines), so what `contestbot status`
and the CLI print compares as text. Pure: a datetime in, a string out.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso_z(when: datetime | None) -> str | None:
    """Aware datetime -> `2026-11-02T09:00:00Z` (the fraction of a second is dropped); None stays
    None. A naive datetime is refused: inside the bot every time is aware UTC."""
    if when is None:
        return None
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r} - pass an aware UTC datetime")
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
