"""Scoring: category scores, the declared tie rules, and the standings of a competition.

`compute_standings` runs eligibility first (`bot.core.eligibility`), then ranks each category in
declared order: category filters (outside audience, questions, replies to organisers), the
one-prize-per-author rule against earlier categories' winners, scores, the tie rule ("earliest",
"shared" or a seeded "random" draw), the one-entry-per-author rule, ranks and winners. Every entry
that does not appear in a category's ranking has an `Exclusion` saying why, so a category's ranked
keys plus its exclusions always cover every entry. Pure: `now` is a parameter; no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.audience import audience_of, normalise_handle
from bot.core.eligibility import (
    EntryFacts,
    entry_exclusions,
    facts_of,
    organiser_ids,
    reply_exclusion,
    rule_order,
)
from bot.core.models import (
    AudienceSide,
    Category,
    CategoryStanding,
    Competition,
    Entry,
    Exclusion,
    Ranked,
    Standings,
    post_url,
)

METRIC_NAMES = ("likes", "replies", "reposts", "quotes")


@dataclass(frozen=True)
class JuryPick:
    """An organiser's pick in a jury category: `key` placed at `rank` (1 = best) by `judge`.
    A later pick (by `picked_at`, then judge) of the same entry in the same category replaces an
    earlier one."""

    category_id: str
    key: str
    rank: int
    judge: str
    picked_at: datetime
    reason: str = ""


def seed_commitment(seed: str) -> str:
    """The hex SHA-256 of a random-draw seed: published before the deadline, so the draw cannot be
    chosen after the results are known."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def draw_value(seed: str, category_id: str, key: str) -> str:
    """An entry's place in the seeded draw: hex SHA-256 of `seed:category:key` (smaller first)."""
    return hashlib.sha256(f"{seed}:{category_id}:{key}".encode()).hexdigest()


def key_order(key: str) -> tuple[int, str]:
    """Keys are snowflake ids: shorter first, then lexicographic, is numeric order."""
    return (len(key), key)


def counts_distinct_repliers(category: Category) -> bool:
    """Whether the category's score counts distinct repliers (whose replies must be read)."""
    if category.replies_mode != "distinct":
        return False
    return category.kind in ("replies", "jury") or (
        category.kind == "weighted" and any(name == "replies" for name, _ in category.weights)
    )


def distinct_repliers(
    competition: Competition,
    category: Category,
    facts: EntryFacts,
    *,
    bot_username: str | None = None,
    outside_only: bool = False,
) -> tuple[str, ...]:
    """The distinct accounts whose direct replies to an entry count in `category`: replies before
    the end from accounts other than its author, the organisers, the excluded accounts and the bot
    (and, with `outside_only`, community members) that pass the category's replier rules
    (`bot.core.eligibility.reply_exclusion`). Their usernames, normalised and sorted."""
    counted: dict[str, str] = {}
    for r in facts.repliers:
        if (
            reply_exclusion(
                competition,
                category,
                facts,
                r,
                bot_username=bot_username,
                outside_only=outside_only,
            )
            is None
        ):
            who = normalise_handle(r.username)
            counted.setdefault(r.author_id or who, who)
    return tuple(sorted(set(counted.values())))


def metric_value(
    competition: Competition,
    category: Category,
    facts: EntryFacts,
    name: str,
    *,
    bot_username: str | None = None,
    outside_only: bool = False,
) -> int:
    """One metric of an entry as `category` counts it (replies follow the category's mode)."""
    if name == "replies" and category.replies_mode == "distinct":
        repliers = distinct_repliers(
            competition, category, facts, bot_username=bot_username, outside_only=outside_only
        )
        return len(repliers)
    if name not in METRIC_NAMES:
        raise ValueError(f"unknown metric {name!r} in category {category.id!r}; use {METRIC_NAMES}")
    value: int = getattr(facts.metrics, name)
    return value


