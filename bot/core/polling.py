"""Polling decisions, pure: which time window to search, where a cursor moves, when to stop.

The poller (`bot.polling.poller`) asks these functions what to request and the store what it
already has; nothing here performs I/O or reads the clock (`now` is a parameter). A cursor
remembers the newest creation time it has seen; the next search re-reads an `overlap` before it
(late-indexed posts are found, duplicates are absorbed by idempotent upserts) and never searches
outside the competition window or beyond the API's 7-day recent-search horizon.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core.models import Competition, Metrics, Page, Post
from bot.core.snowflake import snowflake_floor, snowflake_time
from bot.core.timefmt import iso_z

SEARCH_HORIZON = timedelta(days=7)
"""How far back GET /2/tweets/search/recent reaches (older since_id/start_time -> 400)."""
HORIZON_MARGIN = timedelta(minutes=5)
"""Kept inside the horizon so a start_time computed now is still valid when the server reads it."""
END_TIME_LAG = timedelta(seconds=30)
"""end_time must be some seconds in the past (the API asks >= 10 s); searches stay this far back."""
LOOKUP_BATCH = 100
"""GET /2/tweets?ids= takes at most 100 ids."""

T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    """Where a stream (e.g. "search:0", "mentions:<user_id>") of a competition stands.

    `newest_created_at` is the creation time of the newest post the stream has returned, the base
    of the next window; `since_id` the newest id seen (kept for reference); `pending_next_token` the
    pagination token of a run still in progress (a crash leaves it set; the poller re-reads from
    the committed window rather than resume: a token is bound to the exact request that made it).
    """

    since_id: str | None
    newest_created_at: datetime | None
    pending_next_token: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class CursorUpdate:
    """What to write into a cursor, in the same transaction as the page it covers."""

    since_id: str | None
    newest_created_at: datetime | None
    pending_next_token: str | None = None


@dataclass(frozen=True)
class SearchWindow:
    """The time bounds of one paginated run. Exactly one of `since_id`/`start_time` is set."""

    since_id: str | None
    start_time: datetime | None
    end_time: datetime | None


@dataclass(frozen=True)
class Snapshot:
    """A stored metric reading of an entry: the version `post_id` read at `taken_at`."""

    key: str
    post_id: str
    taken_at: datetime
    metrics: Metrics


def readable_floor(start: datetime, now: datetime) -> datetime:
    """The oldest creation time a search made at `now` may ask for in a window from `start`: the
    start, or the 7-day horizon (less `HORIZON_MARGIN`), whichever is later."""
    return max(start, now - SEARCH_HORIZON + HORIZON_MARGIN)


def window_from(window: SearchWindow) -> datetime:
    """The oldest creation time `window` reads: its start_time, or the instant its since_id
    (`snowflake_floor` of that instant) admits."""
    if window.start_time is not None:
        return window.start_time
    if window.since_id is None:
        raise ValueError("a search window has a since_id or a start_time")
    return snowflake_time(int(window.since_id) + 1)


def search_window(
    start: datetime,
    end: datetime,
    cursor: Cursor | None,
    now: datetime,
    *,
    overlap: timedelta,
) -> SearchWindow | None:
    """The window of the next search run of a competition open from `start` (inclusive) to `end`
    (exclusive), or None when there is nothing to search yet (or any more).

    First run (or after a dropped cursor): `start_time` = the competition start, clamped inside the
    7-day horizon. Later runs: `since_id` = the smallest id minted `overlap` before the newest post
    seen, unless that lies before the start (then `start_time` again); a since_id the API finds
    stale is replaced by `stale_fallback_window`. `end_time` is only sent once
    the end has passed, capped `END_TIME_LAG` before now as the API requires.
    """
    if now < start:
        return None
    floor = readable_floor(start, now)
    end_time: datetime | None = None
    if end <= now:
        end_time = min(end, now - END_TIME_LAG)
        if end_time <= floor:
            return None
    if cursor is not None and cursor.newest_created_at is not None:
        resume = cursor.newest_created_at - overlap
        # Past the 7-day horizon the API answers 400 and the poller falls back: the server, not
        # our clock, is the authority on where its horizon lies.
        if resume > start:
            return SearchWindow(
                since_id=snowflake_floor(resume), start_time=None, end_time=end_time
            )
    return SearchWindow(since_id=None, start_time=floor, end_time=end_time)


def stale_fallback_window(window: SearchWindow, start: datetime, now: datetime) -> SearchWindow:
    """The window to retry with after the API called `window`'s since_id stale: start_time at the
    competition start or the oldest instant still inside the horizon, whichever is later."""
    return SearchWindow(
        since_id=None, start_time=readable_floor(start, now), end_time=window.end_time
    )


def should_poll(start: datetime, now: datetime, *, complete: bool) -> bool:
    """Whether a competition still needs polling: it has started and its collection is not
    complete (`bot.core.rescans.is_collection_complete`: the final re-scan for late-indexed posts
    has run, `late_grace` after the end)."""
    return now >= start and not complete


Span = tuple[datetime, datetime]


def uncollected_spans(start: datetime, end: datetime, searched: Sequence[datetime]) -> list[Span]:
    """The parts of the window [start, end) no search could read, from the times the bot searched
    the competition (`searched`, any order): before the first search, what was already past the
    7-day horizon (less `HORIZON_MARGIN`, which the bot keeps clear of); and after any search
    followed by none for more than that, what left the horizon meanwhile. Oldest first; empty when
    the bot never searched (nothing is known) or saw everything."""
    times = sorted(searched)
    if not times:
        return []
    reach = SEARCH_HORIZON - HORIZON_MARGIN
    spans: list[Span] = []
    for seen, later in zip([start, *times], times, strict=False):
        begin, until = max(seen, start), min(later - reach, end)
        if begin < until:
            spans.append((begin, until))
    return spans


def uncollectable_warnings(
    competitions: Iterable[Competition],
    now: datetime,
    *,
    first_search: Mapping[str, datetime],
    skip: Collection[str] = (),
    predicted: bool = False,
) -> list[str]:
    """One `describe_uncollectable` line per competition whose window reaches further back than
    the search could when the bot first searched it (`first_search` by competition id; absent:
    now), except those in `skip` (frozen) and those whose window lies inside the horizon."""
    lines: list[str] = []
    for c in competitions:
        if c.id in skip:
            continue
        spans = uncollected_spans(c.start, c.end, [first_search.get(c.id, now)])
        if spans:
            lines.append(describe_uncollectable(c.id, spans[0], c.end, predicted=predicted))
    return lines


def _ceil_minute(when: datetime) -> datetime:
    whole = when.replace(second=0, microsecond=0)
    return whole if whole == when else whole + timedelta(minutes=1)


def describe_uncollectable(
    competition_id: str, span: Span, end: datetime, *, predicted: bool
) -> str:
    """One line for organisers: which part of a competition's window cannot be collected, why,
    and the fix. `predicted`: the bot has not searched it yet (the span assumes it starts now)."""
    begin, until = span[0], _ceil_minute(span[1])
    condition = " if the bot first searches it now" if predicted else ""
    why = "X's recent search reaches back 7 days only"
    pro = "full-archive search needs Pro access"
    if until >= end:
        return (
            f'competition "{competition_id}": none of its posts ({iso_z(begin)} to {iso_z(end)}) '
            f"can be collected{condition}: {why} - move the window into the last 7 days, or "
            f"accept an empty result ({pro})"
        )
    return (
        f'competition "{competition_id}": posts from {iso_z(begin)} to {iso_z(until)} cannot be '
        f"collected{condition}: {why} - move start to {iso_z(until)} or later, or accept the gap "
        f"({pro})"
    )


def merge_pages(pages: Sequence[Page]) -> Page:
    """Consecutive pages of one run as one: their posts in the order read, each account once (its
    latest description), the run's newest and oldest ids among them, and the last page's
    `next_token`. Storing it is storing each of them in turn, in one transaction."""
    if not pages:
        raise ValueError("merge_pages needs at least one page")
    accounts = {a.id: a for page in pages for a in page.accounts}
    newest = [p.newest_id for p in pages if p.newest_id is not None]
    oldest = [p.oldest_id for p in pages if p.oldest_id is not None]
    return Page(
        posts=tuple(t for page in pages for t in page.posts),
        accounts=tuple(accounts.values()),
        newest_id=max(newest, key=int) if newest else None,
        oldest_id=min(oldest, key=int) if oldest else None,
        result_count=sum(p.result_count for p in pages),
        next_token=pages[-1].next_token,
    )


def advance_cursor(
    previous: Cursor | None, seen: Iterable[Post], *, pending_next_token: str | None = None
) -> CursorUpdate:
    """The cursor after a run that returned `seen`: the newest id and creation time among them and
    the previous cursor (a cursor never moves backwards; an empty run leaves it where it was)."""
    since_id = previous.since_id if previous else None
    newest = previous.newest_created_at if previous else None
    for post in seen:
        if since_id is None or int(post.id) > int(since_id):
            since_id = post.id
        if newest is None or post.created_at > newest:
            newest = post.created_at
    return CursorUpdate(
        since_id=since_id, newest_created_at=newest, pending_next_token=pending_next_token
    )


def batched(items: Sequence[T], size: int = LOOKUP_BATCH) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    if size <= 0:
        raise ValueError(f"batch size must be positive, got {size}")
    for i in range(0, len(items), size):
        yield items[i : i + size]


def search_stream(index: int) -> str:
    """The cursor stream name of a competition's `index`-th search query."""
    return f"search:{index}"


