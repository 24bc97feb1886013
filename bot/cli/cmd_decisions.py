"""`contestbot disqualify | requalify | jury pick | jury list`: the organisers' decisions
(issue 4 items 1 and 3).

`disqualify`/`requalify` append to the audit log (who, when, why; the latest action per entry
counts); one that would change nothing (disqualifying a disqualified entry, re-qualifying one that
is neither disqualified nor failing a rule a re-qualification lifts) says so, logs nothing and exits
0. `jury pick` records a judge's pick in a jury category at a rank from 1 to the category's
shortlist size (places after the winners are the jury's runners-up: the pre-announcement re-check
gives a deleted winner's place to the next of them); a rank another entry holds is refused unless
`--replace`, which moves the holders down one place each (recorded as picks too). `jury list`
shows the picks and each jury category's shortlist (table, JSON or CSV). A decision or pick made
after the freeze re-issues the frozen result as a new version, whose digest follows the previous
one (`bot.freezer.reissue`). Bad or unknown ids exit 2 naming the value and the fix.
"""

from __future__ import annotations

import argparse
import getpass
from typing import TYPE_CHECKING, Any

from bot.cli.args import count
from bot.cli.cmd_results import entry_key, open_rules, standings_of
from bot.cli.context import Context, UsageError
from bot.cli.output import (
    Cell,
    Listing,
    add_format_option,
    category_label,
    emit,
    number,
    render_table,
)
from bot.core.models import Category, Competition
from bot.core.timefmt import iso_z

if TYPE_CHECKING:
    from bot.core.revisions import Cause
    from bot.core.scoring import JuryPick
    from bot.store import Store
    from bot.store.rules import RulesStore

JURY_SCHEMA = "contestbot.jury/1"
JURY_CSV = "list category position entry author score jury_rank judge picked_at reason"


_DONE = {"disqualify": "disqualified", "requalify": "re-qualified"}


def add_parser(sub: Any) -> None:
    for action, verb in (("disqualify", "exclude"), ("requalify", "re-admit")):
        d = sub.add_parser(
            action,
            help=f"{verb} an entry by hand, with a reason (audit-logged)",
            description=f"{verb.capitalize()} the entry TWEET of COMPETITION. The action, the "
            "reason, who and when are appended to the audit log; the latest action per entry "
            "counts. A re-qualification also lifts the account-age, followers and language rules"
            " (never the window, tag, retweet or deletion rules). A decision that changes nothing "
            "(already disqualified; or nothing to re-qualify) is reported and not logged; to "
            "change a disqualification's reason, re-qualify and disqualify again. After the "
            "freeze the result is re-issued as a new version.",
        )
        d.add_argument("competition", metavar="COMPETITION", help="the competition id")
        d.add_argument("tweet", metavar="TWEET", help="a tweet id or a post URL")
        d.add_argument("--reason", required=True, help="why (shown in the results and explain)")
        d.add_argument("--by", help="who decides (default: the OS user name)")
        d.set_defaults(func=decide_cmd, action=action)
    _jury_parser(sub)


def _jury_parser(sub: Any) -> None:
    j: argparse.ArgumentParser = sub.add_parser(
        "jury",
        help="record and list the jury's picks in jury categories",
        description="The jury's picks in jury categories (e.g. best comment or question).",
    )
    group = j.add_subparsers(
        dest="jury_command", metavar="ACTION", required=True, help="what to do"
    )
    pick: argparse.ArgumentParser = group.add_parser(
        "pick",
        help="record a pick: entry TWEET placed at --rank in CATEGORY",
        description="Record that judge --judge places the entry TWEET at rank --rank in the jury "
        "category CATEGORY, and why. A later pick of the same entry replaces the earlier one. "
        "The entry must be a candidate of the category (see `jury list`). Ranks go from 1 to the "
        "category's shortlist size: ranks up to `winners` win, the next ones are runners-up "
        "that take a winner's place if its post is deleted before the announcement. A rank "
        "another entry holds is refused unless --replace is given.",
    )
    pick.add_argument("competition", metavar="COMPETITION", help="the competition id")
    pick.add_argument("category", metavar="CATEGORY", help="the jury category id")
    pick.add_argument("tweet", metavar="TWEET", help="a tweet id or a post URL")
    pick.add_argument(
        "--rank", type=count, required=True, help="1 = best, up to the shortlist size"
    )
    pick.add_argument(
        "--replace",
        action="store_true",
        help="if another entry holds this rank, move it (and any entry below it in the way) "
        "down one place instead of refusing",
    )
    pick.add_argument("--judge", required=True, help="who picks (shown in the results)")
    pick.add_argument("--reason", required=True, help="why (shown in the results)")
    pick.set_defaults(func=jury_pick_cmd)
    lst: argparse.ArgumentParser = group.add_parser(
        "list",
        help="list the picks and each jury category's shortlist",
        description="List every jury pick (who, when, why) and each jury category's shortlist, "
        "ordered by engagement from outside the community.",
    )
    lst.add_argument("competition", metavar="COMPETITION", help="the competition id")
    add_format_option(lst)
    lst.set_defaults(func=jury_list_cmd)


