"""The demo's self-check (`contestbot demo`), pure: what the demo saw (`Evidence`, gathered by
`bot.demo.show`) -> one `Check` per claim, each saying what held or naming what is wrong. A failed
check makes the demo exit 1.

The claims: the result froze after the late grace, verifies and did not move with the late likes;
every prize is won by a real margin (`REAL_MARGIN` over the next line: never a tie, one like or one
replier), or by the jury's pick; no printed standings line scores 0; each late-indexed post
enters (searchable before the end: on a live board; only after it: on the board of the late grace
and in the frozen result as late_indexed); each edited entry is one entry scored on its newest
version, the same live and frozen, the sandbox's count at the end; the deleted tweet, retweets,
organisers and commands to the bot never rank; a tie below the prizes is ordered by the declared
rule; reminders, the answer to "rank" and the winners reach the sandbox once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import CategoryStanding, Competition, Entry, Standings
from bot.core.results import FrozenResult
from bot.demo import view
from bot.store.outbox import OutboxEntry

REAL_MARGIN = 2  # a prize is won by at least this much over the next line


@dataclass(frozen=True)
class Check:
    """One line of the self-check: what held (`ok`), or what is wrong."""

    ok: bool
    text: str


@dataclass(frozen=True)
class Printed:
    """A standings print the audience saw: when, and whether live (before the end), provisional
    (in the late grace), frozen or final."""

    at: datetime
    phase: str
    standings: Standings

    def ranks(self, key: str) -> bool:
        """Whether the entry `key` ranks in some category of this print."""
        return any(r.key == key for cs in self.standings.categories for r in cs.entries)


@dataclass(frozen=True)
class LatePost:
    """A post the sandbox made searchable only `searchable` (after its creation)."""

    key: str
    username: str
    created_at: datetime
    searchable: datetime


@dataclass(frozen=True)
class Edit:
    """An edited post: its author and its versions, oldest first."""

    username: str
    chain: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    """What the demo saw, for the self-check. `deadline_likes`: each tweet's likes in the
    sandbox at the end (by tweet id); `sent`: the outbox entries sent; `posted_ids`: the ids of
    the tweets the sandbox received from the bot."""

    competition: Competition
    start: datetime
    bot: str
    result: FrozenResult
    frozen_ok: bool
    froze_at: datetime | None
    entries: Sequence[Entry]
    printed: Sequence[Printed]
    late_posts: Sequence[LatePost]
    edits: Sequence[Edit]
    deadline_likes: Mapping[str, int]
    deleted: Collection[str]
    retweets: Collection[str]
    sent: Sequence[OutboxEntry]
    posted_ids: Collection[str]

    def at(self, when: datetime | None) -> str:
        return "never" if when is None else view.offset(when, self.start)


def self_check(ev: Evidence) -> list[Check]:
    c, result = ev.competition, ev.result
    grace = view.duration(c.late_grace)
    freeze = (
        Check(
            True,
            f"final snapshot at {ev.at(result.frozen_at)}, frozen at {ev.at(ev.froze_at)} after "
            f"the {grace} late grace; digest verified; the late likes changed nothing",
        )
        if ev.frozen_ok and ev.froze_at is not None
        else Check(False, "the frozen result changed after the freeze, or does not verify")
    )
    return [
        freeze,
        *(prize_check(cs) for cs in result.standings.categories),
        zero_check(ev.printed),
        *late_indexed_checks(ev),
        *edit_checks(ev),
        never_rank_check(ev),
        tie_check(result.standings, c.tie_rule),
        posts_check(ev.sent, ev.posted_ids),
    ]


def prize_check(cs: CategoryStanding) -> Check:
    """A category's prizes: a jury's pick, or each winner ahead of the next line by at least
    `REAL_MARGIN` (never by a tie, one like or one replier)."""
    title = cs.category.title or cs.category.id
    if cs.category.kind == "jury":
        picked = [r for r in cs.entries if r.key in cs.winners]
        if cs.awaiting_jury or not picked:
            return Check(False, f"{title}: no jury-picked winner in the frozen result")
        names = ", ".join("@" + r.username for r in picked)
        return Check(True, f"{title}: {names}, the jury's pick among {len(cs.entries)} listed")
    if not cs.winners:
        return Check(False, f"{title}: no winner (no entry reached the minimum)")
    rows = list(cs.entries)
    margins, wrong = [], []
    for i, r in enumerate(rows):
        if r.key not in cs.winners:
            continue
        below = rows[i + 1] if i + 1 < len(rows) else None
        margin = r.score - (below.score if below else 0)
        against = f"@{below.username} {below.score:g}" if below else "nobody"
        margins.append(f"@{r.username} {r.score:g}, {margin:g} ahead of {against}")
        if margin < REAL_MARGIN or r.tie:
            wrong.append(f"@{r.username} {r.score:g} wins by {margin:g} over {against}")
    unit = view.unit(cs.category)
    if wrong:
        return Check(
            False,
            f"{title}: {'; '.join(wrong)}: not a real margin ({REAL_MARGIN} {unit} at least)",
        )
    return Check(
        True, f"{title}, won by real margins ({REAL_MARGIN}+ {unit}): " + "; ".join(margins)
    )


def zero_check(printed: Sequence[Printed]) -> Check:
    """No standings line the demo printed scores 0 or under its category's minimum (a jury's
    rows print the pick, no score)."""
    zeros = [
        f"@{r.username} {r.score:g} in {cs.category.title} (the {p.phase} standings at "
        f"{view.hhmm(p.at)} UTC)"
        for p in printed
        for cs in p.standings.categories
        if cs.category.kind != "jury"
        for r in cs.entries
        if r.score <= 0 or r.score < cs.category.minimum
    ]
    if zeros:
        return Check(False, "a score of 0 was printed: " + "; ".join(dict.fromkeys(zeros)))
    last = printed[-1].standings if printed else None
    titles = {cs.category.id: cs.category.title for cs in last.categories} if last else {}
    left_out: dict[str, int] = {}
    for x in last.exclusions if last else ():
        if x.rule == "below-minimum" and x.category is not None:
            left_out[x.category] = left_out.get(x.category, 0) + 1
    below = ", ".join(f"{n} in {titles.get(c, c)}" for c, n in left_out.items()) or "none"
    return Check(
        True,
        f"no score of 0 in the {len(printed)} standings printed; under a category's minimum, "
        f"never ranked there (below-minimum): {below}",
    )


def late_indexed_checks(ev: Evidence) -> list[Check]:
    """Each late-indexed post enters and ranks when frozen: searchable before the end, on a live
    board; searchable only after the end, on the board of the late grace and in the frozen
    result as late_indexed. The scenario must have a post of the second kind."""
    out: list[Check] = []
    result = ev.result
    facts = {f.key: f for f in result.inputs}
    frozen = Printed(result.frozen_at, "frozen", result.standings)
    for post in ev.late_posts:
        in_grace = post.searchable >= ev.competition.end
        phase = "provisional" if in_grace else "live"
        board = next((p for p in ev.printed if p.phase == phase and p.ranks(post.key)), None)
        f = facts.get(post.key)
        flagged = f is not None and result.is_late_indexed(f)
        ranked = frozen.ranks(post.key)
        where = f"posted {ev.at(post.created_at)}, searchable {ev.at(post.searchable)}"
        seen = f"on the board at {ev.at(board.at) if board else 'no time'}"
        who = f"late-indexed @{post.username}"
        if not in_grace:
            ok = board is not None and ranked
            text = f"{who} ({where}): {seen}, before the end; ranked when frozen"
            out.append(Check(ok, text if ok else f"{text}: NOT SO (live board, ranked: {ranked})"))
            continue
        ok = board is not None and flagged and ranked
        likes = f", {f.metrics.likes} likes" if f is not None else ""
        out.append(
            Check(
                ok,
                f"{who} ({where}, after the end): {seen} in the late grace; in the frozen result "
                f"as late_indexed{likes}, ranked"
                if ok
                else f"{who} ({where}, after the end): on a late-grace board {board is not None}, "
                f"in the frozen result {f is not None}, late_indexed {flagged}, ranked {ranked}",
            )
        )
    if not any(p.searchable >= ev.competition.end for p in ev.late_posts):
        out.append(Check(False, "no post of the scenario became searchable after the end"))
    return out


def edit_checks(ev: Evidence) -> list[Check]:
    """Each edited entry is one entry scored on its newest version's likes: the same on the last
    live board and frozen, and what the sandbox counted on that version at the end."""
    out: list[Check] = []
    facts = {f.key: f for f in ev.result.inputs}
    live = next((p for p in reversed(ev.printed) if p.phase == "live"), None)
    for edit in ev.edits:
        key, newest = edit.chain[0], edit.chain[-1]
        stored = [e.key for e in ev.entries if e.key in edit.chain or e.post.id in edit.chain]
        f = facts.get(key)
        frozen = _scores(ev.result.standings, "most-liked", key)
        shown = _scores(live.standings, "most-liked", key) if live else []
        truth = ev.deadline_likes.get(newest)
        by_author = sum(1 for e in ev.entries if e.author.username == edit.username)
        ok = (
            stored == [key]
            and f is not None
            and f.post_id == newest
            and len(frozen) == 1
            and frozen == shown == [truth]
        )
        who = f"edited @{edit.username}"
        out.append(
            Check(
                ok,
                f"{who}: one entry (key {key}), scored on its newest version: {_g(shown)} likes "
                f"live ({ev.at(live.at if live else None)}) and {_g(frozen)} frozen, the "
                f"sandbox's count (the first version's {ev.deadline_likes.get(key)} not added)"
                if ok
                else f"{who}: {len(stored)} stored entr(ies) for this post, {by_author} by "
                f"@{edit.username}; frozen version "
                f"{f.post_id if f else None} (newest {newest}); likes live {_g(shown)}, frozen "
                f"{_g(frozen)}, in the sandbox at the end {truth}",
            )
        )
    if not out:
        out.append(Check(False, "no entry of the scenario was edited"))
    return out


def never_rank_check(ev: Evidence) -> Check:
    """The deleted tweets, the retweets, the organisers and commands to the bot never rank."""
    standings = ev.result.standings
    ranked = [(cs.category.id, r) for cs in standings.categories for r in cs.entries]
    commands = {x.key for x in standings.exclusions if x.rule == "bot-command"}
    problems = [
        f"{what} @{r.username} ranks in {cat}"
        for cat, r in ranked
        for what, wrong in (
            ("the organiser", r.username in ev.competition.organisers),
            ("the deleted entry of", r.key in ev.deleted),
            ("the command to the bot of", r.key in commands),
        )
        if wrong
    ]
    if any(e.key in ev.retweets or e.post.is_repost for e in ev.entries):
        problems.append("a retweet was stored as an entry")
    if not commands:
        problems.append("no command to the bot was recognised (bot-command)")
    if problems:
        return Check(False, "; ".join(problems))
    return Check(
        True, f'the deleted tweet, the retweet, the organiser and "@{ev.bot} rank" never rank'
    )


def tie_check(standings: Standings, rule: str) -> Check:
    """A tie exists below the prize places and the declared rule ordered it."""
    for cs in standings.categories:
        below = [r for r in cs.entries if r.tie == rule and r.rank > cs.category.winners]
        tied = [r for r in below if below and r.score == below[0].score]  # the first group
        if tied and cs.category.kind != "jury":
            names = " = ".join(f"@{r.username} {r.score:g}" for r in tied)
            return Check(
                True,
                f"a tie below the prizes ({cs.category.title}, ranks {tied[0].rank}-"
                f"{tied[-1].rank}: {names}) ordered by the {rule!r} rule",
            )
    return Check(False, f"no tie below the prizes was ordered by the {rule!r} rule")


def posts_check(sent: Sequence[OutboxEntry], posted_ids: Collection[str]) -> Check:
    """Reminders in en and fr, one answer to the rank command, one winners announcement."""
    langs = {e.post.lang for e in sent if e.post.kind == "reminder"}
    winners = [e for e in sent if e.post.kind == "winners"]
    answers = [e for e in sent if e.post.kind == "mention-reply"]
    problems = []
    if not {"en", "fr"} <= langs:
        problems.append(f"reminders posted in {sorted(langs)}, not en and fr")
    if len(winners) != 1 or not set(winners[0].post.posted_ids) <= set(posted_ids):
        problems.append(f"{len(winners)} winners announcement(s) reached the sandbox, not 1")
    if len(answers) != 1:
        problems.append(f"{len(answers)} answer(s) to the rank command, not 1")
    if problems:
        return Check(False, "; ".join(problems))
    return Check(
        True, "reminders in en and fr; the rank command answered once; winners posted once"
    )


def render(results: Sequence[Check], *, real: float) -> list[str]:
    """The self-check as the demo prints it: ✓ or ✗ per line, then the verdict."""
    out = [
        line
        for c in results
        for line in view.para(f"{'✓' if c.ok else '✗'} {c.text}", hang="     ")
    ]
    failed = sum(1 for c in results if not c.ok)
    out.append(f"   {failed} check(s) FAILED" if failed else f"   all good, in {real:.0f} s")
    return out


def _scores(standings: Standings, category_id: str, key: str) -> list[float]:
    """The scores `key` shows in a category: one, when it ranks once."""
    return [
        r.score
        for cs in standings.categories
        if cs.category.id == category_id
        for r in cs.entries
        if r.key == key
    ]


def _g(scores: list[float]) -> str:
    return "/".join(f"{s:g}" for s in scores) or "none"