def category_score(
    competition: Competition,
    category: Category,
    facts: EntryFacts,
    *,
    bot_username: str | None = None,
) -> float:
    """The score `category` gives `facts`. Jury categories score outside engagement (likes plus
    replies, replies from outside repliers in "distinct" mode), which orders the shortlist."""

    def m(name: str, outside_only: bool = False) -> int:
        return metric_value(
            competition, category, facts, name, bot_username=bot_username, outside_only=outside_only
        )

    if category.kind in ("likes", "replies", "quotes", "reposts"):
        return float(m(category.kind))
    if category.kind == "weighted":
        total = 0.0
        for name, weight in category.weights:
            total += weight * m(name)
        return total
    if category.kind == "jury":
        return float(m("likes") + m("replies", outside_only=True))
    raise ValueError(f"unknown category kind {category.kind!r} in {category.id!r}")


def latest_picks(category_id: str, picks: Sequence[JuryPick]) -> dict[str, JuryPick]:
    latest: dict[str, JuryPick] = {}
    for p in sorted(picks, key=lambda p: (p.picked_at, p.judge, p.rank)):
        if p.category_id == category_id:
            latest[p.key] = p
    return latest


def _excl(f: EntryFacts, rule: str, reason: str, category: Category) -> Exclusion:
    return Exclusion(f.key, f.post_id, f.username, rule, reason, category.id)


def category_filter(
    competition: Competition, category: Category, f: EntryFacts
) -> tuple[str, str] | None:
    if category.audience == "outside" and audience_of(competition, f.username) == "community":
        return (
            "community-author",
            f"@{f.username} is a community member; this category ranks "
            "authors from outside the community only",
        )
    if category.kind == "jury" and category.questions_only and not f.question:
        return ("not-a-question", "does not ask a question; this category takes questions only")
    if category.kind == "jury" and category.replies_to_organisers_only and not f.reply_to_organiser:
        return (
            "not-reply-to-organiser",
            "not a reply to an organiser's post; this category "
            "takes replies to the organisers only",
        )
    return None


def _assign_ranks(
    ordered: list[EntryFacts], group: Callable[[EntryFacts], object], shared: bool
) -> list[tuple[int, bool]]:
    """(rank, tied) per position: `tied` when a neighbour has the same group value."""
    out: list[tuple[int, bool]] = []
    groups = [group(f) for f in ordered]
    first_of_group = 0
    for i, g in enumerate(groups):
        if i == 0 or g != groups[i - 1]:
            first_of_group = i
        tied = (i > 0 and groups[i - 1] == g) or (i + 1 < len(groups) and groups[i + 1] == g)
        out.append((first_of_group + 1 if shared else i + 1, tied))
    return out


