"""X snowflake ids: `id >> 22` is milliseconds since the Twitter epoch. Lets ids and times agree."""

from __future__ import annotations

from datetime import UTC, datetime

TWITTER_EPOCH_MS = 1288834974657


def snowflake_time(post_id: str | int) -> datetime:
    """The creation time encoded in a snowflake id (millisecond precision)."""
    ms = (int(post_id) >> 22) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def snowflake_floor(when: datetime) -> str:
    """The smallest id that could have been minted at `when`: a `since_id` that admits every post
    created at or after `when` (since_id is exclusive, so subtract one)."""
    ms = int(when.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str(max((ms << 22) - 1, 0))


def make_snowflake(when: datetime, sequence: int = 0, worker: int = 0) -> str:
    """Mint an id for `when` (worker 0-1023, sequence 0-4095)."""
    ms = int(when.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str((ms << 22) | ((worker & 0x3FF) << 12) | (sequence & 0xFFF))
