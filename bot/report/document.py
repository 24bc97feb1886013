"""The report's JSON documents (pure: from `ReportData` values), described in docs/REPORTS.md.

- `contestbot.report/1`: the organiser's report: standings per category with every ranked entry,
  exclusions with their reasons, jury picks, result versions, the campaign's outbox with cost and
  engagement, the API spend against the budget, and the post analysis (figures and tables, each
  with its `method`).
- `contestbot.public-results/1`: what the public page shows: winners, standings (usernames,
  scores, links; entrants' texts only with `[reports] public_texts = true`), the rules, and the
  result's digest with its committed canonical bytes (`committed`), which anyone can hash.
Fields are only ever added; a breaking change gets a new schema name.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from bot.core.campaign import Analysis, Figure, Table
from bot.core.composing import category_title
from bot.core.models import Ranked, Standings
from bot.core.resultjson import TEXT_COMMITTED, committed_document, rules_of
from bot.core.results import CANONICALISATION, CERTIFICATE_SCHEMA
from bot.core.timefmt import iso_z
from bot.report.gather import ReportData, spend
from bot.store.rules import StoredResult

REPORT_SCHEMA = "contestbot.report/1"
PUBLIC_SCHEMA = "contestbot.public-results/1"


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 6)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.4f}"


def competition_part(data: ReportData) -> dict[str, Any]:
    c = data.competition
    return {
        "id": c.id,
        "title": c.title,
        "hashtags": list(c.hashtags),
        "start": iso_z(c.start),
        "end": iso_z(c.end),
        "timezone": data.zone,
        "state": data.state,
    }


def _ranked(r: Ranked, winners: set[str], texts: dict[str, str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rank": r.rank,
        "username": r.username,
        "score": _num(r.score),
        "url": r.url,
        "tweet_id": r.post_id,
        "entry_key": r.key,
        "created_at": iso_z(r.created_at),
        "audience": r.audience,
        "winner": r.key in winners,
        "tie": r.tie,
        "jury_rank": r.jury_rank,
    }
    if texts is not None:
        out["text"] = texts.get(r.key)
    return out


def standings_part(
    standings: Standings, *, top: int | None, texts: dict[str, str] | None
) -> list[dict[str, Any]]:
    out = []
    for cs in standings.categories:
        winners = set(cs.winners)
        shown = cs.entries if top is None else cs.entries[:top]
        out.append(
            {
                "id": cs.category.id,
                "kind": cs.category.kind,
                "title": category_title(cs.category),
                "winners": cs.category.winners,
                "awaiting_jury": cs.awaiting_jury,
                "below_minimum": cs.below_minimum,
                "ranked": len(cs.entries),
                "entries": [_ranked(r, winners, texts) for r in shown],
            }
        )
    return out


def winners_part(standings: Standings) -> list[dict[str, Any]]:
    out = []
    for cs in standings.categories:
        by_key = {r.key: r for r in cs.entries}
        for key in cs.winners:
            r = by_key.get(key)
            if r is None:
                continue
            out.append(
                {
                    "category": cs.category.id,
                    "title": category_title(cs.category),
                    "rank": r.rank,
                    "username": r.username,
                    "score": _num(r.score),
                    "url": r.url,
                }
            )
    return out


def figure_part(f: Figure) -> dict[str, Any]:
    return {
        "key": f.key,
        "label": f.label,
        "value": f.value,
        "unit": f.unit,
        "method": f.method,
        "estimate": f.estimate,
    }


def table_part(t: Table) -> dict[str, Any]:
    return {
        "key": t.key,
        "title": t.title,
        "method": t.method,
        "columns": list(t.columns),
        "rows": [list(r) for r in t.rows],
    }


def analysis_part(a: Analysis) -> dict[str, Any]:
    return {
        "timezone": a.zone,
        "computed_at": iso_z(a.computed_at),
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "figures": [figure_part(f) for f in s.figures],
                "tables": [table_part(t) for t in s.tables],
            }
            for s in a.sections
        ],
    }


def result_versions(
    results: tuple[StoredResult, ...], committed: bytes | None = None
) -> list[dict[str, Any]]:
    """Every stored version with whether its stored text still hashes to its digest (the
    current version's from `committed`, its committed bytes already at hand)."""

    def intact(r: StoredResult) -> bool:
        if committed is not None and r is results[-1]:
            return hashlib.sha256(committed).hexdigest() == r.digest
        return r.content_digest == r.digest

    return [
        {
            "version": r.version,
            "cause": r.cause,
            "digest": r.digest,
            "previous_digest": r.previous_digest,
            "created_at": iso_z(r.created_at),
            "intact": intact(r),
        }
        for r in results
    ]


def _texts(data: ReportData) -> dict[str, str]:
    return {s.entry.key: s.entry.post.note_text or s.entry.post.text for s in data.series}


def report_document(data: ReportData) -> dict[str, Any]:
    own = {p.post_id: p for p in data.own_posts}
    budget = data.budget
    u = data.usage
    return {
        "schema": REPORT_SCHEMA,
        "variant": "organiser",
        "generated_at": iso_z(data.now),
        "competition": competition_part(data),
        "privacy": {"public_texts": data.settings.public_texts},
        "standings": {
            "computed_at": iso_z(data.standings.computed_at),
            "provisional": data.state != "frozen",
            "categories": standings_part(data.standings, top=None, texts=_texts(data)),
        },
        "exclusions": [
            {
                "entry_key": x.key,
                "tweet_id": x.post_id,
                "username": x.username,
                "category": x.category,
                "rule": x.rule,
                "reason": x.reason,
            }
            for x in data.standings.exclusions
        ],
        "jury_picks": [
            {
                "category": p.category_id,
                "entry_key": p.key,
                "rank": p.rank,
                "judge": p.judge,
                "picked_at": iso_z(p.picked_at),
                "reason": p.reason,
            }
            for p in data.picks
        ],
        "results": result_versions(data.results, data.committed),
        "outbox": [
            {
                "id": e.post.id,
                "key": e.post.key,
                "kind": e.post.kind,
                "lang": e.post.lang,
                "state": e.post.state,
                "due_at": iso_z(e.post.due_at),
                "sent_at": iso_z(e.sent_at),
                "cost_usd": _money(e.cost),
                "posted_ids": list(e.post.posted_ids),
                "text": "\n\n".join(e.post.parts),
                "engagement": _engagement(own, e.post.posted_ids),
            }
            for e in data.outbox
        ],
        "spend": {
            "day_requests": u.day_requests,
            "month_requests": u.month_requests,
            "month_post_reads": u.month_post_reads,
            "month_user_reads": u.month_user_reads,
            "day_spend_usd": _money(u.day_spend),
            "month_spend_usd": _money(u.month_spend),
            "posts_spend_usd": _money(spend(data.outbox)),
            "budget_month_reads": budget.monthly_reads,
            "budget_month_usd": _money(budget.monthly_usd),
            "month_reads_pct": _pct(u.month_post_reads + u.month_user_reads, budget.monthly_reads),
            "month_spend_pct": _pct(u.month_spend, budget.monthly_usd),
            "method": "API requests, billable reads and estimated spend the bot recorded for "
            "the UTC day and calendar month of generated_at (every instance, every "
            "competition), against [budget]; posts_spend_usd: this campaign's sent posts",
        },
        "analysis": analysis_part(data.analysis),
    }


def _engagement(own: dict[str, Any], ids: tuple[str, ...]) -> dict[str, int] | None:
    found = [own[i] for i in ids if i in own]
    if not found:
        return None
    total = {"likes": 0, "replies": 0, "reposts": 0, "quotes": 0}
    for p in found:
        m = p.latest
        total["likes"] += m.likes
        total["replies"] += m.replies
        total["reposts"] += m.reposts
        total["quotes"] += m.quotes
    return total


def _pct(used: Decimal | int, limit: Decimal | int | None) -> float | None:
    if not limit:
        return None
    return round(100.0 * float(used) / float(limit), 1)


def public_document(data: ReportData) -> dict[str, Any]:
    """The public page's data: nothing beyond what the winners post shows, unless the config's
    `public_texts` adds the entrants' texts."""
    texts = _texts(data) if data.settings.public_texts else None
    current, frozen, committed = data.current, data.result, data.committed
    standings = frozen.standings if frozen is not None else data.standings
    result: dict[str, Any] | None = None
    if current is not None and frozen is not None and committed is not None:
        schema = frozen.schema
        result = {
            "version": current.version,
            "schema": schema,
            "digest": current.digest,
            "previous_digest": current.previous_digest,
            "created_at": iso_z(current.created_at),
            "frozen_at": iso_z(frozen.frozen_at),
            "committed_sha256": hashlib.sha256(committed).hexdigest(),
            "texts_committed_by_hash": schema in TEXT_COMMITTED,
            "canonicalisation": CANONICALISATION,
        }
    rules = frozen.rules if frozen is not None else rules_of(data.competition, data.bot_username)
    return {
        "schema": PUBLIC_SCHEMA,
        "variant": "public",
        "generated_at": iso_z(data.now),
        "competition": competition_part(data),
        "privacy": {"public_texts": data.settings.public_texts},
        "final": frozen is not None,
        "winners": winners_part(standings) if frozen is not None else [],
        "standings": standings_part(standings, top=data.competition.leaderboard_top, texts=texts),
        "rules": rules,
        "result": result,
    }


def public_certificate(data: ReportData) -> dict[str, Any] | None:
    """The certificate the public page links to: the committed result (texts by their hash, or
    with texts when `public_texts`) and its digest; scripts/verify_certificate.py checks it."""
    current = data.current
    if current is None:
        return None
    document = json.loads(current.canonical)
    schema = document.get("schema")
    if schema in TEXT_COMMITTED and not data.settings.public_texts:
        document = committed_document(document)
    elif schema not in TEXT_COMMITTED and not data.settings.public_texts:
        return None  # versions 1 and 2 commit to the texts: no certificate without them
    return {
        "schema": CERTIFICATE_SCHEMA,
        "canonicalisation": CANONICALISATION,
        "digest_algorithm": "sha256",
        "digest": current.digest,
        "result": document,
    }
