"""Edit chains, pure: which looked-up versions are stale, how their newest versions replace them.

An edit creates a new post id; `Post.edit_history_ids` lists the whole chain, oldest first, and
looking up an older id returns that old version (CONTRACT.md §10) with its own, frozen metrics.
The bot scores an entry on its newest version, so every look-up goes on to the newest id of each
chain it got back (`bot.x.lookups.lookup_newest` fetches; this module decides). A chain edited again
between two look-ups is followed again, at most `MAX_ROUNDS` times (X allows 5 edits).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import Lookup, Post

MAX_ROUNDS = 5
"""X lets a post be edited five times: a chain never needs more follow-up look-ups."""


def stale_versions(posts: Sequence[Post]) -> dict[str, str]:
    """For each looked-up version that is not the newest of its chain: its id -> the newest id
    its `edit_history_ids` names. Empty when every version is the newest."""
    return {
        t.id: t.edit_history_ids[-1]
        for t in posts
        if t.edit_history_ids and t.edit_history_ids[-1] != t.id
    }


def newest_versions(posts: Sequence[Post]) -> list[Post]:
    """The posts that are the newest version of their chain as far as they tell (a search or a
    timeline returns the newest version, CONTRACT.md §10): their metrics are the entry's."""
    stale = stale_versions(posts)
    return [t for t in posts if t.id not in stale]


def newest_ids(posts: Sequence[Post]) -> list[str]:
    """The newest ids to look up next, de-duplicated, in the order the stale versions came."""
    return list(dict.fromkeys(stale_versions(posts).values()))


def merge_newest(first: Lookup, newer: Lookup) -> Lookup:
    """`first` with each stale version replaced by the newest version of its chain found in
    `newer` (matched by entry key). A chain whose newest version `newer` did not return keeps the
    old version: its status (deleted, protected) shows on the next look-up of it, since deleting
    any version deletes the chain. Problems are `first`'s: the ids the caller asked for."""
    stale = stale_versions(first.posts)
    if not stale:
        return first
    found = {t.key: t for t in newer.posts}
    posts = tuple(found.get(t.key, t) if t.id in stale else t for t in first.posts)
    accounts = {u.id: u for u in (*first.accounts, *newer.accounts)}
    return Lookup(posts=posts, accounts=tuple(accounts.values()), problems=first.problems)


CONFIRM_ROUNDS = 2
"""How many times a look-up asks again for the ids it got a doubtful answer for."""

DOUBTFUL: frozenset[str] = frozenset({"deleted", "unavailable"})
"""Problems worth a second look-up before they count: "unavailable" (`resource-unavailable`) is
X failing to serve a post just now, and a "deleted" mark (`resource-not-found`) takes an entry out
of every later refresh and ranking, so one passing miss must not make it."""


def doubtful_ids(lookup: Lookup) -> list[str]:
    """The ids `lookup` reported a doubtful problem for, de-duplicated, in answer order."""
    return list(dict.fromkeys(i for i, p in lookup.problems if p in DOUBTFUL))


def settle(first: Lookup, again: Lookup, asked_again: Sequence[str]) -> Lookup:
    """`first` with the answer for the ids asked again (`asked_again`) taken from `again`: the
    posts found there join the found ones, and those ids' problems are `again`'s (a post found
    on the second asking has none). Other ids' problems stay as `first` reported them."""
    asked = set(asked_again)
    keys = {t.key for t in again.posts}
    posts = (*(t for t in first.posts if t.key not in keys), *again.posts)
    accounts = {u.id: u for u in (*first.accounts, *again.accounts)}
    problems = (*((i, p) for i, p in first.problems if i not in asked), *again.problems)
    return Lookup(posts=tuple(posts), accounts=tuple(accounts.values()), problems=tuple(problems))
