"""Fill the Jinja2 templates (`templates/`) from the JSON documents of `bot.report.document`.

The pages are rendered from the documents themselves, so what a page shows is what its JSON says.
Autoescaping is on for every template; charts are the only markup passed through (`charts.svg`,
drawn by matplotlib from numbers and escaped labels). Times print in the competition's zone.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.cli.output import local_iso
from bot.core.campaign import Analysis
from bot.core.resultjson import parse_time
from bot.report.charts import svg

HTML_ROWS = 100  # rows per standings, exclusions and outbox table in a page (the CSV has all)
STATE_TEXT = {
    "scheduled": "not started",
    "running": "running",
    "ended": "ended, provisional until the freeze",
    "frozen": "final (frozen)",
}


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.report", "templates"),
        autoescape=select_autoescape(["j2", "html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _local(text: str | None, zone: str) -> str | None:
    return None if text is None else local_iso(parse_time(text), zone).replace("T", " ")


def _common(doc: Mapping[str, Any]) -> dict[str, Any]:
    c = doc["competition"]
    zone = c["timezone"]
    start, end = _local(c["start"], zone), _local(c["end"], zone)
    return {
        "c": c,
        "zone": zone,
        "state_text": STATE_TEXT.get(c["state"], c["state"]),
        "hashtags": " ".join("#" + h.lstrip("#") for h in c["hashtags"]),
        "window": f"{start} to {end} ({zone})",
        "generated_at": doc["generated_at"],
        "generated_local": _local(doc["generated_at"], zone),
    }


def _categories(cats: list[dict[str, Any]], zone: str) -> list[dict[str, Any]]:
    return [
        {
            **cat,
            "entries": [
                {**r, "created_local": _local(r["created_at"], zone)} for r in cat["entries"]
            ],
        }
        for cat in cats
    ]


def organiser_html(doc: Mapping[str, Any], analysis: Analysis) -> str:
    common = _common(doc)
    zone = common["zone"]
    charts = {t.key: svg(t) for t in analysis.tables if t.chart is not None}
    return (
        environment()
        .get_template("organiser.html.j2")
        .render(
            **common,
            as_of=_local(doc["standings"]["computed_at"], zone),
            provisional=doc["standings"]["provisional"],
            categories=_categories(doc["standings"]["categories"], zone),
            prizes_pending=False,
            limit=HTML_ROWS,
            table_limit=HTML_ROWS,
            exclusions=doc["exclusions"],
            picks=[{**p, "picked_local": _local(p["picked_at"], zone)} for p in doc["jury_picks"]],
            results=[{**r, "created_local": _local(r["created_at"], zone)} for r in doc["results"]],
            outbox=[
                {
                    **o,
                    "due_local": _local(o["due_at"], zone),
                    "sent_local": _local(o["sent_at"], zone),
                }
                for o in doc["outbox"]
            ],
            spend=doc["spend"],
            analysis=analysis,
            charts={k: v for k, v in charts.items() if v},
        )
    )


def embed(committed: bytes) -> str:
    """The committed bytes as the page carries them: gzip (no timestamp, so the page is
    reproducible) then base64, which needs no escaping inside a script element."""
    return base64.b64encode(gzip.compress(committed, compresslevel=9, mtime=0)).decode("ascii")


def public_html(doc: Mapping[str, Any], *, committed: bytes | None, certificate: str | None) -> str:
    common = _common(doc)
    zone = common["zone"]
    result = doc["result"]
    if result is not None:
        result = {**result, "frozen_local": _local(result["frozen_at"], zone)}
    # Without texts, a result before version 3 cannot be embedded: its digest covers the texts.
    embeddable = committed is not None and (
        (result or {}).get("texts_committed_by_hash") or doc["privacy"]["public_texts"]
    )
    return (
        environment()
        .get_template("public.html.j2")
        .render(
            **common,
            final=doc["final"],
            winners=doc["winners"],
            categories=doc["standings"],
            public_texts=doc["privacy"]["public_texts"],
            rules=rule_lines(doc["rules"], zone),
            result=result,
            embedded=embed(committed) if embeddable and committed is not None else None,
            certificate=certificate,
        )
    )


def rule_lines(rules: Mapping[str, Any], zone: str) -> list[str]:
    """The declared rules in plain sentences, from the result's own rules document."""
    e = rules.get("eligibility") or {}
    lines = [
        f"Posts count from {_local(_text(rules.get('start')), zone)} to "
        f"{_local(_text(rules.get('end')), zone)} ({zone}) with "
        + " or ".join("#" + str(h).lstrip("#") for h in rules.get("hashtags") or ())
        + ".",
        "Retweets never count; replies "
        + ("count" if e.get("allow_replies") else "do not count")
        + "; quotes "
        + ("count" if e.get("allow_quotes", True) else "do not count")
        + ".",
    ]
    if e.get("min_account_age_days"):
        lines.append(f"Accounts must be at least {e['min_account_age_days']} days old.")
    if e.get("min_followers"):
        lines.append(f"Accounts need at least {e['min_followers']} followers.")
    if e.get("languages"):
        lines.append("Languages: " + ", ".join(e["languages"]) + ".")
    if e.get("one_entry_per_author", True):
        lines.append("Each author's best post counts once per category.")
    if e.get("one_prize_per_author"):
        lines.append("One prize per author, awarded in category order.")
    if rules.get("organisers"):
        lines.append("Organisers' posts do not compete.")
    for k in rules.get("categories") or ():
        title = k.get("title") or k.get("id")
        what = {
            "likes": "most likes",
            "replies": "most replies",
            "jury": "chosen by the jury",
            "weighted": "a weighted score",
        }.get(str(k.get("kind")), str(k.get("kind")))
        n = k.get("winners", 1)
        extra = f", minimum score {k['min_score']:g}" if k.get("min_score") else ""
        lines.append(f"{title}: {what}, {n} winner{'s' if n != 1 else ''}{extra}.")
    tie = rules.get("tie_rule")
    if tie:
        line = f"Equal scores are ordered by the declared tie rule: {tie}."
        if rules.get("tie_seed_commitment"):
            line += (
                f" The draw seed was committed before the start: {rules['tie_seed_commitment']}."
            )
        lines.append(line)
    return lines


def _text(value: object) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return None if value is None else str(value)
