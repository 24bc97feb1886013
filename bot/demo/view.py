"""What `contestbot demo` prints: pure functions from the bot's values to short text blocks.

Owns the demo's look: the opening summary, the leaderboard as two side-by-side compact tables
(most liked, most comments) with the score change since the previous print and a line per change
(new entries, a late-indexed one with when it became searchable and where it ranks, a command to
the bot, a deletion leaving, an edit staying one entry), the posts as they reach the sandbox with
their weighted length, the freeze with its digest and verification, the rules at work (exclusions,
replies that do not count, entries under a category's minimum, the tie rule), and the final
standings (a jury's rows show its pick, not a score). Fits 80 columns. `BoardMemory` is the only
state: what the previous print showed. No I/O; `bot.demo.show` does the printing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from bot.core.eligibility import reply_exclusion
from bot.core.models import (
    Category,
    CategoryStanding,
    Competition,
    Entry,
    Ranked,
    Standings,
)
from bot.core.results import FrozenResult
from bot.report.write import Written
from bot.store.outbox import OutboxEntry

WIDTH = 78


def hhmm(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%H:%M")


def offset(when: datetime, start: datetime) -> str:
    """`+1:05`: simulated time since the competition started."""
    minutes = int((when - start).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60}:{abs(minutes) % 60:02d}"


def duration(td: timedelta) -> str:
    minutes = int(td.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def banner(title: str) -> str:
    return f"\n── {title} " + "─" * max(3, WIDTH - len(title) - 4)


def intro(
    *,
    sandbox_url: str,
    scenario_name: str,
    events: int,
    speed: float,
    span: timedelta,
    db: Path,
    config_path: Path,
    competition: Competition,
    poll_every: timedelta,
) -> str:
    cats = ", ".join(f"{c.title.lower()} ({unit(c)})" for c in competition.categories)
    real = span.total_seconds() / speed
    tags = " ".join("#" + h for h in competition.hashtags)
    orgs = ", ".join("@" + o for o in competition.organisers)
    return "\n".join(
        [
            "contestbot demo: a whole competition against the built-in X API sandbox",
            "",
            f"  sandbox   {sandbox_url} (in-process; scenario {scenario_name!r}, {events} events)",
            f"  time      {duration(span)} of competition time at x{speed:g}: about {real:.0f} s;"
            f" the bot polls every {duration(poll_every)}",
            f"  database  {db} (fresh, migrated with Alembic)",
            f"  config    {config_path}: {competition.id}, {tags},",
            f"            {hhmm(competition.start)}-{hhmm(competition.end)} UTC, organisers {orgs},"
            f" tie rule {competition.tie_rule}",
            f"  prizes    {cats}",
            f"  late      the freeze waits {duration(competition.late_grace)} after the end for"
            " posts X indexes late, then re-scans",
            '  posts     launch, reminder of the webinar (en + fr), an answer to "rank",',
            "            winners (waits for approval: the demo gives it)",
            "  path      tweepy over HTTP -> poller -> SQLite -> scoring -> freeze -> poster",
            "",
            "  +h:mm is simulated time since the start; [12.3s] is real time; = marks a tie.",
        ]
    )


# ------------------------------------------------------------------------------------- boards


@dataclass
class BoardMemory:
    """What the previous leaderboard print showed, to say what changed since."""

    scores: dict[tuple[str, str], float] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    edited: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class BoardContext:
    """What a board print says changes against: the competition's start and end, the bot's
    handle, and how long after its creation the sandbox made each late-indexed post searchable
    (by tweet id), to tell a late-indexed entry from a new one."""

    start: datetime
    end: datetime
    bot: str
    index_delays: Mapping[str, timedelta] = field(default_factory=dict)

    def describe(self, e: Entry, standings: Standings) -> str:
        """A new entry's name; for a late-indexed one, when it became searchable and where it
        ranks (the board's table may show only the top)."""
        delay = self.index_delays.get(e.key)
        if delay is None:
            return "@" + e.author.username
        searchable = e.post.created_at + delay
        found = "in the late grace" if searchable >= self.end else "by a re-scan"
        ranks = [
            f"#{r.rank} in {cs.category.title} ({r.score:g})"
            for cs in standings.categories
            if cs.category.kind != "jury"
            for r in cs.entries
            if r.key == e.key
        ]
        return (
            f"@{e.author.username} (posted {offset(e.post.created_at, self.start)}, searchable "
            f"{duration(delay)} later{', after the end' if searchable >= self.end else ''}: "
            f"indexed late, found {found}{': ' + ', '.join(ranks) if ranks else ''})"
        )


def _row(r: Ranked | None, before: float | None) -> str:
    if r is None:
        return " " * 30
    delta = ""
    if before is None:
        delta = "new"
    elif r.score != before:
        delta = f"{r.score - before:+g}"
    tie = "=" if r.tie else " "
    return f"{r.rank:>2}{tie}@{r.username:<15}{r.score:>5g} {delta:<5}"


def unit(c: Category) -> str:
    return "distinct repliers" if c.kind == "replies" and c.replies_mode == "distinct" else c.kind


def _column_title(cs: CategoryStanding) -> str:
    return f"{cs.category.title or cs.category.id} ({unit(cs.category)})"


def tables(
    standings: Standings, memory: BoardMemory | None, *, top: int, side_by_side: Sequence[str]
) -> list[str]:
    """The categories named in `side_by_side` as two columns of their top `top` rows. Every row
    shown is ranked by the core: an entry under a category's minimum score (0 likes) never ranks,
    so no row reads 0 (the demo's self-check holds the core to it)."""
    cats = [cs for cs in standings.categories if cs.category.id in side_by_side]
    lines = ["   " + "".join(f"{_column_title(cs):<32}" for cs in cats).rstrip()]
    for i in range(top):
        cells = []
        for cs in cats:
            r = cs.entries[i] if i < len(cs.entries) else None
            before = memory.scores.get((cs.category.id, r.key), None) if memory and r else None
            if memory is None or not memory.scores:
                before = r.score if r else None  # the first print has nothing to compare with
            cells.append(_row(r, before) + "  ")
        line = "   " + "".join(cells).rstrip()
        if line.strip():
            lines.append(line)
    if len(lines) == 1:
        lines.append("   (no score yet)")
    return lines


def board(
    title: str,
    standings: Standings,
    entries: Sequence[Entry],
    memory: BoardMemory,
    context: BoardContext,
) -> list[str]:
    """A leaderboard print: the two metric categories side by side, the jury shortlist, and a
    line per change since the previous print."""
    out = [title]
    out += tables(standings, memory, top=5, side_by_side=("most-liked", "most-comments"))
    for cs in standings.categories:
        if cs.category.kind == "jury":
            names = ", ".join("@" + r.username for r in cs.entries) or "none yet"
            if cs.awaiting_jury:
                out.append(f"   {cs.category.title} (jury shortlist, questions only): {names}")
            else:
                picked = ", ".join("@" + r.username for r in cs.entries if r.key in cs.winners)
                out.append(f"   {cs.category.title} (jury): {picked} picked, from {names}")
    out += [line for c in changes(standings, entries, memory, context) for line in para(f"• {c}")]
    remember(memory, standings, entries)
    return out


def changes(
    standings: Standings, entries: Sequence[Entry], memory: BoardMemory, context: BoardContext
) -> list[str]:
    lines: list[str] = []
    global_x = {x.key: x for x in standings.exclusions if x.category is None}
    fresh = [e for e in entries if e.key not in memory.seen and e.key not in global_x]
    if fresh:
        names = ", ".join(context.describe(e, standings) for e in fresh)
        lines.append(f"new {'entry' if len(fresh) == 1 else 'entries'}: {names}")
    for e in entries:
        x = global_x.get(e.key)
        if x is not None and e.key not in memory.excluded and x.rule == "bot-command":
            lines.append(
                f"@{e.author.username} sent @{context.bot} a command: answered, never an "
                "entry (bot-command)"
            )
        elif x is not None and e.key not in memory.excluded and x.rule != "deleted":
            lines.append(f"@{e.author.username} posted with the hashtag: never ranks ({x.rule})")
        if e.status == "deleted" and e.key not in memory.deleted:
            lines.append(f"@{e.author.username}'s entry was deleted: it leaves the leaderboard")
        if e.post.id != e.key and e.key not in memory.edited:
            lines.append(
                f"@{e.author.username} edited their entry: still one entry, scored on the new "
                "version"
            )
    return lines


def remember(memory: BoardMemory, standings: Standings, entries: Sequence[Entry]) -> None:
    memory.scores = {
        (cs.category.id, r.key): r.score for cs in standings.categories for r in cs.entries
    }
    memory.seen |= {e.key for e in entries}
    memory.deleted |= {e.key for e in entries if e.status == "deleted"}
    memory.edited |= {e.key for e in entries if e.post.id != e.key}
    memory.excluded |= {x.key for x in standings.exclusions if x.category is None}


# ------------------------------------------------------------------------------- posts, notes


def post(kind: str, lang: str, text: str, weighted: int, label: str, part: str = "") -> list[str]:
    head = f"{label}  ▶ posted to the sandbox: {kind} ({lang}){part}, {weighted}/280 weighted"
    return [head, *(f"      │ {line}" for line in text.splitlines())]


def note(label: str, text: str) -> list[str]:
    """A timeline line, wrapped under its label."""
    indent = " " * (len(label) + 2)
    return textwrap.wrap(
        text, WIDTH, initial_indent=f"{label}  ", subsequent_indent=indent, break_on_hyphens=False
    )


def para(text: str, indent: str = "   ", hang: str = "      ") -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=hang, break_on_hyphens=False
    )


