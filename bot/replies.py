"""Shell: fetch the replies of entries through `conversation_id:` search, for categories that count
distinct repliers (issue 4 item 1), and store them so `Entry.repliers` is filled.

Only entries that pass the global eligibility rules are worth the requests (an excluded entry never
ranks); each conversation costs one search request per 100 replies. Replies are read up to the
competition's end only, so replies arriving after the deadline never count, like late likes.
`Store.save_replies` keeps them idempotently by reply id. Who counts (not the author, organisers,
excluded accounts or the bot) is decided later by the pure scoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.core.eligibility import entry_exclusions, facts_of, organiser_ids
from bot.core.models import Competition, Entry
from bot.core.queries import conversation_query
from bot.store import Store
from bot.x.interface import XClient

SEARCH_HORIZON = timedelta(days=7)
# X wants start_time well inside the 7-day window and end_time at least 10 s in the past.
HORIZON_MARGIN = timedelta(minutes=1)
END_MARGIN = timedelta(seconds=10)


@dataclass(frozen=True)
class RepliesReport:
    conversations: int
    requests: int
    new_replies: int


def needs_repliers(competition: Competition) -> bool:
    """Whether any category counts distinct repliers (only then are replies fetched)."""
    return any(
        c.replies_mode == "distinct"
        and (
            c.kind in ("replies", "jury")
            or (c.kind == "weighted" and any(name == "replies" for name, _ in c.weights))
        )
        for c in competition.categories
    )


def reply_targets(
    competition: Competition, entries: Sequence[Entry], *, bot_username: str | None = None
) -> list[Entry]:
    """The entries whose conversations are worth reading: active and globally eligible."""
    org_ids = organiser_ids(competition, entries)
    return [
        e
        for e in entries
        if e.status == "active"
        and not entry_exclusions(
            competition, facts_of(competition, e, org_ids=org_ids), bot_username=bot_username
        )
    ]


def search_times(
    competition: Competition, entry: Entry, now: datetime
) -> tuple[datetime, datetime] | None:
    """(start_time, end_time) for an entry's conversation search: from the entry's creation (kept
    inside the 7-day window) up to the competition's end (or 10 s ago, X's limit, if earlier).
    None when that window is empty."""
    start = max(entry.tweet.created_at, now - SEARCH_HORIZON + HORIZON_MARGIN)
    end = min(competition.end, now - END_MARGIN)
    return (start, end) if start < end else None


def collect_replies(
    competition: Competition,
    *,
    client: XClient,
    store: Store,
    clock: Clock,
    entries: Sequence[Entry] | None = None,
    bot_username: str | None = None,
) -> RepliesReport:
    """Read and store the replies in the conversation of every eligible entry (all of them when
    `entries` is None). Errors of the X client propagate (the caller retries at its next tick)."""
    if entries is None:
        entries = store.entries(competition.id)
    targets = reply_targets(competition, entries, bot_username=bot_username)
    requests = new = 0
    for entry in targets:
        window = search_times(competition, entry, clock.now())
        if window is None:
            continue
        start, end = window
        query = conversation_query(entry.tweet.conversation_id or entry.key)
        token: str | None = None
        while True:
            page = client.search_recent(
                query, start_time=start, end_time=end, next_token=token, max_results=100
            )
            requests += 1
            replies = [t for t in page.tweets if t.is_reply]
            new += store.save_replies(entry.key, replies, page.users, now=clock.now())
            if not page.next_token:
                break
            token = page.next_token
    return RepliesReport(len(targets), requests, new)