def mentions_stream(account_id: str) -> str:
    """The cursor stream name of the mentions of account `user_id`."""
    return f"mentions:{account_id}"


REPLIES_STREAM = "replies"
"""The cursor stream of a competition's replies collection (all its conversations together)."""


def replies_window(
    *,
    end: datetime,
    covered_until: datetime | None,
    first_created: datetime | None,
    now: datetime,
    overlap: timedelta,
    end_lag: timedelta = timedelta(seconds=10),
    horizon_margin: timedelta = HORIZON_MARGIN,
) -> SearchWindow | None:
    """The window of a replies run of a competition ending at `end`: up to the end, at most
    `end_lag` before now (X's limit); from `overlap` before the instant the last run read up to
    (`covered_until`, as a since_id) for conversations read before, or from the creation of the
    oldest new entry (`first_created`, as a start_time) when some conversation is read for the
    first time. Clamped inside the 7-day horizon; None when empty, or when a run after the end
    already read up to it."""
    floor = now - SEARCH_HORIZON + horizon_margin
    end_time = min(end, now - end_lag)
    if first_created is not None or covered_until is None:
        begin = max(first_created or floor, floor)
        return SearchWindow(None, begin, end_time) if begin < end_time else None
    if covered_until >= end:
        return None  # a run after the end read up to it: the replies are complete
    resume = covered_until - overlap
    if resume >= end_time:
        return None
    if resume <= floor:
        return SearchWindow(None, floor, end_time)
    return SearchWindow(snowflake_floor(resume), None, end_time)


def should_collect_replies(
    last_run: datetime | None, now: datetime, *, every: timedelta, factor: float = 1.0
) -> bool:
    """Whether a running competition's replies are due again: `every`, stretched by a budget
    factor below 1 (interval / factor), since the last run."""
    if not 0 < factor <= 1:
        raise ValueError(f"factor={factor}; the budget factor lies in (0, 1]")
    return last_run is None or now - last_run >= every / factor