# --------------------------------------------------------------------------------- the freeze


def freeze(
    *,
    result: FrozenResult,
    start: datetime,
    digest: str,
    verified: bool,
    problems: Iterable[str],
) -> list[str]:
    late = sum(1 for f in result.inputs if result.is_late_indexed(f))
    found = f", {late} of them found in the late grace, at its first reading" if late else ""
    out = [
        *para(
            f"{len(result.inputs)} entries frozen with the metrics of the final snapshot at "
            f"{offset(result.frozen_at, start)}{found}: the standings above are stored with every "
            "input they follow from (rules, metrics, statuses, replies).",
            hang="   ",
        ),
        f"   digest   {digest}",
        "            (SHA-256 of the canonical result)",
    ]
    if verified:
        out.append("   verify   ok: recomputed from the stored inputs and rules alone, it matches")
    else:
        out.append("   verify   FAILED:")
        out += [f"            {p}" for p in problems]
    return out


def rules_at_work(
    competition: Competition,
    result: FrozenResult,
    entries: Sequence[Entry],
    *,
    retweets: Sequence[tuple[str, str]],
    query: str,
    nested_replies: Sequence[tuple[str, str, str]],
) -> list[str]:
    """The rules that shaped the frozen standings, entry by entry (the core's exclusions and
    explanations, as `contestbot explain` gives them). `nested_replies` are (replier, the reply's
    author, the entry's author) of replies to a reply under an entry."""
    standings = result.standings
    out: list[str] = []
    texts = {e.key: e.post.full_text for e in entries}
    for x in standings.exclusions:
        if x.category is None and x.rule == "bot-command":
            said = f'"{texts.get(x.key, "")}"'
            out += para(f"@{x.username}'s {said}: never an entry, rule {x.rule}: {x.reason}")
        elif x.category is None:
            out += para(f"@{x.username}: never ranks, rule {x.rule}: {x.reason}")
    for who, whose in retweets:
        out += para(
            f"@{who} retweeted @{whose}'s entry: a retweet is never collected; the search "
            f"query is {query}"
        )
    by_cat = {cs.category.id: cs for cs in standings.categories}
    liked = {r.key: r.score for r in by_cat["most-liked"].entries} if "most-liked" in by_cat else {}
    for e in entries:
        if e.post.id != e.key and e.status == "active":
            likes = f": {liked[e.key]:g} likes" if e.key in liked else ""
            out += para(
                f"@{e.author.username} edited the entry: still one entry (its first id, "
                f"{e.key}), scored on the latest version{likes}"
            )
    for f in result.inputs:
        if result.is_late_indexed(f) and f.metrics_at is not None:
            likes = f": {liked[f.key]:g} likes" if f.key in liked else ""
            out += para(
                f"@{f.username}: posted {offset(f.created_at, competition.start)}, searchable "
                "only after the end; found in the late grace and frozen with its first reading "
                f"({offset(f.metrics_at, competition.start)}, late_indexed){likes}"
            )
    out += _below_minimum(competition, result)
    for who, under, whose in nested_replies:
        out += para(
            f"@{who} answered @{under}'s reply under @{whose}'s entry: a reply to a reply is "
            f"nobody's comment on the entry, so @{who} is no replier of @{whose}"
        )
    for cs in standings.categories:
        row = first_tie(cs)
        if row is not None and cs.category.kind != "jury":
            line = tie_line(competition, standings, entries, cs, row)
            out += para(f"@{row.username}, {cs.category.title}: {line}")
    return out


