"""`contestbot results | verify | explain`: frozen results, their verification and explanations
(issue 4 items 6 and 7).

`results` prints the frozen result, its digest and the history of re-issues (or, before the freeze,
the live standings with a clear note); `--export` writes the self-contained certificate that
scripts/verify_certificate.py of the repository checks (kept out of the package on purpose;
docs/RESULTS.md gives the recipe); `verify` recomputes every stored version from its stored
inputs and rules (exit 0 match, 1 mismatch); `explain` says why an entry ranks where it does or why
it is excluded. The helpers `open_rules`, `entry_key` and `standings_of` are shared with
`cmd_decisions`. Bad ids exit 2 naming the value and the fix.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.cmd_leaderboard import find_competition
from bot.cli.context import Context, UsageError
from bot.cli.output import (
    Listing,
    add_format_option,
    category_label,
    emit,
    number,
    render_table,
)
from bot.core.models import Competition, Standings
from bot.core.timefmt import iso_z

if TYPE_CHECKING:
    from bot.core.results import FinalSnapshot
    from bot.store import Store
    from bot.store.rules import RulesStore, StoredResult

RESULTS_SCHEMA = "contestbot.results/1"


def add_parser(sub: Any) -> None:
    _results_parser(sub)
    v = sub.add_parser(
        "verify",
        help="recompute a frozen result from its stored inputs and report match or mismatch",
        description="Recompute every stored version of COMPETITION's result from the stored "
        "inputs and rules alone, check each recorded digest, the history of re-issues and the "
        "frozen metrics against the snapshot rows. Exit 0 when everything matches, 1 otherwise.",
    )
    v.add_argument("competition", metavar="COMPETITION", help="the competition id from the config")
    v.set_defaults(func=verify_cmd)
    e = sub.add_parser(
        "explain",
        help="why an entry has its rank, or why it is excluded",
        description="Explain, per category, the rank of the entry TWEET (its id, any id of its "
        "edit history, or its URL): its score, the entries around it and the tie rule, or every "
        "eligibility rule it fails with the values involved. Uses the frozen standings once "
        "frozen.",
    )
    e.add_argument("competition", metavar="COMPETITION", help="the competition id from the config")
    e.add_argument("tweet", metavar="TWEET", help="a tweet id or a post URL (x.com/twitter.com)")
    e.set_defaults(func=explain_cmd)


def _results_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "results",
        help="print a competition's frozen results and their digest",
        description="Print COMPETITION's frozen standings per category, the exclusions, the "
        "result's SHA-256 digest and the history of re-issues. Before the freeze it prints the "
        "live standings with a note that they are not final.",
    )
    p.add_argument("competition", metavar="COMPETITION", help="the competition id from the config")
    add_format_option(
        p,
        ("table", "json"),
        help="an aligned text table (default) or the contestbot.results/1 JSON document",
    )
    p.add_argument(
        "--export",
        metavar="FILE",
        help="also write the self-contained results certificate (JSON) to FILE; anyone can check "
        "it with scripts/verify_certificate.py FILE from the contestbot repository (standard "
        "library only, not installed with the package) or the recipe in docs/RESULTS.md",
    )
    p.set_defaults(func=results_cmd)


# ------------------------------------------------------------------------------------ helpers


def open_rules(ctx: Context) -> tuple[Competition, Store, RulesStore]:
    from bot.app import existing_store
    from bot.store.rules import RulesStore

    competition = find_competition(ctx, ctx.args.competition)
    store = existing_store(ctx.settings())
    ctx.on_exit(store.close)
    return competition, store, RulesStore(store)


def _bot_username(ctx: Context) -> str | None:
    return ctx.config().bot.username


def entry_key(ctx: Context, store: Store, competition: Competition, ref: str) -> str:
    """The entry key of TWEET, or a UsageError naming the value and the fix."""
    from bot.core.explain import parse_post_ref

    try:
        tweet_id = parse_post_ref(ref)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    key = store.key_of_post(tweet_id) or tweet_id
    if key not in set(store.tracked_keys(competition.id)):
        raise UsageError(
            f"tweet {tweet_id} is not an entry of competition {competition.id!r} (the bot has "
            f"not collected it) — check the id; `contestbot results {competition.id}` lists them"
        )
    return key


def standings_of(
    ctx: Context, competition: Competition, store: Store, current: StoredResult | None
) -> Standings:
    from bot.freezer import live_standings

    if current is not None:
        return current.result.standings
    return live_standings(store, competition, ctx.clock.now(), bot_username=_bot_username(ctx))


# ------------------------------------------------------------------------------------ results


def results_cmd(ctx: Context) -> int:
    from bot.cli.args import check_output_file
    from bot.core.results import certificate

    if ctx.args.export:
        check_output_file(Path(ctx.args.export), option="--export")
    competition, store, rules = open_rules(ctx)
    history = rules.history(competition.id)
    current = history[-1] if history else None
    standings = standings_of(ctx, competition, store, current)
    if ctx.args.export:
        if current is None:
            ctx.err.write(
                f"error: competition {competition.id!r} is not frozen yet (it ends "
                f"{iso_z(competition.end)}); --export writes the certificate of a frozen result — "
                "run it again after the freeze\n"
            )
            return 1
        path = Path(ctx.args.export)
        path.write_text(
            json.dumps(certificate(current.result), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
    doc = results_document(competition, standings, history, rules, ctx)
    emit(
        ctx.out,
        ctx.args.format,
        Listing(lambda: doc, text=lambda: render_results(competition, standings, doc)),
    )
    if ctx.args.export:
        ctx.err.write(
            f"certificate written to {ctx.args.export} — check it with "
            f"python scripts/verify_certificate.py {ctx.args.export} (the script is in the "
            "contestbot repository; docs/RESULTS.md shows how to check the digest by hand)\n"
        )
    return 0


def results_document(
    competition: Competition,
    standings: Standings,
    history: list[StoredResult],
    rules: RulesStore,
    ctx: Context,
) -> dict[str, Any]:
    from bot.core.resultjson import standings_document

    current = history[-1] if history else None
    result = current.result if current else None
    final = rules.final_snapshot(competition.id)
    return {
        "schema": RESULTS_SCHEMA,
        "competition_id": competition.id,
        "title": competition.title,
        "state": "frozen" if current else "live",
        "note": None if current else not_frozen_note(competition, final, ctx),
        "deadline": iso_z(competition.end),
        "final_snapshot_at": iso_z(final.taken_at) if final else None,
        "frozen_at": iso_z(result.frozen_at) if result else None,
        "freeze_delay_seconds": result.freeze_delay_seconds if result else None,
        "freeze_delay_reason": result.freeze_delay_reason if result else None,
        "version": current.version if current else None,
        "digest": current.digest if current else None,
        "history": [
            {
                "version": h.version,
                "cause": h.cause,
                "digest": h.digest,
                "previous_digest": h.previous_digest,
                "created_at": iso_z(h.created_at),
            }
            for h in history
        ],
        "tie_rule": competition.tie_rule,
        "uncollected": [
            {"from": iso_z(a), "until": iso_z(b)} for a, b in (result.uncollected if result else ())
        ],
        "standings": standings_document(standings),
        "decisions": [
            {
                "key": d.key,
                "action": d.action,
                "reason": d.reason,
                "by": d.by,
                "at": iso_z(d.at),
            }
            for d in rules.decisions(competition.id)
        ],
        "jury_picks": [
            {
                "category_id": p.category_id,
                "key": p.key,
                "rank": p.rank,
                "judge": p.judge,
                "picked_at": iso_z(p.picked_at),
                "reason": p.reason,
            }
            for p in rules.picks(competition.id)
        ],
        "announcement_checks": [
            {
                "checked_at": iso_z(c.checked_at),
                "digest": c.digest,
                "replacements": [asdict(r) for r in c.replacements],
            }
            for c in rules.checks(competition.id)
        ],
    }


def not_frozen_note(competition: Competition, final: FinalSnapshot | None, ctx: Context) -> str:
    """What `results` says before the freeze: when the final snapshot is (or was) taken, and from
    when the standings freeze."""
    from bot.core.rescans import freezes_from
    from bot.core.results import describe_delay

    freezes = iso_z(freezes_from(competition.end, competition.late_grace))
    if final is None:
        return (
            f"not frozen yet: the final snapshot is taken at the end ({iso_z(competition.end)}) "
            f"and the standings freeze once the final re-scan for late-indexed posts is done "
            f"(from {freezes}); these are the live standings as of {iso_z(ctx.clock.now())}"
        )
    return (
        f"not frozen yet: the final snapshot was taken at {iso_z(final.taken_at)} "
        f"({describe_delay(final.delay_seconds, final.reason)}) and the standings freeze once the "
        f"final re-scan for late-indexed posts is done (from {freezes}); these are provisional "
        "standings: that snapshot's metrics, and the first reading of posts found since"
    )


def render_results(competition: Competition, standings: Standings, doc: dict[str, Any]) -> str:
    from bot.core.explain import plural
    from bot.core.results import describe_delay

    out = [f"{competition.title} ({competition.id})\n"]
    if doc["state"] == "live":
        out.append(f"{doc['note']}\n")
    else:
        delay = describe_delay(doc["freeze_delay_seconds"], doc["freeze_delay_reason"])
        out.append(f"frozen at {doc['frozen_at']} (deadline {doc['deadline']}; {delay})\n")
        out.append(f"digest {doc['digest']} (result version {doc['version']})\n")
        for h in doc["history"][:-1]:
            out.append(f"  earlier: version {h['version']} ({h['cause']}) {h['digest']}\n")
    out.append(f"tie rule: {competition.tie_rule}\n")
    for span in doc["uncollected"]:
        out.append(
            f"not collected: posts from {span['from']} to {span['until']} (X's recent search "
            "reaches back 7 days only; they were never seen)\n"
        )
    for cs in standings.categories:
        c = cs.category
        names = {r.key: "@" + r.username for r in cs.entries}
        won = ", ".join(names.get(k, k) for k in cs.winners) or "-"
        state = " (awaiting the jury's picks: shortlist below)" if cs.awaiting_jury else ""
        out.append(f"\n{category_label(c)} winners: {won}{state}\n")
        rows = (
            cs.entries[: c.shortlist]
            if c.kind == "jury"
            else cs.entries[: competition.leaderboard_top]
        )
        if cs.no_qualifying_entry:
            out.append(
                f"  no entry reached the minimum score of {number(c.minimum)} "
                f"({cs.below_minimum} below it): no winner\n"
            )
            continue
        if not rows:
            out.append("  no ranked entries\n")
            continue
        table = render_table(
            ("rank", "tweet", "author", "score", "jury", "tie", "url"),
            [
                [r.rank, r.post_id, "@" + r.username, number(r.score), r.jury_rank, r.tie, r.url]
                for r in rows
            ],
        )
        out.extend("  " + line + "\n" for line in table.splitlines())
    global_x = [x for x in standings.exclusions if x.category is None]
    if global_x:
        out.append(f"\nexcluded from every category ({plural(len(global_x), 'rule failure')}):\n")
        out.extend(f"  @{x.username} {x.post_id}: {x.rule}: {x.reason}\n" for x in global_x)
    per_cat = len(standings.exclusions) - len(global_x)
    if per_cat:
        out.append(
            f"{plural(per_cat, 'per-category exclusion')} (see --format json or `explain`)\n"
        )
    for d in doc["decisions"]:
        out.append(f"decision: {d['action']} {d['key']} by {d['by']} at {d['at']}: {d['reason']}\n")
    return "".join(out)


# ------------------------------------------------------------------------------------ verify


def verify_cmd(ctx: Context) -> int:
    from bot.freezer import NotFrozen, verify_stored

    competition, store, _ = open_rules(ctx)
    try:
        report = verify_stored(competition.id, store=store)
    except NotFrozen as exc:
        ctx.err.write(f"error: {exc}\n")
        return 1
    for v in report.versions:
        verdict = "MATCH" if v.ok else "MISMATCH"
        ctx.out.write(f"version {v.version} ({v.cause}) digest {v.recorded_digest}: {verdict}\n")
        ctx.out.write("".join(f"  {p}\n" for p in v.problems))
    if report.ok:
        ctx.out.write(f"verified: {competition.id} follows from its stored inputs and rules\n")
        return 0
    ctx.out.write(f"MISMATCH: {competition.id}'s stored result does not verify\n")
    return 1


# ------------------------------------------------------------------------------------ explain


def explain_cmd(ctx: Context) -> int:
    from bot.core.explain import explain
    from bot.core.results import competition_of

    competition, store, rules = open_rules(ctx)
    key = entry_key(ctx, store, competition, ctx.args.tweet)  # a bad or unknown id: exit 2
    current = rules.current(competition.id)
    standings = standings_of(ctx, competition, store, current)
    rules_used = competition_of(current.result) if current else competition
    frozen_facts = (
        next((f for f in current.result.inputs if f.key == key), None) if current else None
    )
    answer = explain(
        rules_used,
        store.entries(competition.id),
        standings,
        key,
        frozen=current is not None,
        bot_username=(
            current.result.rules.get("bot_username") if current else ctx.config().bot.username
        ),
        facts=frozen_facts,
    )
    if current:
        ctx.out.write(f"(frozen standings, version {current.version}, digest {current.digest})\n")
    else:
        ctx.out.write(f"(live standings as of {iso_z(ctx.clock.now())}; not frozen yet)\n")
    ctx.out.write("".join(line + "\n" for line in answer.lines))
    return 0 if answer.found else 1
