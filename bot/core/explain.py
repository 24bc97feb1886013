"""Explanations for organisers: why an entry has its rank, or why it is excluded (issue 4 item 7).

`explain` takes the standings already computed and one entry (its key, any id of its edit history,
or a post URL on x.com / twitter.com) and returns sentences: per category its score, rank, the
entries just above and below and the tie rule that ordered it, or every rule it failed with the
values involved. Pure: reads only its arguments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.audience import normalise_handle
from bot.core.eligibility import EntryFacts, facts_of, reply_exclusion
from bot.core.models import (
    Category,
    CategoryStanding,
    Competition,
    Entry,
    Exclusion,
    Ranked,
    Standings,
)
from bot.core.scoring import counts_distinct_repliers, draw_value
from bot.core.timefmt import iso

_URL = re.compile(
    r"^(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:[A-Za-z0-9_]+|i/web)/status(?:es)?/"
    r"([0-9]+)(?:[/?#].*)?$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"^[0-9]+$")
MAX_SNOWFLAKE = 2**63 - 1  # X ids are positive signed 64-bit integers: 1 to 19 digits


@dataclass(frozen=True)
class Explanation:
    """`lines` is what `contestbot explain` prints. `ranks` maps category ids to the entry's rank
    where it ranks; `exclusions` are the rules it failed (global ones have category None)."""

    query: str
    found: bool
    key: str | None
    post_id: str | None
    username: str | None
    lines: tuple[str, ...]
    ranks: tuple[tuple[str, int], ...] = ()
    exclusions: tuple[Exclusion, ...] = ()

    @property
    def eligible(self) -> bool:
        return self.found and not any(x.category is None for x in self.exclusions)


def parse_post_ref(ref: str) -> str:
    """A tweet id from an id or a post URL (x.com, twitter.com, mobile., /i/web/status/...).
    Raises ValueError naming the value unless it is a snowflake id (1 to 19 ASCII digits, from 1
    to 2^63-1)."""
    ref = ref.strip()
    m = None if _DIGITS.match(ref) else _URL.match(ref)
    if m is None and not _DIGITS.match(ref):
        raise ValueError(
            f"{ref!r} is neither a tweet id nor a post URL; "
            "give e.g. 1850000000000000000 or https://x.com/user/status/1850000000000000000"
        )
    post_id = m.group(1) if m is not None else ref
    if len(post_id) > 19 or not 0 < int(post_id) <= MAX_SNOWFLAKE:
        raise ValueError(
            f"{post_id!r} is not a tweet id: X ids are whole numbers from 1 to {MAX_SNOWFLAKE} "
            "(at most 19 digits) - copy the id from the post's URL"
        )
    return post_id


def _unit(category: Category) -> str:
    if category.kind == "replies":
        return "distinct repliers" if category.replies_mode == "distinct" else "replies"
    if category.kind == "weighted":
        weights = " + ".join(f"{w:g} x {name}" for name, w in category.weights)
        return f"points ({weights})"
    if category.kind == "jury":
        return "outside engagement (likes + replies)"
    return category.kind


def _name(category: Category) -> str:
    return f"{category.title} ({category.id})" if category.title else category.id


def _tie_line(
    competition: Competition, cs: CategoryStanding, row: Ranked, rows: Sequence[Ranked]
) -> str | None:
    if row.tie is None:
        return None
    if row.jury_rank is not None:
        same = [r for r in rows if r.jury_rank == row.jury_rank and r.key != row.key]
    else:
        same = [
            r for r in rows if r.jury_rank is None and r.score == row.score and r.key != row.key
        ]
    others = ", ".join(f"@{r.username} (rank {r.rank})" for r in same[:5])
    if row.tie == "shared":
        return f"  tie: equal with {others}; tie rule 'shared': equal scores share rank {row.rank}"
    if row.tie == "random" and competition.tie_seed:
        mine = draw_value(competition.tie_seed, cs.category.id, row.key)[:12]
        return (
            f"  tie: equal with {others}; tie rule 'random': the seeded draw orders equal scores "
            f"by SHA-256(seed:{cs.category.id}:key), this entry draws {mine}..."
        )
    line = (
        f"  tie: equal with {others}; tie rule 'earliest': the earlier post ranks first "
        f"(this one was created {iso(row.created_at)})"
    )
    twins = [r for r in same if r.created_at == row.created_at]
    if twins:
        # X gives creation times to the second: a tie within one second falls to the entry key.
        names = ", ".join(f"@{r.username} ({r.key})" for r in twins[:5])
        line += (
            f"; {names} posted in the same second, so the lower entry key ranks first "
            f"(this one's is {row.key})"
        )
    return line


MAX_REPLY_LINES = 20  # dropped replies listed per category; the rest are counted


def _reply_lines(
    competition: Competition,
    category: Category,
    facts: EntryFacts | None,
    bot_username: str | None,
) -> list[str]:
    """Which direct replies count among the category's distinct repliers, and why each other
    reply does not (one line per reply, at most `MAX_REPLY_LINES`)."""
    if facts is None or not counts_distinct_repliers(category):
        return []
    counted: dict[str, str] = {}
    dropped: list[str] = []
    for r in facts.repliers:
        why = reply_exclusion(
            competition,
            category,
            facts,
            r,
            bot_username=bot_username,
            outside_only=category.kind == "jury",
        )
        name = f"@{r.username}" if r.username else f"account {r.author_id}"
        ref = f"reply {r.reply_id} by {name}" if r.reply_id else f"reply by {name}"
        ident = r.author_id or normalise_handle(r.username)
        if why is None and ident in counted:
            dropped.append(f"    {ref}: repeat: {name} is counted once")
        elif why is None:
            counted[ident] = name
        else:
            dropped.append(f"    {ref}: {why[0]}: {why[1]}")
    who = ", ".join(sorted(set(counted.values()))[:10]) or "none"
    more = f" (+{len(set(counted.values())) - 10} more)" if len(set(counted.values())) > 10 else ""
    lines = [
        f"  repliers counted: {len(set(counted.values()))} ({who}{more}); "
        f"{plural(len(dropped), 'reply', 'replies')} not counted" + (":" if dropped else "")
    ]
    lines.extend(dropped[:MAX_REPLY_LINES])
    if len(dropped) > MAX_REPLY_LINES:
        lines.append(f"    ... and {len(dropped) - MAX_REPLY_LINES} more")
    return lines


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 rule`, `2 rules` (or `many` when the plural is irregular)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def _rank_lines(
    competition: Competition, cs: CategoryStanding, i: int, entry: Entry | None, frozen: bool
) -> list[str]:
    rows = cs.entries
    row = rows[i]
    c = cs.category
    lines = [f"{_name(c)}: rank {row.rank} of {len(rows)} with {row.score:g} {_unit(c)}"]
    if row.jury_rank is not None:
        lines[0] += f"; the jury placed it {row.jury_rank}"
    elif c.kind == "jury":
        lines[0] += "; not picked by the jury" + (" (awaiting picks)" if cs.awaiting_jury else "")
    if c.kind == "replies" and c.replies_mode == "distinct" and entry is not None:
        lines[0] += f" (reported reply count {entry.post.metrics.replies})"
    if row.key in cs.winners:
        lines.append(
            "  a winner of this category" if frozen else "  currently in a winning place (live)"
        )
    if cs.category.audience == "both" and row.audience_rank is not None:
        lines.append(f"  rank {row.audience_rank} among {row.audience} authors")
    if i > 0:
        up = rows[i - 1]
        lines.append(f"  above: @{up.username} {up.post_id} (rank {up.rank}, {up.score:g})")
    if i + 1 < len(rows):
        down = rows[i + 1]
        lines.append(f"  below: @{down.username} {down.post_id} (rank {down.rank}, {down.score:g})")
    tie = _tie_line(competition, cs, row, rows)
    if tie:
        lines.append(tie)
    return lines


def explain(
    competition: Competition,
    entries: Sequence[Entry],
    standings: Standings,
    key_or_post_id: str,
    *,
    frozen: bool = False,
    bot_username: str | None = None,
    facts: EntryFacts | None = None,
) -> Explanation:
    """Why the entry named by `key_or_tweet_id` (key, any id of its edit history, or a post URL)
    ranks where it does in `standings`, or why it does not; in distinct-repliers categories,
    which replies count and why the others do not. `frozen` says whether `standings` are the
    frozen ones (a winner) or live ones (currently in a winning place); `facts` are the entry's
    facts as frozen (default: taken from the stored entry now)."""
    post_id = parse_post_ref(key_or_post_id)
    entry = next(
        (e for e in entries if post_id in (e.key, e.post.id) or post_id in e.post.edit_history_ids),
        None,
    )
    key = entry.key if entry is not None else post_id
    exclusions = tuple(x for x in standings.exclusions if x.key == key)
    ranked = [
        (cs, i) for cs in standings.categories for i, r in enumerate(cs.entries) if r.key == key
    ]
    if entry is None and not exclusions and not ranked:
        return Explanation(
            key_or_post_id,
            False,
            None,
            post_id,
            None,
            (
                f"no entry with tweet id {post_id} in competition {competition.id!r}: it was not "
                "collected (no tracked hashtag or mention, or not found by search yet)",
            ),
        )
    if entry is not None:
        username = entry.author.username
    elif exclusions:
        username = exclusions[0].username
    else:
        username = ranked[0][0].entries[ranked[0][1]].username
    head = f"@{username} {entry.post.id if entry else post_id}"
    if entry is not None:
        head += f" (created {iso(entry.post.created_at)}, {entry.url})"
        if entry.key != entry.post.id:
            head += f", edited: entry key {entry.key}"
    lines = [head]
    if facts is None and entry is not None:
        facts = facts_of(competition, entry, bot_username=bot_username)
    global_x = [x for x in exclusions if x.category is None]
    if global_x:
        lines.append(f"excluded from every category ({plural(len(global_x), 'rule')} failed):")
        lines.extend(f"  {x.rule}: {x.reason}" for x in global_x)
    ranks: list[tuple[str, int]] = []
    by_cat = {cs.category.id: (cs, i) for cs, i in ranked}
    for cs in standings.categories:
        if cs.category.id in by_cat:
            _, i = by_cat[cs.category.id]
            lines.extend(_rank_lines(competition, cs, i, entry, frozen))
            lines.extend(_reply_lines(competition, cs.category, facts, bot_username))
            ranks.append((cs.category.id, cs.entries[i].rank))
            continue
        mine = [x for x in exclusions if x.category == cs.category.id]
        if mine:
            lines.extend(f"{_name(cs.category)}: not ranked: {x.rule}: {x.reason}" for x in mine)
            lines.extend(_reply_lines(competition, cs.category, facts, bot_username))
        elif not global_x:
            lines.append(f"{_name(cs.category)}: not in these standings (computed before it came?)")
        if cs.no_qualifying_entry:
            lines.append(
                f"  no entry of {cs.category.id} reached its minimum score "
                f"({cs.category.minimum:g}): the category has no winner"
            )
    return Explanation(
        key_or_post_id,
        True,
        key,
        entry.post.id if entry else post_id,
        username,
        tuple(lines),
        tuple(ranks),
        exclusions,
    )