def _below_minimum(competition: Competition, result: FrozenResult) -> list[str]:
    """Entries a category leaves out for scoring under its minimum, where there is a story: a
    scored metric at 0, or replies that do not count (a self-reply farm, a replier failing the
    rules). Entries nobody replied to are left out silently."""
    facts = {f.key: f for f in result.inputs}
    cats = {c.id: c for c in competition.categories}
    bot = result.rules.get("bot_username")
    out: list[str] = []
    for x in result.standings.exclusions:
        category = cats.get(x.category or "")
        f = facts.get(x.key)
        if x.rule != "below-minimum" or category is None or f is None:
            continue
        title = category.title or category.id
        if category.kind != "replies" or category.replies_mode != "distinct":
            out += para(f"@{x.username}, {title}: {x.reason} (rule below-minimum)")
            continue
        why = [
            (r, found)
            for r in f.repliers
            if (found := reply_exclusion(competition, category, f, r, bot_username=bot))
        ]
        if why and all(code == "self-reply" for _, (code, _) in why):
            out += para(
                f"@{x.username}: {len(why)} replies, all by the author (a self-reply farm): 0 "
                f"distinct repliers, below the minimum, so no rank in {title}"
            )
        for r, (code, reason) in why:
            if code != "self-reply":
                out += para(
                    f"@{r.username}'s reply to @{x.username} does not count in {title}: "
                    f"{reason} (rule {code}); repliers pass the entrant rules"
                )
    return out


