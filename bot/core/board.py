"""The live leaderboard kept incrementally: one row per entry and category, ordered as the scoring
orders it, so the top of a category is the first rows of an index (issue 14).

`compute_standings` ranks every entry at once. Before the deadline the same rules can be applied to
one entry at a time, except two that look at other entries:
- one entry per author: an author's candidates in a category are compared with each other
  (`authors_best` picks the one that ranks), and
- the organisers' user ids (`organiser_ids`, from the entries' authors) that mark replies to them.
One prize per author only applies from the deadline on, when the leaderboard computes everything
again (`bot.freezer`), as the freeze does.

`entry_rows` turns one entry's facts into its global exclusions (every failed rule) or, when it is
eligible, one `BoardRow` per category: its score, the jury's pick and, for a row that cannot rank
there, the category rule and its sentence. `category_from_prefix` ranks the first rows of a
category in order exactly as `rank_category` ranks the whole list: ranks, shared ranks, tie marks,
audience ranks, winners; the rows before any row are all in the prefix, so nothing there depends on
the rows left out. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice

from bot.core.audience import audience_of
from bot.core.eligibility import EntryFacts, entry_exclusions
from bot.core.models import (
    AudienceSide,
    Category,
    CategoryStanding,
    Competition,
    Exclusion,
    Ranked,
    post_url,
)
from bot.core.scoring import (
    JuryPick,
    below_minimum_reason,
    category_filter,
    category_score,
    draw_value,
    latest_picks,
    not_best_reason,
    required_seed,
    why_first,
)

NOT_AUTHORS_BEST = "not-authors-best"
BELOW_MINIMUM = "below-minimum"


@dataclass(frozen=True)
class BoardRow:
    """One eligible entry in one category. `rule` is None for a row that ranks, else the category
    rule it fails (`reason` the sentence; for "not-authors-best" the sentence names the author's
    best, which changes with it: see `authors_best_reason`). `tiebreak` orders equal scores: the
    creation time (ISO, UTC, whole seconds) or, under tie_rule "random", the seeded draw."""

    category_id: str
    key: str
    post_id: str
    author_id: str
    username: str
    created_at: datetime
    audience: AudienceSide
    score: float
    pick_rank: int | None
    rule: str | None
    reason: str | None
    tiebreak: str

    @property
    def group(self) -> tuple[int, float]:
        """What ranks share: the jury's pick rank first, then the score (higher first)."""
        if self.pick_rank is not None:
            return (0, float(self.pick_rank))
        return (1, -self.score)

    @property
    def order(self) -> tuple[int, float, str, int, str]:
        """The category's order (`rank_category`): group, tie-break, then numeric key order."""
        return (*self.group, self.tiebreak, len(self.key), self.key)

    @property
    def is_candidate(self) -> bool:
        """Competes for its author's place (one entry per author): passes the category's filter
        and minimum."""
        return self.rule is None or self.rule == NOT_AUTHORS_BEST


def tiebreak_of(competition: Competition, category_id: str, key: str, created_at: datetime) -> str:
    seed = required_seed(competition)
    if competition.tie_rule == "random":
        assert seed is not None  # required_seed raised otherwise
        return draw_value(seed, category_id, key)
    return created_at.strftime("%Y-%m-%dT%H:%M:%S")


def entry_rows(
    competition: Competition,
    facts: EntryFacts,
    *,
    bot_username: str | None = None,
    disqualified: Mapping[str, str] | None = None,
    requalified: Collection[str] = (),
    picks: Mapping[str, Mapping[str, int]] | None = None,
) -> tuple[list[Exclusion], list[BoardRow]]:
    """The entry's global exclusions, or (none failed) its row in every category, before one entry
    per author is applied (a candidate's `rule` is None). `picks`: category id -> entry key ->
    the jury's latest rank."""
    failed = entry_exclusions(
        competition,
        facts,
        bot_username=bot_username,
        disqualified=disqualified,
        requalified=requalified,
    )
    if failed:
        return failed, []
    side = audience_of(competition, facts.username)
    rows: list[BoardRow] = []
    for category in competition.categories:
        pick = (
            (picks or {}).get(category.id, {}).get(facts.key) if category.kind == "jury" else None
        )
        rule: str | None = None
        reason: str | None = None
        score = 0.0
        filtered = category_filter(competition, category, facts)
        if filtered is not None:
            rule, reason = filtered
        else:
            score = category_score(competition, category, facts, bot_username=bot_username)
            if score < category.minimum and pick is None:
                rule = BELOW_MINIMUM
                reason = below_minimum_reason(category, score)
        rows.append(
            BoardRow(
                category_id=category.id,
                key=facts.key,
                post_id=facts.post_id,
                author_id=facts.author_id,
                username=facts.username,
                created_at=facts.created_at,
                audience=side,
                score=score,
                pick_rank=pick,
                rule=rule,
                reason=reason,
                tiebreak=tiebreak_of(competition, category.id, facts.key, facts.created_at),
            )
        )
    return [], rows


