"""`contestbot disqualify | requalify | jury pick | jury list`: the organisers' decisions
(issue 4 items 1 and 3).

`disqualify`/`requalify` append to the audit log (who, when, why; the latest action per entry
counts); `jury pick` records a judge's pick in a jury category and `jury list` shows the picks and
each jury category's shortlist. A decision or pick made after the freeze re-issues the frozen
result as a new version, whose digest follows the previous one (`bot.freezer.reissue`). Bad ids
exit 2 naming the value and the fix.
"""

from __future__ import annotations

import argparse
import getpass
from typing import TYPE_CHECKING, Any

from bot.cli.cmd_leaderboard import positive_int
from bot.cli.cmd_results import entry_key, open_rules, standings_of
from bot.cli.context import Context, UsageError
from bot.cli.output import add_format_option, iso_z, number, render_table, to_json
from bot.core.models import Competition

if TYPE_CHECKING:
    from bot.core.revisions import Cause
    from bot.store.rules import RulesStore


_DONE = {"disqualify": "disqualified", "requalify": "re-qualified"}


def add_parser(sub: Any) -> None:
    for action, verb in (("disqualify", "exclude"), ("requalify", "re-admit")):
        d = sub.add_parser(
            action,
            help=f"{verb} an entry by hand, with a reason (audit-logged)",
            description=f"{verb.capitalize()} the entry TWEET of COMPETITION. The action, the "
            "reason, who and when are appended to the audit log; the latest action per entry "
            "counts. A re-qualification also lifts the account-age, followers and language rules"
            " (never the window, tag, retweet or deletion rules). After the freeze the result is "
            "re-issued as a new version.",
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
        "The entry must be a candidate of the category (see `jury list`).",
    )
    pick.add_argument("competition", metavar="COMPETITION", help="the competition id")
    pick.add_argument("category", metavar="CATEGORY", help="the jury category id")
    pick.add_argument("tweet", metavar="TWEET", help="a tweet id or a post URL")
    pick.add_argument("--rank", type=positive_int, required=True, help="1 = best")
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
    pick = JuryPick(
        category.id, key, ctx.args.rank, ctx.args.judge.strip(), ctx.clock.now(), reason
    )
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
    if ctx.args.format == "json":
        ctx.out.write(
            to_json(
                {
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
                                "key": r.key,
                                "username": r.username,
                                "score": number(r.score),
                                "jury_rank": r.jury_rank,
                            }
                            for r in cs.entries[: cs.category.shortlist]
                        ]
                        for cs in juries
                    },
                }
            )
        )
        return 0
    rows = [
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
    if rows:
        headers = ("category", "rank", "entry", "author", "judge", "picked_at", "reason")
        ctx.out.write(render_table(headers, rows))
    else:
        ctx.out.write("no jury picks yet\n")
    for cs in juries:
        ctx.out.write(f"\nshortlist of {cs.category.id} (outside engagement):\n")
        table = render_table(
            ("pos", "entry", "author", "score", "jury"),
            [
                [i, r.key, "@" + r.username, number(r.score), r.jury_rank]
                for i, r in enumerate(cs.entries[: cs.category.shortlist], start=1)
            ],
        )
        ctx.out.write("".join("  " + line + "\n" for line in table.splitlines()))
    return 0
