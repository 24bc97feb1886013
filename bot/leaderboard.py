"""Shell: the leaderboard as organisers and the bot read it, from the live rows (issue 14).

Before the deadline the standings are kept incrementally in the database (`bot.store.live`):
`board` catches the competition's rows up with what the store wrote since (and with the
organisers' decisions and picks) and reads the first rows of each category from an index, so the
top of a category costs the same at a million entries as at a hundred. From the deadline on (the
provisional standings, then the frozen ones) it computes the standings whole, as the freeze does
(`bot.freezer.live_standings`): one prize per author and the deadline's metrics apply from then.
Either way the standings are the ones `compute_standings` gives (a property test compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from bot.core.board import BELOW_MINIMUM, category_from_prefix, prefix_is_enough, rank_rows
from bot.core.mentions import StandingLine, standing_lines, standing_of
from bot.core.models import Account, Competition, Exclusion, Ranked, Standings
from bot.freezer import live_standings
from bot.store import Store
from bot.store.live import ENTRIES, EXCLUSIONS, LiveStore, decisions_of
from bot.store.rules import RulesStore


@dataclass(frozen=True)
class Board:
    """What the leaderboard shows. `standings` holds, per category, at least the first `top`
    ranked entries and every winner (all of them when `complete`); `exclusions()` streams every
    exclusion in the standings' order, `excluded_entries` and `exclusion_count` count them;
    `ranked(category_id)` streams every ranked line of a category (while the store is open)."""

    standings: Standings
    excluded_entries: int
    exclusion_count: int
    exclusions: Callable[[], Iterator[Exclusion]]
    complete: bool
    ranked: Callable[[str], Iterator[Ranked]]


def board(
    store: Store,
    competition: Competition,
    now: datetime,
    *,
    top: int,
    bot_username: str | None = None,
    through_rank: int = 0,
) -> Board:
    """The leaderboard of `competition` at `now`: from the live rows before the deadline, whole
    from then on. Each category holds at least its first `top` lines, its winners and every
    line ranked `through_rank` or better (a shared rank may hold more lines than its number)."""
    if not keep(store, competition, now, bot_username=bot_username):
        return whole(live_standings(store, competition, now, bot_username=bot_username))
    live = LiveStore(store)
    counts = live.counts(competition.id)
    categories = []
    for category in competition.categories:
        wanted = max(top, category.winners, through_rank)
        limit = wanted + 1
        while True:
            rows = live.top(competition.id, category.id, limit)
            prefix, following = (rows[:-1], rows[-1]) if len(rows) == limit else (rows, None)
            if prefix_is_enough(
                competition, category, prefix, following, wanted=wanted, through_rank=through_rank
            ):
                break
            limit *= 2
        categories.append(
            category_from_prefix(
                competition,
                category,
                prefix,
                following,
                below_minimum=counts[f"{category.id}\t{BELOW_MINIMUM}"],
            )
        )
    standings = Standings(
        competition.id,
        now,
        tuple(categories),
        (),
        prizes_pending=competition.eligibility.one_prize_per_author,
    )
    by_id = {c.id: c for c in competition.categories}
    return Board(
        standings,
        counts[ENTRIES],
        counts[EXCLUSIONS],
        lambda: live.exclusions(competition),
        complete=False,
        ranked=lambda category_id: rank_rows(
            competition, by_id[category_id], live.ranked(competition.id, category_id)
        ),
    )


def standings_reader(
    store: Store,
    competition: Competition,
    now: datetime,
    *,
    bot_username: str | None = None,
) -> Callable[[Account], tuple[StandingLine, ...]]:
    """A reader of an account's place in every category at `now` (what a reply to "my rank"
    says): before the deadline from the live rows' indexes, whatever the number of entries; from
    then on from the standings computed whole, once for every account read."""
    if not keep(store, competition, now, bot_username=bot_username):
        whole_ = live_standings(store, competition, now, bot_username=bot_username)
        return lambda account: standing_of(account.username, whole_)
    live = LiveStore(store)
    return lambda account: standing_lines(*live.places_of(competition, account.id))


def keep(
    store: Store, competition: Competition, now: datetime, *, bot_username: str | None = None
) -> bool:
    """Bring the competition's live rows up to date with the store and the organisers' decisions
    (the daemon does after each poll and refresh, so a read finds little to do). From the deadline
    on the rows are dropped (the standings are computed whole from then): returns False."""
    rules = RulesStore(store)
    live = LiveStore(store)
    if now >= competition.end or rules.is_frozen(competition.id):
        live.release(competition.id)
        return False
    disqualified, requalified = rules.decision_state(competition.id)
    decisions = decisions_of(competition, disqualified, requalified, rules.picks(competition.id))
    live.catch_up(competition, decisions, bot_username=bot_username, now=now)
    return True


def whole(standings: Standings) -> Board:
    """A board of standings computed whole (every entry and exclusion in hand)."""
    entries = {cs.category.id: cs.entries for cs in standings.categories}
    return Board(
        standings,
        len({x.key for x in standings.exclusions}),
        len(standings.exclusions),
        lambda: iter(standings.exclusions),
        complete=True,
        ranked=lambda category_id: iter(entries[category_id]),
    )