def _reissued(ctx: Context, competition: Competition, rules: RulesStore, cause: Cause) -> None:
    """After a decision or pick: re-issue the frozen result (if frozen) and say so."""
    from bot.freezer import reissue

    before = rules.current(competition.id)
    stored = reissue(competition.id, store=rules.store, clock=ctx.clock, cause=cause)
    if stored is None:
        ctx.out.write("not frozen yet: this enters the result when it freezes at the end\n")
    elif before is not None and stored.digest != before.digest:
        ctx.out.write(
            f"result re-issued as version {stored.version} ({stored.cause}), digest "
            f"{stored.digest} (follows {stored.previous_digest})\n"
        )


# ------------------------------------------------------------------------------------ decisions


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def decide_cmd(ctx: Context) -> int:
    from bot.core.revisions import Decision

    competition, store, rules = open_rules(ctx)
    key = entry_key(ctx, store, competition, ctx.args.tweet)
    reason = ctx.args.reason.strip()
    if not reason:
        raise UsageError(f"--reason is empty — say why the entry is {_DONE[ctx.args.action]}")
    unchanged = _no_change(ctx, competition, store, rules, key)
    if unchanged is not None:
        ctx.out.write(unchanged + "; nothing logged\n")
        return 0
    decision = Decision(
        competition.id, key, ctx.args.action, reason, _who(ctx.args.by), ctx.clock.now()
    )
    if not rules.record_decision(decision):
        ctx.out.write(
            f"entry {key} is already {_DONE[ctx.args.action]} for this reason; nothing logged\n"
        )
        return 0
    ctx.out.write(
        f"{_DONE[ctx.args.action]} entry {key} of {competition.id} by {decision.by} at "
        f"{iso_z(decision.at)}: {reason}\n"
    )
    _reissued(ctx, competition, rules, "decision")
    return 0


def _no_change(
    ctx: Context, competition: Competition, store: Store, rules: RulesStore, key: str
) -> str | None:
    """Why the decision asked for would change nothing (None when it would change something)."""
    from bot.core.eligibility import LIFTABLE_RULES

    disqualified, requalified = rules.decision_state(competition.id)
    last = next((d for d in reversed(rules.decisions(competition.id)) if d.key == key), None)
    by = f" (by {last.by} at {iso_z(last.at)}: {last.reason})" if last else ""
    if ctx.args.action == "disqualify":
        if key in disqualified:
            return (
                f"entry {key} is already disqualified{by}; to change the reason, requalify it "
                "and disqualify it again"
            )
        return None
    if key in requalified:
        return f"entry {key} is already re-qualified{by}"
    if key in disqualified:
        return None
    standings = standings_of(ctx, competition, store, rules.current(competition.id))
    liftable = {
        x.rule
        for x in standings.exclusions
        if x.key == key and x.category is None and x.rule in LIFTABLE_RULES
    }
    if not liftable:
        return (
            f"entry {key} is not disqualified and fails no rule a re-qualification lifts "
            "(account age, followers, language)"
        )
    return None


def _max_rank(category: Category) -> int:
    return max(category.winners, category.shortlist)


def _moves(
    picks: list[JuryPick], category_id: str, key: str, rank: int, limit: int
) -> list[tuple[str, int]] | str:
    """The (entry, new rank) moves placing `key` at `rank` pushes down, holder by holder; a
    string saying why when a move would pass `limit`."""
    latest: dict[str, int] = {}
    for p in sorted(picks, key=lambda p: (p.picked_at, p.judge, p.rank)):
        if p.category_id == category_id:
            latest[p.key] = p.rank
    latest.pop(key, None)
    holders: dict[int, list[str]] = {}
    for k, r in latest.items():
        holders.setdefault(r, []).append(k)
    moves: list[tuple[str, int]] = []
    moving, at = holders.get(rank, []), rank
    while moving:
        at += 1
        if at > limit:
            return (
                f"no room to move entry {', '.join(moving)} below rank {at - 1}: the last "
                f"place is {limit} — pick it at another rank first"
            )
        moves.extend((k, at) for k in moving)
        moving = holders.get(at, [])
    return moves


