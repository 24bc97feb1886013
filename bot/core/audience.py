"""Who is "community" and who is "outside": handle normalisation and the audience of an author.

A competition lists its community members (config list and/or CSV file) and its organisers; both
count as community, everybody else is outside. Handles compare case-insensitively after Unicode NFKC
normalisation and casefolding, without a leading '@'. Pure functions, no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from bot.core.models import AudienceSide, Competition


def normalise_handle(handle: str) -> str:
    """`@Alice` and `alice` name the same account."""
    return unicodedata.normalize("NFKC", handle).strip().lstrip("@＠").casefold()


def handle_set(handles: Iterable[str]) -> frozenset[str]:
    return frozenset(normalise_handle(h) for h in handles)


@lru_cache(maxsize=64)
def cached_handle_set(handles: tuple[str, ...]) -> frozenset[str]:
    """`handle_set` of a declared (immutable) list, normalised once."""
    return handle_set(handles)


@lru_cache(maxsize=16)
def community_handles(competition: Competition) -> frozenset[str]:
    """Community members and organisers, normalised (cached: called once per entry and category,
    and a community list can hold thousands of handles)."""
    return handle_set((*competition.community, *competition.organisers))


def account_mismatch(configured: str | None, authenticated: str) -> str | None:
    """Why posting must not start when `[bot] username` names another account than the one the
    credentials belong to (its posts would then count as entries), or None when they agree."""
    if configured is None or normalise_handle(configured) == normalise_handle(authenticated):
        return None
    return (
        f"[bot] username is @{configured} but the credentials in .env belong to "
        f'@{authenticated}: set username = "{authenticated}" under [bot], or use @{configured}\'s '
        "credentials (the bot's own posts must never count as entries)"
    )


def audience_of(competition: Competition, username: str) -> AudienceSide:
    """ "community" for members and organisers, "outside" for everybody else."""
    return (
        "community" if normalise_handle(username) in community_handles(competition) else "outside"
    )


def is_outside(competition: Competition, username: str) -> bool:
    return audience_of(competition, username) == "outside"
