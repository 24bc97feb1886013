"""What `contestbot demo` prints: pure functions from the bot's values to short text blocks.

Owns the demo's look: the opening summary, the leaderboard as two side-by-side compact tables
(most liked, most comments) with the score change since the previous print and a line per change
(new entries, a deletion leaving, an edit staying one entry, a late-indexed entry), the posts as
they reach the sandbox with their weighted length, the freeze with its digest and verification,
the rules at work, and the final standings. Fits 80 columns. `BoardMemory` is the only state: what
the previous print showed. No I/O; `bot.demo` does the printing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from bot.core.models import (
    Category,
    CategoryStanding,
    Competition,
    Entry,
    Ranked,
    Standings,
)
from bot.store.outbox import OutboxEntry

WIDTH = 78


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
            "  posts     launch, webinar reminder (en + fr), winners (waits for approval: the"
            " demo gives it)",
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
    printed_at: datetime | None = None


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
    """The categories named in `side_by_side` as two columns of their top `top` rows that
    scored (a live board of zeros says nothing)."""
    cats = [
        replace(cs, entries=tuple(r for r in cs.entries if r.score > 0))
        for cs in standings.categories
        if cs.category.id in side_by_side
    ]
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
    out += [f"   • {c}" for c in changes(standings, entries, memory)]
    remember(memory, standings, entries)
    return out


def changes(standings: Standings, entries: Sequence[Entry], memory: BoardMemory) -> list[str]:
    lines: list[str] = []
    global_x = {x.key: x for x in standings.exclusions if x.category is None}
    fresh = [e for e in entries if e.key not in memory.seen and e.key not in global_x]
    if fresh:
        names = ", ".join("@" + e.author.username for e in fresh)
        lines.append(f"new {'entry' if len(fresh) == 1 else 'entries'}: {names}")
    for e in entries:
        x = global_x.get(e.key)
        if x is not None and e.key not in memory.excluded and x.rule != "deleted":
            lines.append(f"@{e.author.username} posted with the hashtag: never ranks ({x.rule})")
        if e.status == "deleted" and e.key not in memory.deleted:
            lines.append(f"@{e.author.username}'s entry was deleted: it leaves the leaderboard")
        if e.tweet.id != e.key and e.key not in memory.edited:
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
    memory.edited |= {e.key for e in entries if e.tweet.id != e.key}
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
    frozen_at: datetime,
    start: datetime,
    entries: int,
    digest: str,
    verified: bool,
    problems: Iterable[str],
) -> list[str]:
    out = [
        f"   final snapshot of {entries} entries at {offset(frozen_at, start)}: the standings above"
        " are frozen,",
        "   stored with every input they follow from (rules, metrics, statuses).",
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
    standings: Standings,
    entries: Sequence[Entry],
    *,
    retweets: Sequence[tuple[str, str]],
    query: str,
) -> list[str]:
    """The rules that shaped these standings, entry by entry (the core's exclusions and
    explanations, as `contestbot explain` gives them)."""
    out: list[str] = []
    for x in standings.exclusions:
        if x.category is None:
            out += para(f"@{x.username}: never ranks, rule {x.rule}: {x.reason}")
    for who, whose in retweets:
        out += para(
            f"@{who} retweeted @{whose}'s entry: a retweet is never collected; the search "
            f"query is {query}"
        )
    by_cat = {cs.category.id: cs for cs in standings.categories}
    liked = {r.key: r.score for r in by_cat["most-liked"].entries} if "most-liked" in by_cat else {}
    for e in entries:
        if e.tweet.id != e.key and e.status == "active":
            likes = f": {liked[e.key]:g} likes" if e.key in liked else ""
            out += para(
                f"@{e.author.username} edited the entry: still one entry (its first id, "
                f"{e.key}), scored on the latest version{likes}"
            )
    comments = by_cat.get("most-comments")
    score = {r.key: r.score for r in comments.entries} if comments else {}
    for e in entries:
        if e.key in score and e.tweet.metrics.replies > 1 and score[e.key] == 0:
            out += para(
                f"@{e.author.username}: {e.tweet.metrics.replies} replies reported by X, all by"
                " the author (a self-reply farm): 0 distinct repliers, so 0 in most comments"
            )
    for cs in standings.categories:
        row = first_tie(cs)
        if row is not None and cs.category.kind != "jury":
            line = tie_line(competition, standings, entries, cs, row)
            out += para(f"@{row.username}, {cs.category.title}: {line}")
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
    if not late:
        return ["   no late likes arrived after the freeze"]

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
        f"   {total} late likes arrived after the freeze; {verdict}.",
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
            f"   {p.kind:<9} {p.lang:<3} {p.state:<8} {seen}/{len(p.parts)} part(s) in the sandbox"
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
            out.append(f"    {won}{r.rank:>2}{tie} @{r.username:<15}{r.score:>5g}   {r.url}")
        if len(cs.entries) > top:
            out.append(f"          ... {len(cs.entries) - top} more")
    return out


def checks(problems: Sequence[str], *, real: float) -> list[str]:
    if problems:
        return [f"   ✗ {p}" for p in problems]
    return [
        "   ✓ the deleted tweet, the retweet and the organiser never rank; the edited entry"
        " ranks once",
        "   ✓ frozen at the deadline; digest verified; the late likes changed nothing",
        "   ✓ a tie ordered by the declared rule; reminders in en and fr; winners posted once",
        f"   all good, in {real:.0f} s",
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
    ):
        if name in commands:
            out.append(f"   {line}")
    out.append("   contestbot sandbox --port 8000   (serve the demo scenario yourself)")
    return out