def jury_pick_cmd(ctx: Context) -> int:
    from bot.core.scoring import JuryPick

    competition, store, rules = open_rules(ctx)
    category = next((c for c in competition.categories if c.id == ctx.args.category), None)
    if category is None or category.kind != "jury":
        juries = ", ".join(c.id for c in competition.categories if c.kind == "jury") or "(none)"
        raise UsageError(
            f"{ctx.args.category!r} is not a jury category of {competition.id!r} — use one of: "
            f"{juries}"
        )
    key = entry_key(ctx, store, competition, ctx.args.tweet)
    standings = standings_of(ctx, competition, store, rules.current(competition.id))
    cs = next(c for c in standings.categories if c.category.id == category.id)
    if key not in {r.key for r in cs.entries}:
        why = [f"{x.rule}: {x.reason}" for x in standings.exclusions if x.key == key]
        raise UsageError(
            f"entry {key} is not a candidate of {category.id!r} ({'; '.join(why) or 'not ranked'})"
            f" — pick one listed by `contestbot jury list {competition.id}`"
        )
    reason = ctx.args.reason.strip()
    if not reason or not ctx.args.judge.strip():
        raise UsageError("--judge and --reason must not be empty — say who picks and why")
    rank, limit = ctx.args.rank, _max_rank(category)
    if rank > limit:
        raise UsageError(
            f"--rank {rank} is past the last place of {category.id!r}: ranks go from 1 to "
            f"{limit} (winners {category.winners}, shortlist {category.shortlist})"
        )
    moves = _moves(rules.picks(competition.id), category.id, key, rank, limit)
    if isinstance(moves, str):
        raise UsageError(moves)
    if moves and not ctx.args.replace:
        holders = ", ".join(k for k, r in moves if r == rank + 1)
        raise UsageError(
            f"rank {rank} of {category.id!r} is already held by entry {holders} — pick another "
            f"rank, or give --replace to move it down one place"
        )
    now, judge = ctx.clock.now(), ctx.args.judge.strip()
    for moved, to in moves:
        rules.add_pick(
            competition.id,
            JuryPick(
                category.id, moved, to, judge, now, f"moved to rank {to}: {key} took rank {rank}"
            ),
        )
        ctx.out.write(f"{judge} moved entry {moved} down to rank {to} in {category.id}\n")
    pick = JuryPick(category.id, key, rank, judge, now, reason)
    rules.add_pick(competition.id, pick)
    ctx.out.write(
        f"{pick.judge} placed entry {key} at rank {pick.rank} in {category.id} at "
        f"{iso_z(pick.picked_at)}: {reason}\n"
    )
    _reissued(ctx, competition, rules, "jury")
    return 0


def jury_list_cmd(ctx: Context) -> int:
    competition, store, rules = open_rules(ctx)
    standings = standings_of(ctx, competition, store, rules.current(competition.id))
    names = {e.key: e.author.username for e in store.entries(competition.id)}
    picks = rules.picks(competition.id)
    juries = [cs for cs in standings.categories if cs.category.kind == "jury"]

    def document() -> dict[str, object]:
        return {
            "schema": JURY_SCHEMA,
            "competition_id": competition.id,
            "picks": [
                {
                    "category_id": p.category_id,
                    "rank": p.rank,
                    "key": p.key,
                    "username": names.get(p.key),
                    "judge": p.judge,
                    "picked_at": iso_z(p.picked_at),
                    "reason": p.reason,
                }
                for p in picks
            ],
            "shortlists": {
                cs.category.id: [
                    {
                        "position": i,
                        "key": r.key,
                        "username": r.username,
                        "score": number(r.score),
                        "jury_rank": r.jury_rank,
                    }
                    for i, r in enumerate(cs.entries[: cs.category.shortlist], start=1)
                ]
                for cs in juries
            },
        }

    def rows() -> list[list[Cell]]:
        # One sheet: the picks, then each shortlist, told apart by the first column.
        sheet: list[list[Cell]] = [
            [
                "pick",
                p.category_id,
                p.rank,
                p.key,
                names.get(p.key),
                None,
                p.rank,
                p.judge,
                iso_z(p.picked_at),
                p.reason,
            ]
            for p in picks
        ]
        for cs in juries:
            sheet.extend(
                [
                    "shortlist",
                    cs.category.id,
                    i,
                    r.key,
                    r.username,
                    number(r.score),
                    r.jury_rank,
                    None,
                    None,
                    None,
                ]
                for i, r in enumerate(cs.entries[: cs.category.shortlist], start=1)
            )
        return sheet

    def text() -> str:
        table_rows: list[list[Cell]] = [
            [
                p.category_id,
                p.rank,
                p.key,
                "@" + names.get(p.key, "?"),
                p.judge,
                iso_z(p.picked_at),
                p.reason,
            ]
            for p in picks
        ]
        columns = ("category", "rank", "entry", "author", "judge", "picked_at", "reason")
        parts = [render_table(columns, table_rows) if table_rows else "no jury picks yet\n"]
        for cs in juries:
            parts.append(f"\nshortlist of {category_label(cs.category)} (outside engagement):\n")
            table = render_table(
                ("pos", "entry", "author", "score", "jury"),
                [
                    [i, r.key, "@" + r.username, number(r.score), r.jury_rank]
                    for i, r in enumerate(cs.entries[: cs.category.shortlist], start=1)
                ],
            )
            parts.append("".join("  " + line + "\n" for line in table.splitlines()))
        return "".join(parts)

    return emit(
        ctx.out,
        ctx.args.format,
        Listing(document=document, columns=JURY_CSV.split(), rows=rows, text=text),
    )
