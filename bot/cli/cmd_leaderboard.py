"""`contestbot leaderboard COMPETITION`: the current standings, per category, from the database.

Before the deadline it reads the live rows the store keeps up to date as entries, metrics,
decisions and picks arrive (`bot.leaderboard.board`: the top of each category from an index,
whatever the number of entries); from the deadline it scores every entry with the deadline's
metrics, and once a competition is frozen it shows the frozen standings, which later likes never
change. `--all` lists every ranked entry (a full-standings export: as CSV or JSON each line is
written as it is read from the database, the same text `--top` gives, in bounded memory). It
prints a table, CSV (one flat row per ranked entry, with a category column) or the
versioned JSON document `contestbot.leaderboard/2` described in the README, which organisers script
against: fields are only ever added to it; a breaking change gets a new schema name (version 2
counts the exclusions, and lists them with --include-excluded only: at scale most entries are
excluded somewhere, one entry per author, and version 1 listed them all every time).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import chain
from typing import TYPE_CHECKING, Any

from bot.cli.args import count
from bot.cli.context import Context, UsageError
from bot.cli.output import (
    Listing,
    add_format_option,
    category_label,
    emit,
    local_iso,
    number,
    render_table,
    terminal_safe,
    write_csv,
    write_json_streamed,
)
from bot.core.models import (
    Category,
    Competition,
    Exclusion,
    Ranked,
    Standings,
    competition_state,
)
from bot.core.rescans import freezes_from
from bot.core.timefmt import iso_z

if TYPE_CHECKING:
    from bot.leaderboard import Board

SCHEMA = "contestbot.leaderboard/2"
CSV_COLUMNS = (
    "category",
    "kind",
    "rank",
    "tweet_id",
    "entry_key",
    "username",
    "author_id",
    "score",
    "created_at",
    "url",
    "audience",
    "tie",
)


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "leaderboard",
        help="show a competition's current standings per category",
        description="Score the stored entries of COMPETITION now and print, per category, the "
        "rank, tweet id, @username, score, creation time and URL. Retweets, deleted tweets, "
        "entries outside the window and excluded accounts never rank.",
    )
    p.add_argument("competition", metavar="COMPETITION", help="the competition id from the config")
    add_format_option(p)
    p.add_argument(
        "--top",
        type=count,
        metavar="N",
        help="entries shown per category (default: the competition's leaderboard_top)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="every ranked entry of each category, a full-standings export (CSV and JSON are "
        "written as they are read, in bounded memory, however many entries there are)",
    )
    p.add_argument(
        "--include-excluded",
        action="store_true",
        help="also list every excluded entry with the rule and the reason (JSON: under "
        '"excluded"; without it JSON and the table give the counts only)',
    )
    p.set_defaults(func=leaderboard)


def find_competition(ctx: Context, competition_id: str) -> Competition:
    config = ctx.config()
    competition = config.competition(competition_id)
    if competition is None:
        known = ", ".join(config.competition_ids) or "(none declared)"
        raise UsageError(f'no competition "{competition_id}" in {config.source}; known: {known}')
    return competition


def leaderboard(ctx: Context) -> int:
    from bot.app import existing_store
    from bot.leaderboard import board
    from bot.store.rules import RulesStore

    config = ctx.config()
    competition = find_competition(ctx, ctx.args.competition)  # before touching the database
    if ctx.args.all and ctx.args.top:
        raise UsageError("--all lists every entry and --top the first N: give one of them")
    top = ctx.args.top or competition.leaderboard_top
    store = existing_store(ctx.settings())
    try:
        now = ctx.clock.now()
        shown = board(store, competition, now, top=top, bot_username=config.bot.username)
        frozen = RulesStore(store).is_frozen(competition.id)
        excluded = ctx.args.include_excluded
        if ctx.args.all and ctx.args.format != "table":
            # Streamed while the store is open: every line is written as it is read.
            return export_all(ctx, competition, shown, frozen=frozen, listed=excluded)
        # Listed only when asked for, read while the store is open (streamed from the live rows).
        exclusions = tuple(shown.exclusions()) if excluded else ()
        if ctx.args.all:
            full = tuple(
                replace(cs, entries=tuple(shown.ranked(cs.category.id)))
                for cs in shown.standings.categories
            )
            shown = replace(shown, standings=replace(shown.standings, categories=full))
            top = max((len(cs.entries) for cs in full), default=0) or 1
    finally:
        store.close()
    standings = replace(shown.standings, exclusions=exclusions)
    counts = ExclusionCounts(shown.excluded_entries, shown.exclusion_count)
    zone = config.zone_of(competition)

    def rows() -> list[list[Any]]:
        ranked = csv_rows(standings, top=top)
        if not excluded:
            return ranked
        return [[*row, "", ""] for row in ranked] + excluded_csv_rows(standings)

    def text() -> str:
        board = render_text(competition, standings, counts, top=top, frozen=frozen, zone=zone)
        return board + (render_exclusions(standings) if excluded else "")

    return emit(
        ctx.out,
        ctx.args.format,
        Listing(
            document=lambda: leaderboard_document(
                competition,
                standings,
                counts,
                top=top,
                frozen=frozen,
                zone=zone,
                listed=excluded,
            ),
            columns=(*CSV_COLUMNS, "excluded_rule", "excluded_reason") if excluded else CSV_COLUMNS,
            rows=rows,
            text=text,
        ),
    )


def export_all(
    ctx: Context, competition: Competition, shown: Board, *, frozen: bool, listed: bool
) -> int:
    """`--all` as CSV or JSON: the same rows and document as `--top` with every ranked entry,
    each category's lines (and, with --include-excluded, the exclusions) written as they are read
    from the database (`Board.ranked`, `Board.exclusions`), never held whole."""
    config = ctx.config()
    standings = shown.standings
    counts = ExclusionCounts(shown.excluded_entries, shown.exclusion_count)
    if ctx.args.format == "csv":
        lines = (
            [*_csv_line(cs.category, r), *([""] * 2 if listed else [])]
            for cs in standings.categories
            for r in shown.ranked(cs.category.id)
        )
        excluded = (_excluded_csv_line(x) for x in shown.exclusions()) if listed else ()
        write_csv(
            ctx.out,
            (*CSV_COLUMNS, "excluded_rule", "excluded_reason") if listed else CSV_COLUMNS,
            chain(lines, excluded),
        )
        return 0
    document = leaderboard_document(
        competition,
        standings,
        counts,
        top=0,
        frozen=frozen,
        zone=config.zone_of(competition),
        listed=False,
    )
    streams: dict[str, Iterable[object]] = {}
    for i, (category, cs) in enumerate(
        zip(document["categories"], standings.categories, strict=True)
    ):
        token = f"\x00entries:{i}"
        category["entries"] = token
        streams[token] = (_json_line(r) for r in shown.ranked(cs.category.id))
    if listed:
        document["excluded"] = "\x00excluded"
        streams["\x00excluded"] = (_excluded_json(x) for x in shown.exclusions())
    write_json_streamed(ctx.out, document, streams)
    return 0


def render_exclusions(standings: Standings) -> str:
    """The excluded entries, one per line with the rule code and the reason."""
    if not standings.exclusions:
        return "\nno excluded entries\n"
    rows = [
        [x.category or "all", x.post_id, "@" + x.username, x.rule, x.reason]
        for x in standings.exclusions
    ]
    table = render_table(("category", "tweet", "author", "rule", "reason"), rows)
    return "\nexcluded\n" + "".join("  " + line + "\n" for line in table.splitlines())


def excluded_csv_rows(standings: Standings) -> list[list[Any]]:
    return [_excluded_csv_line(x) for x in standings.exclusions]


def _excluded_csv_line(x: Exclusion) -> list[Any]:
    return [x.category or "", "", "", x.post_id, x.key, x.username, *[""] * 6, x.rule, x.reason]


@dataclass(frozen=True)
class ExclusionCounts:
    """How many entries are excluded (anywhere), and how many exclusions there are in all (an
    entry may be excluded in several categories, or by several rules)."""

    entries: int
    exclusions: int


def leaderboard_document(
    competition: Competition,
    standings: Standings,
    counts: ExclusionCounts,
    *,
    top: int,
    frozen: bool = False,
    zone: str | None = None,
    listed: bool = False,
) -> Any:
    """The `contestbot.leaderboard/2` JSON document (see README, "Leaderboard JSON"). `zone` is
    the zone the window was written in (`Config.zone_of`; default: the competition's timezone).
    With `listed`, `excluded` lists `standings.exclusions`."""
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "competition": {
            "id": competition.id,
            "title": competition.title,
            "hashtags": list(competition.hashtags),
            "start": iso_z(competition.start),
            "end": iso_z(competition.end),
            "timezone": zone or competition.timezone,
            "state": competition_state(competition, standings.computed_at, frozen=frozen),
        },
        "generated_at": iso_z(standings.computed_at),
        "categories": [
            {
                "id": cs.category.id,
                "kind": cs.category.kind,
                "title": cs.category.title,
                "winners": cs.category.winners,
                "min_score": number(cs.category.minimum),
                "below_minimum": cs.below_minimum,
                "no_qualifying_entry": cs.no_qualifying_entry,
                "entries": [_json_line(r) for r in cs.entries[:top]],
            }
            for cs in standings.categories
        ],
        "excluded_count": {"entries": counts.entries, "exclusions": counts.exclusions},
    }
    if listed:
        document["excluded"] = [_excluded_json(x) for x in standings.exclusions]
    return document


def _json_line(r: Ranked) -> dict[str, Any]:
    return {
        "rank": r.rank,
        "tweet_id": r.post_id,
        "entry_key": r.key,
        "username": r.username,
        "author_id": r.author_id,
        "score": number(r.score),
        "created_at": iso_z(r.created_at),
        "url": r.url,
        "audience": r.audience,
        "tie": r.tie,
    }


def _excluded_json(x: Exclusion) -> dict[str, Any]:
    return {
        "entry_key": x.key,
        "tweet_id": x.post_id,
        "username": x.username,
        "rule": x.rule,
        "reason": x.reason,
        "category": x.category,
    }


def csv_rows(standings: Standings, *, top: int) -> list[list[Any]]:
    return [_csv_line(cs.category, r) for cs in standings.categories for r in cs.entries[:top]]


def _csv_line(category: Category, r: Ranked) -> list[Any]:
    return [
        category.id,
        category.kind,
        r.rank,
        r.post_id,
        r.key,
        r.username,
        r.author_id,
        r.score,
        iso_z(r.created_at),
        r.url,
        r.audience,
        r.tie,
    ]


def render_text(
    competition: Competition,
    standings: Standings,
    counts: ExclusionCounts,
    *,
    top: int,
    frozen: bool = False,
    zone: str | None = None,
) -> str:
    """The table form: a heading with the window in the zone it was written in, then per category
    its `category_label` and the ranked entries, then how many entries were excluded."""
    state: str = competition_state(competition, standings.computed_at, frozen=frozen)
    zone = zone or competition.timezone
    if state == "ended":
        # Between the end and the freeze: posts indexed late may still join (late_posts_grace).
        freezes = freezes_from(competition.end, competition.late_grace)
        state = f"ended, provisional until the freeze (from {local_iso(freezes, zone)})"
    parts = [
        terminal_safe(f"{competition.title} ({competition.id})")
        + f" — {state}, {local_iso(competition.start, zone)} to "
        f"{local_iso(competition.end, zone)}; as of {iso_z(standings.computed_at)}\n"
    ]
    for cs in standings.categories:
        parts.append(f"\n{category_label(cs.category)}\n")
        if cs.no_qualifying_entry:
            parts.append(
                f"  no entry has reached the minimum score of {number(cs.category.minimum)} "
                f"({cs.below_minimum} below it)\n"
            )
            continue
        if not cs.entries:
            parts.append("  no ranked entries yet\n")
            continue
        shown = cs.entries[:top]
        rows = [
            [r.rank, r.post_id, "@" + r.username, number(r.score), iso_z(r.created_at), r.url]
            for r in shown
        ]
        headers: tuple[str, ...] = ("rank", "tweet", "author", "score", "created_at", "url")
        if any(r.tie for r in shown):  # say which declared rule ordered equal scores
            headers = (*headers, "tie decided by")
            rows = [[*row, r.tie or ""] for row, r in zip(rows, shown, strict=True)]
        table = render_table(headers, rows)
        parts.append("".join("  " + line + "\n" for line in table.splitlines()))
    if standings.prizes_pending:
        parts.append(
            "\none prize per author: applied at the deadline, in category order (an author may "
            "lead several categories until then)\n"
        )
    if counts.exclusions:
        parts.append(f"\n{exclusion_summary(counts)} (--include-excluded lists them)\n")
    return "".join(parts)


def exclusion_summary(counts: ExclusionCounts) -> str:
    """`16 entries excluded (26 exclusions across categories)`: an entry excluded in several
    categories (or by several rules) counts once."""
    entries, exclusions = counts.entries, counts.exclusions
    text = f"{entries} {'entry' if entries == 1 else 'entries'} excluded"
    if exclusions != entries:
        text += f" ({exclusions} exclusions across categories)"
    return text