def first_tie(cs: CategoryStanding, top: int = 10) -> Ranked | None:
    """The second entry of the first group of equal, non-zero scores in the top `top`."""
    rows = cs.entries[:top]
    for above, row in pairwise(rows):
        if row.score > 0 and row.score == above.score and row.tie:
            return row
    return None


def tie_line(
    competition: Competition,
    standings: Standings,
    entries: Sequence[Entry],
    cs: CategoryStanding,
    row: Ranked,
) -> str:
    """The core's explanation of how the tie rule ordered `row` in `cs` (as `explain` says it)."""
    from bot.core.explain import explain

    header = f"{cs.category.title} ({cs.category.id})" if cs.category.title else cs.category.id
    current = ""
    for line in explain(competition, entries, standings, row.key).lines:
        if not line.startswith(" "):
            current = line
        elif line.strip().startswith("tie:") and current.startswith(header):
            return f"rank {row.rank}, {line.strip()}"
    return f"rank {row.rank}, ordered by the tie rule {row.tie!r}"


def late_likes(
    late: Sequence[tuple[str, int]],
    raw: Standings,
    shown: Standings,
    *,
    unchanged: bool,
    verified: bool,
) -> list[str]:
    """The likes that came after the final snapshot: in the store now, not in the frozen result."""
    if not late:
        return ["   no late likes arrived after the final snapshot"]

    def likes(s: Standings) -> dict[str, float]:
        cs = next(c for c in s.categories if c.category.id == "most-liked")
        return {r.username: r.score for r in cs.entries}

    total = sum(n for _, n in late)
    now, frozen = likes(raw), likes(shown)
    verdict = (
        "standings unchanged (same digest, verify ok)"
        if unchanged and verified
        else "STANDINGS CHANGED: the freeze did not hold"
    )
    out = [
        f"   {total} late likes arrived after the final snapshot; {verdict}.",
        "   The bot re-read the metrics anyway. Likes now in the store, and in the frozen result:",
    ]
    for who in dict.fromkeys(w for w, _ in late):
        out.append(f"      @{who:<15} {now.get(who, 0):>4g} now, {frozen.get(who, 0):>4g} frozen")
    return out