def authors_best(rows: Sequence[BoardRow]) -> BoardRow | None:
    """The one of an author's rows in a category that ranks under one entry per author: the first
    candidate in the category's order (None when none is a candidate)."""
    candidates = [r for r in rows if r.is_candidate]
    return min(candidates, key=lambda r: r.order) if candidates else None


def authors_best_reason(best: BoardRow, other: BoardRow, tie_rule: str) -> str:
    """The sentence of `other`'s "not-authors-best" exclusion, as `rank_category` writes it."""
    why = why_first(
        _facts(best),
        _facts(other),
        {best.key: best.score, other.key: other.score},
        {r.key: r.pick_rank for r in (best, other) if r.pick_rank is not None},
        tie_rule,
    )
    return not_best_reason(other.username, best.post_id, why)


def _facts(row: BoardRow) -> EntryFacts:
    return EntryFacts(row.key, row.post_id, row.author_id, row.username, row.created_at)


def category_from_prefix(
    competition: Competition,
    category: Category,
    prefix: Sequence[BoardRow],
    following: BoardRow | None,
    *,
    below_minimum: int,
) -> CategoryStanding:
    """The standing of `category` from its first ranked rows in order (`prefix`) and the row after
    them (`following`, None when the prefix is all of them): the same ranks, tie marks, audience
    ranks and winners `rank_category` gives those rows in the whole list. `below_minimum` is the
    category's count of rows under its minimum."""
    rows = list(
        islice(
            rank_rows(
                competition, category, chain(prefix, () if following is None else (following,))
            ),
            len(prefix),
        )
    )
    awaiting = category.kind == "jury" and not any(r.jury_rank is not None for r in rows)
    winners = tuple(
        r.key
        for r in rows
        if r.rank <= category.winners and (category.kind != "jury" or r.jury_rank is not None)
    )
    return CategoryStanding(category, tuple(rows), winners, awaiting, below_minimum)


def rank_rows(
    competition: Competition, category: Category, rows: Iterable[BoardRow]
) -> Iterator[Ranked]:
    """Each of a category's ranked rows, given in its order, as its line of the standings (rank,
    tie mark, audience rank), one at a time: a whole category streams through it with one row of
    look-ahead (a tie is marked on both sides), whatever its length."""
    shared = competition.tie_rule == "shared"
    side_first: dict[str, tuple[int, tuple[int, float]]] = {}
    side_count: dict[str, int] = {}
    ahead = iter(rows)
    r = next(ahead, None)
    i = first_of_group = 0
    before: tuple[int, float] | None = None
    while r is not None:
        following = next(ahead, None)
        g = r.group
        if i == 0 or g != before:
            first_of_group = i
        tied = (i > 0 and before == g) or (following is not None and following.group == g)
        audience_rank: int | None = None
        if category.audience == "both":
            n = side_count.get(r.audience, 0)
            first = side_first.get(r.audience)
            if first is None or first[1] != g:
                first = (n, g)
                side_first[r.audience] = first
            side_count[r.audience] = n + 1
            audience_rank = first[0] + 1 if shared else n + 1
        yield Ranked(
            rank=first_of_group + 1 if shared else i + 1,
            key=r.key,
            post_id=r.post_id,
            author_id=r.author_id,
            username=r.username,
            score=r.score,
            created_at=r.created_at,
            url=post_url(r.username, r.post_id),
            audience=r.audience,
            tie=competition.tie_rule if tied else None,
            audience_rank=audience_rank,
            jury_rank=r.pick_rank,
        )
        before, r, i = g, following, i + 1


def prefix_is_enough(
    competition: Competition,
    category: Category,
    prefix: Sequence[BoardRow],
    following: BoardRow | None,
    *,
    wanted: int,
    through_rank: int = 0,
) -> bool:
    """Whether `prefix` (with the row after it) holds the first `wanted` rows, every winner and
    every row ranked `through_rank` or better: under shared ranks a tie at such a rank may run
    past `wanted`."""
    if following is None:
        return True
    if len(prefix) < wanted:
        return False
    if competition.tie_rule != "shared" or not prefix:
        return True
    if following.group != prefix[-1].group:
        return True
    # `following` shares the last row's rank: it wins too when that rank is a winning one.
    first = len(prefix) - 1
    while first > 0 and prefix[first - 1].group == prefix[-1].group:
        first -= 1
    return first + 1 > max(category.winners, through_rank)


def pick_ranks(competition: Competition, picks: Sequence[JuryPick]) -> dict[str, dict[str, int]]:
    """Category id -> entry key -> the jury's latest rank, for the jury categories."""
    return {
        c.id: {k: p.rank for k, p in latest_picks(c.id, picks).items()}
        for c in competition.categories
        if c.kind == "jury"
    }
