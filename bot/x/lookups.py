"""Shell: the one way the bot looks posts up by id, following edit chains to their newest version.

`lookup_newest(client, ids)` makes GET /2/tweets?ids= for at most 100 ids, then looks up the newest
id of every chain that came back as an older version (`bot.core.edits` decides which and merges),
again if a chain was edited in between. The poller's refresh, the daemon's adaptive refresh, the
final snapshot, the late entries' first reading and the pre-announcement re-check all use it, so
live and frozen standings score the same version. The ids it got a doubtful answer for (a
`resource-unavailable` or `resource-not-found` partial error, `bot.core.edits.DOUBTFUL`) are asked
for again, up to `CONFIRM_ROUNDS` times: a passing miss neither drops a post from a snapshot nor
marks it deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.edits import (
    CONFIRM_ROUNDS,
    MAX_ROUNDS,
    doubtful_ids,
    merge_newest,
    newest_ids,
    settle,
)
from bot.core.models import Lookup
from bot.x.interface import XClient


@dataclass(frozen=True)
class Looked:
    """A look-up with edits followed, and how many requests it took."""

    lookup: Lookup
    requests: int


def lookup_newest(
    client: XClient, ids: Sequence[str], *, confirm_rounds: int = CONFIRM_ROUNDS
) -> Looked:
    """Look `ids` (at most 100) up and follow each edited post to its newest version; ask again
    for the ids with a doubtful answer, at most `confirm_rounds` times."""
    looked = _newest(client, ids)
    lookup, requests = looked.lookup, looked.requests
    for _ in range(confirm_rounds):
        again = doubtful_ids(lookup)
        if not again:
            break
        second = _newest(client, again)
        lookup = settle(lookup, second.lookup, again)
        requests += second.requests
    return Looked(lookup, requests)


def _newest(client: XClient, ids: Sequence[str]) -> Looked:
    lookup = client.lookup_tweets(ids)
    requests = 1
    asked = set(ids)
    for _ in range(MAX_ROUNDS):
        # An id asked for once and not returned (deleted meanwhile) is not asked for again.
        follow = [i for i in newest_ids(lookup.posts) if i not in asked]
        if not follow:
            break
        asked.update(follow)
        lookup = merge_newest(lookup, client.lookup_tweets(follow))
        requests += 1
    return Looked(lookup, requests)