def rank_category(
    competition: Competition,
    category: Category,
    eligible: Sequence[EntryFacts],
    *,
    bot_username: str | None = None,
    jury_picks: Sequence[JuryPick] = (),
    already_won: Collection[str] = (),
) -> tuple[CategoryStanding, list[Exclusion]]:
    """Rank the globally eligible entries in one category. `already_won` holds author ids that won
    an earlier category (used when the competition awards one prize per author)."""
    rules = competition.eligibility
    excluded: list[Exclusion] = []
    candidates: list[EntryFacts] = []
    for f in eligible:
        failed = category_filter(competition, category, f)
        if failed is not None:
            excluded.append(_excl(f, *failed, category))
        elif rules.one_prize_per_author and f.author_id in already_won:
            excluded.append(
                _excl(
                    f,
                    "already-won",
                    f"@{f.username} already won a prize in an "
                    "earlier category; one prize per author",
                    category,
                )
            )
        else:
            candidates.append(f)

    scores = {
        f.key: category_score(competition, category, f, bot_username=bot_username)
        for f in candidates
    }
    picks = latest_picks(category.id, jury_picks) if category.kind == "jury" else {}
    minimum = category.minimum
    below = [f for f in candidates if scores[f.key] < minimum and f.key not in picks]
    for f in below:
        excluded.append(
            _excl(
                f,
                "below-minimum",
                below_minimum_reason(category, scores[f.key]),
                category,
            )
        )
    if below:
        low = {f.key for f in below}
        candidates = [f for f in candidates if f.key not in low]
    seed = required_seed(competition)

    def group(f: EntryFacts) -> tuple[int, float]:
        pick = picks.get(f.key)
        return (0, float(pick.rank)) if pick is not None else (1, -scores[f.key])

    def order(f: EntryFacts) -> tuple[object, ...]:
        if competition.tie_rule == "random":
            assert seed is not None
            tiebreak: tuple[object, ...] = (draw_value(seed, category.id, f.key),)
        else:
            tiebreak = (f.created_at,)
        return (*group(f), *tiebreak, *key_order(f.key))

    ordered: list[EntryFacts] = []
    best_of: dict[str, EntryFacts] = {}
    ranks_of_picks = {k: p.rank for k, p in picks.items()}
    for f in sorted(candidates, key=order):
        best = best_of.get(f.author_id)
        if rules.one_entry_per_author and best is not None:
            why = why_first(best, f, scores, ranks_of_picks, competition.tie_rule)
            excluded.append(
                _excl(
                    f,
                    "not-authors-best",
                    not_best_reason(f.username, best.post_id, why),
                    category,
                )
            )
            continue
        best_of.setdefault(f.author_id, f)
        ordered.append(f)

    shared = competition.tie_rule == "shared"
    ranks = _assign_ranks(ordered, group, shared)
    side_ranks: dict[str, int] = {}
    if category.audience == "both":
        for part in ("community", "outside"):
            mine = [f for f in ordered if audience_of(competition, f.username) == part]
            for f, (r, _) in zip(mine, _assign_ranks(mine, group, shared), strict=True):
                side_ranks[f.key] = r
    rows: list[Ranked] = []
    for f, (rank, tied) in zip(ordered, ranks, strict=True):
        side: AudienceSide = audience_of(competition, f.username)
        pick = picks.get(f.key)
        rows.append(
            Ranked(
                rank=rank,
                key=f.key,
                post_id=f.post_id,
                author_id=f.author_id,
                username=f.username,
                score=scores[f.key],
                created_at=f.created_at,
                url=post_url(f.username, f.post_id),
                audience=side,
                tie=competition.tie_rule if tied else None,
                audience_rank=side_ranks.get(f.key),
                jury_rank=pick.rank if pick else None,
            )
        )
    awaiting = category.kind == "jury" and not any(r.jury_rank is not None for r in rows)
    winners = tuple(
        r.key
        for r in rows
        if r.rank <= category.winners and (category.kind != "jury" or r.jury_rank is not None)
    )
    return CategoryStanding(category, tuple(rows), winners, awaiting, len(below)), excluded


def below_minimum_reason(category: Category, score: float) -> str:
    """The sentence of a "below-minimum" exclusion."""
    minimum = category.minimum
    return (
        f"scores {score:g} here; this category needs at least {minimum:g} "
        f"{unit_of(category, minimum)} to rank"
    )


def not_best_reason(username: str, best_post_id: str, why: str) -> str:
    """The sentence of a "not-authors-best" exclusion (`why`: `why_first`)."""
    return f"@{username}'s entry {best_post_id} {why}; one entry per author"


def required_seed(competition: Competition) -> str | None:
    """The competition's draw seed; raises ValueError when tie_rule "random" has none."""
    seed = competition.tie_seed
    if competition.tie_rule == "random" and not seed:
        raise ValueError(
            f"competition {competition.id!r} declares tie_rule 'random' without a "
            "tie_seed; set tie_seed and publish seed_commitment(seed) before the end"
        )
    return seed


def unit_of(category: Category, n: float) -> str:
    """What a category's score counts, for sentences ("1 like", "2 distinct repliers")."""
    one = n == 1
    if category.kind == "likes":
        return "like" if one else "likes"
    if category.kind == "replies":
        if category.replies_mode == "distinct":
            return "distinct replier" if one else "distinct repliers"
        return "reply" if one else "replies"
    if category.kind == "quotes":
        return "quote" if one else "quotes"
    if category.kind == "reposts":
        return "repost" if one else "reposts"
    return "point" if one else "points"


