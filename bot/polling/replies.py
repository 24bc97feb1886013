"""Shell: collect the replies of entries for categories that count distinct repliers (issue 4
item 1), economically, and store them so `Entry.repliers` is filled.

Only entries that pass the global eligibility rules are worth the requests (an excluded entry never
ranks). Their conversations are searched together: `(conversation_id:1 OR conversation_id:2 ...)
is:reply`, as many per query as fit X's 512-character limit (about 20), 100 replies per page,
paginated to exhaustion; each reply is credited to the post it replies to (`replied_to` among an
entry's version ids): an entry that is itself a reply in somebody's thread gets its own replies,
never the thread's, and a reply to a reply is nobody's comment on the entry. A cursor per
competition (the instant the last run read up to, committed after every page of the run is
stored) makes each run read only new replies; a conversation read for the first time (a new
entry) is read from its entry's creation, in its own queries. Replies are read up to the
competition's end only, and a reply created at or after the end is dropped, so replies arriving
after the deadline never count, like late likes. Who counts (not the author, organisers, excluded
accounts or the bot; repliers passing the category's replier rules) is decided later by the pure
scoring (`bot.core.eligibility.reply_exclusion`). The daemon runs this on a budgeted
cadence while a competition runs, and the freezer once more at the freeze.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.core.eligibility import entry_exclusions, facts_of, organiser_ids
from bot.core.errors import StaleCursor
from bot.core.models import Account, Competition, Entry, Post
from bot.core.polling import (
    HORIZON_MARGIN,
    REPLIES_STREAM,
    SEARCH_HORIZON,
    CursorUpdate,
    SearchWindow,
    replies_window,
)
from bot.core.scoring import counts_distinct_repliers
from bot.store import Store
from bot.x.interface import XClient
from bot.x.queries import conversation_queries, conversation_query

OVERLAP = timedelta(minutes=2)  # re-read before the last run's bound: late-indexed replies
MAX_RESULTS = 100


@dataclass(frozen=True)
class RepliesReport:
    conversations: int
    requests: int
    new_replies: int


def needs_repliers(competition: Competition) -> bool:
    """Whether any category counts distinct repliers (only then are replies fetched)."""
    return any(counts_distinct_repliers(c) for c in competition.categories)


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


def conversation_of(entry: Entry) -> str:
    return entry.post.conversation_id or entry.key


def collect_replies(
    competition: Competition,
    *,
    client: XClient,
    store: Store,
    clock: Clock,
    entries: Sequence[Entry] | None = None,
    bot_username: str | None = None,
) -> RepliesReport:
    """Read and store the new replies in the conversations of the eligible entries (of all the
    competition's entries when `entries` is None). Errors of the X client propagate (the caller
    retries at its next tick; what was stored stays, the cursor has not moved)."""
    if entries is None:
        entries = store.entries(competition.id)
    targets = reply_targets(competition, entries, bot_username=bot_username)
    keys: dict[str, list[str]] = {}
    for e in targets:
        keys.setdefault(conversation_of(e), []).append(e.key)
    parents = {v: e.key for e in targets for v in (*e.post.edit_history_ids, e.post.id)}
    now = clock.now()
    cursor = store.get_cursor(competition.id, REPLIES_STREAM)
    covered = cursor.newest_created_at if cursor else None
    scanned = store.scanned_conversations(competition.id) if covered else set()
    old = [c for c in keys if c in scanned]
    new = [c for c in keys if c not in scanned]
    first = min((e.post.created_at for e in targets if conversation_of(e) in new), default=None)
    runs: list[tuple[list[str], SearchWindow | None]] = [
        (
            old,
            replies_window(
                end=competition.end,
                covered_until=covered,
                first_created=None,
                now=now,
                overlap=OVERLAP,
            )
            if old
            else None,
        ),
        (
            new,
            replies_window(
                end=competition.end,
                covered_until=None,
                first_created=first,
                now=now,
                overlap=OVERLAP,
            )
            if new
            else None,
        ),
    ]
    requests = added = 0
    bound = None
    for conversations, window in runs:
        if window is None:
            continue
        bound = window.end_time
        for group in conversation_queries(conversations):
            r, a = _read(competition, client, store, clock, group, window, parents)
            requests += r
            added += a
    if bound is not None:
        store.finish_replies_run(
            competition.id,
            REPLIES_STREAM,
            CursorUpdate(since_id=None, newest_created_at=bound),
            new,
            now=clock.now(),
        )
    return RepliesReport(len(keys), requests, added)


def _read(
    competition: Competition,
    client: XClient,
    store: Store,
    clock: Clock,
    group: Sequence[str],
    window: SearchWindow,
    parents: dict[str, str],
) -> tuple[int, int]:
    """Every page of one combined query; returns (requests, new replies)."""
    query = conversation_query(group)
    requests = added = 0
    token: str | None = None
    while True:
        try:
            page = client.search_recent(
                query,
                since_id=window.since_id,
                start_time=window.start_time,
                end_time=window.end_time,
                next_token=token,
                max_results=MAX_RESULTS,
            )
        except StaleCursor:
            if window.since_id is None or token is not None:
                raise
            # Our since_id fell out of the 7-day horizon between computing and sending it.
            floor = clock.now() - SEARCH_HORIZON + HORIZON_MARGIN
            window = SearchWindow(None, floor, window.end_time)
            continue
        requests += 1
        added += store.save_conversation_replies(
            _attributed(competition, page.posts, parents), _users(page.accounts), now=clock.now()
        )
        if not page.next_token:
            return requests, added
        token = page.next_token


def _attributed(
    competition: Competition, tweets: Sequence[Post], parents: dict[str, str]
) -> dict[str, list[Post]]:
    """Replies by the key of the entry they reply to (`parents`: every version id of every
    target entry -> its key), created before the competition's end; replies to other posts of
    the thread are nobody's."""
    by_key: dict[str, list[Post]] = {}
    for t in tweets:
        if not t.is_reply or t.created_at >= competition.end:
            continue
        key = parents.get(t.replied_to_id or "")
        if key is not None:
            by_key.setdefault(key, []).append(t)
    return by_key


def _users(users: Sequence[Account]) -> list[Account]:
    return list({u.id: u for u in users}.values())
