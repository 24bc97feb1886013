"""The limits the config file is held to, in one place (docs/LIMITS.md lists them for organisers).

Every limit is what `contestbot run` (or X) would otherwise refuse or crash on later, with some
room: a value past one is a typo, not a plan. Also the checks that need more than a number: a time
zone name that is safe to hand to zoneinfo, and an instant inside the dates X and the bot handle.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# X (twitter-text) hashtags are at most 139 characters; the search query built from them must
# stay within X's 512 (bot.x.queries.MAX_QUERY_LENGTH).
MAX_HASHTAG_LENGTH = 139
MAX_HASHTAGS = 20  # per competition: every query is a billed search stream of its own
MAX_COMMUNITY = 100_000  # handles in `community` plus `community_file`
MAX_COMMUNITY_FILE_BYTES = 4 * 1024 * 1024  # 4 MiB

MAX_WINNERS = 100  # per category
MAX_SHORTLIST = 1000  # per jury category
MAX_LEADERBOARD_TOP = 100
MAX_ACCOUNT_AGE_DAYS = 10_000  # older than X itself (2006) is a typo
MAX_FOLLOWERS = 1_000_000_000
MAX_MONTHLY_READS = 1_000_000_000
MAX_USD = Decimal(1_000_000)  # any amount in dollars
MIN_LEADERBOARD_INTERVAL = timedelta(minutes=10)

# X started on 2006-03-21: nothing to search before; past 2100 date arithmetic (end + grace,
# durations) nears datetime's limits and is a typo anyway.
EARLIEST = datetime(2006, 3, 21, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
DATE_RANGE = "2006-03-21 to 2100-01-01"

MAX_ZONE_LENGTH = 64
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+){0,2}")


def load_zone(name: str) -> ZoneInfo | None:
    """The IANA zone called `name`, or None: also for names zoneinfo would fail on with other
    errors than "not found" (NUL bytes, paths such as ../../etc/passwd, over-long names, folders
    such as "America")."""
    if len(name) > MAX_ZONE_LENGTH or not _ZONE_NAME.fullmatch(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def in_date_range(when: datetime) -> bool:
    """Whether the aware `when` lies inside `DATE_RANGE`."""
    return EARLIEST <= when <= LATEST


def wall_time_in_range(when: datetime) -> bool:
    """Whether `when`, read as written (before any offset or zone is applied, which would
    overflow near year 9999), lies inside `DATE_RANGE` give or take a day."""
    wall = when.replace(tzinfo=None)
    day = timedelta(days=1)
    return EARLIEST.replace(tzinfo=None) - day <= wall <= LATEST.replace(tzinfo=None) + day
