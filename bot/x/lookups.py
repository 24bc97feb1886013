"""Shell: the one way the bot looks posts up by id, following edit chains to their newest version.

`lookup_newest(client, ids)` makes GET /2/tweets?ids= for at most 100 ids, then looks up the newest
id of every chain that came back as an older version (`bot.core.edits` decides which and merges),
again if a chain was edited in between. The poller's refresh, the daemon's adaptive refresh, the
final snapshot, the late entries' first reading and the pre-announcement re-check all use it, so
live and frozen standings score the same version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.edits import MAX_ROUNDS, merge_newest, newest_ids
from bot.core.models import Lookup
from bot.x.interface import XClient


@dataclass(frozen=True)
class Looked:
    """A look-up with edits followed, and how many requests it took."""

    lookup: Lookup
    requests: int


def lookup_newest(client: XClient, ids: Sequence[str]) -> Looked:
    """Look `ids` (at most 100) up and follow each edited post to its newest version."""
    lookup = client.lookup_tweets(ids)
    requests = 1
    asked = set(ids)
    for _ in range(MAX_ROUNDS):
        # An id asked for once and not returned (deleted meanwhile) is not asked for again.
        follow = [i for i in newest_ids(lookup.tweets) if i not in asked]
        if not follow:
            break
        asked.update(follow)
        lookup = merge_newest(lookup, client.lookup_tweets(follow))
        requests += 1
    return Looked(lookup, requests)