def why_first(
    best: EntryFacts,
    other: EntryFacts,
    scores: Mapping[str, float],
    pick_ranks: Mapping[str, int],
    tie_rule: str,
) -> str:
    """Why `best` comes before `other` in a category's order: what actually decided it.
    `pick_ranks`: entry key -> the jury's rank, for the picked entries."""
    a, b = pick_ranks.get(best.key), pick_ranks.get(other.key)
    if a is not None and b is None:
        return f"was picked by the jury (rank {a})"
    if a is not None and b is not None:
        if a != b:
            return f"was placed higher by the jury (rank {a} against {b})"
        tied = f"jury rank {a}"
    else:
        high, low = scores[best.key], scores[other.key]
        if high != low:
            return f"scores higher here ({high:g} against {low:g})"
        tied = f"{high:g}"
    if tie_rule == "random":
        return f"ties with it ({tied}) and comes first in the seeded draw"
    if best.created_at != other.created_at:
        return f"ties with it ({tied}) and was posted earlier"
    return f"ties with it ({tied}), was posted in the same second and has the lower id"


def _dedupe(facts: Sequence[EntryFacts]) -> list[EntryFacts]:
    """One fact set per key (the latest snapshot), in key order: input order never matters."""
    latest: dict[str, EntryFacts] = {}
    for f in facts:
        cur = latest.get(f.key)
        rank = (f.metrics_at is not None, f.metrics_at or f.created_at, key_order(f.post_id))
        if cur is None or rank > (
            cur.metrics_at is not None,
            cur.metrics_at or cur.created_at,
            key_order(cur.post_id),
        ):
            latest[f.key] = f
    return [latest[k] for k in sorted(latest, key=key_order)]


def exclusion_order(x: Exclusion) -> tuple[object, ...]:
    return (key_order(x.key), x.category or "", rule_order(x.rule))


def standings_from_facts(
    competition: Competition,
    facts: Sequence[EntryFacts],
    *,
    now: datetime,
    disqualified: Mapping[str, str] | None = None,
    requalified: Collection[str] = (),
    jury_picks: Sequence[JuryPick] = (),
    bot_username: str | None = None,
) -> Standings:
    """`compute_standings` on already-extracted facts (what `results.recompute` uses)."""
    exclusions: list[Exclusion] = []
    eligible: list[EntryFacts] = []
    for f in _dedupe(facts):
        failed = entry_exclusions(
            competition,
            f,
            bot_username=bot_username,
            disqualified=disqualified,
            requalified=requalified,
        )
        exclusions.extend(failed)
        if not failed:
            eligible.append(f)
    won: set[str] = set()
    # One prize per author is resolved at the deadline, in declared order: before it, an author's
    # lead in an earlier category can still change, so no later category may drop them yet.
    resolve_prizes = now >= competition.end
    by_key = {f.key: f for f in eligible}
    cats: list[CategoryStanding] = []
    for category in competition.categories:
        standing, excl = rank_category(
            competition,
            category,
            eligible,
            bot_username=bot_username,
            jury_picks=jury_picks,
            already_won=won,
        )
        cats.append(standing)
        exclusions.extend(excl)
        if resolve_prizes:
            won.update(by_key[k].author_id for k in standing.winners)
    return Standings(
        competition.id,
        now,
        tuple(cats),
        tuple(sorted(exclusions, key=exclusion_order)),
        prizes_pending=competition.eligibility.one_prize_per_author and not resolve_prizes,
    )


def compute_standings(
    competition: Competition,
    entries: Sequence[Entry],
    *,
    now: datetime,
    disqualified: Mapping[str, str] | None = None,
    requalified: Collection[str] = (),
    jury_picks: Sequence[JuryPick] = (),
    bot_username: str | None = None,
) -> Standings:
    """The standings of `competition` over `entries` as of `now` (eligibility, then each category
    in declared order). `disqualified` maps entry keys to the organisers' reasons; `requalified`
    lists keys re-qualified since; `jury_picks` are the organisers' picks in jury categories."""
    org_ids = organiser_ids(competition, entries)
    facts = [facts_of(competition, e, org_ids=org_ids, bot_username=bot_username) for e in entries]
    return standings_from_facts(
        competition,
        facts,
        now=now,
        disqualified=disqualified,
        requalified=requalified,
        jury_picks=jury_picks,
        bot_username=bot_username,
    )