def posts_summary(
    outbox: Sequence[OutboxEntry], posted: Sequence[Mapping[str, object]]
) -> list[str]:
    ids = {str(p["id"]) for p in posted}
    out = []
    for entry in outbox:
        p = entry.post
        seen = sum(1 for i in p.posted_ids if i in ids)
        approval = f", approved by {entry.approved_by}" if entry.approved_by else ""
        out.append(
            f"   {p.kind:<13} {p.lang:<3} {p.state:<5} {seen}/{len(p.parts)} part(s) in the sandbox"
            f", est. ${entry.cost}{approval}"
        )
    texts = [str(p["text"]) for p in posted]
    twice = len(texts) - len(set(texts))
    out.append(
        f"   {len(posted)} tweets in the sandbox in all; "
        + ("none twice" if not twice else f"{twice} DUPLICATED")
    )
    return out


def standings_block(standings: Standings, *, tops: Mapping[str, int]) -> list[str]:
    """Every category, its top `tops[kind]` (default 5), winners starred."""
    out: list[str] = []
    for cs in standings.categories:
        c = cs.category
        top = tops.get(c.kind, 5)
        head = f"   {_column_title(cs)}, {c.winners} winner{'s' if c.winners != 1 else ''}"
        if cs.awaiting_jury:
            head += ": the shortlist, awaiting the jury's pick"
        out.append(head)
        if not cs.entries:
            out.append("      (no eligible entry)")
        for r in cs.entries[:top]:
            won = "★" if r.key in cs.winners else " "
            tie = "=" if r.tie else " "
            # A jury judges content: its rows show the pick, not the engagement ordering them.
            score = (
                f"{r.score:>5g}" if c.kind != "jury" else ("picked" if r.jury_rank else "listed")
            )
            out.append(f"    {won}{r.rank:>2}{tie} @{r.username:<15}{score:>6}   {r.url}")
        if len(cs.entries) > top:
            out.append(f"          ... {len(cs.entries) - top} more")
    return out


def report_paths(written: Written) -> list[str]:
    """Where the demo wrote the pages (open them in a browser; no network needed)."""
    return [
        f"   organiser report     {written.organiser}",
        f"   public results page  {written.public}",
        "      (it checks its own digest in the reader's browser; no network needed)",
        f"   JSON and CSV         {written.folder}/report.json, results.json, csv/",
    ]


def next_steps(
    db: Path, config_path: Path, competition_id: str, commands: Sequence[str]
) -> list[str]:
    """What to try next; `commands` are the CLI's subcommands (only those are suggested)."""
    out = [
        "",
        f"The database is {db} and the demo's config {config_path}. To look around:",
        f"   export DATABASE_URL=sqlite:///{db} CONTESTBOT_CONFIG={config_path}",
        f"   contestbot leaderboard {competition_id}",
        f"   contestbot leaderboard {competition_id} --format json",
    ]
    for name, line in (
        ("verify", f"contestbot verify {competition_id}"),
        ("explain", f"contestbot explain {competition_id} TWEET_ID_OR_URL"),
        ("outbox", "contestbot outbox"),
        ("competitions", "contestbot competitions"),
        ("report", f"contestbot report {competition_id}"),
        ("chart", f"contestbot chart {competition_id} -o standings.png"),
    ):
        if name in commands:
            out.append(f"   {line}")
    out.append("   contestbot sandbox --port 8000   (serve the demo scenario yourself)")
    return out
