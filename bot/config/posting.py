"""The `[posting]` table -> `PostingConfig`, every mistake reported with the key, value and fix.

Owns the posting vocabulary: enabled and dry-run switches, the grace for late posts, approval
gates per post kind, leaderboard update times (ISO-8601 with an offset) or an interval, the top N,
the chart switch, the monthly budget and the price table (`[posting.prices]`), the mention-reply
period, the languages competition posts are written in, and template overrides under
`[posting.templates.<lang>]`, whose placeholders are checked against the fixed set per kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import bot.config.limits as limits
from bot.config.events import LANGS_FIX, languages_value, parse_event_section
from bot.config.problems import MISSING, Problem
from bot.config.reader import ParseContext, TableReader, type_name
from bot.config.sections import register_section
from bot.core.cost import PRICE_NAMES, PriceTable
from bot.core.events import SUPPORTED_LANGUAGES, TEMPLATE_KINDS, Event, PostingConfig, Templates
from bot.core.models import Competition
from bot.core.outbox import POST_KINDS
from bot.core.templates import template_problem

POSTING_KEYS = (
    "enabled",
    "dry_run",
    "grace",
    "approval",
    "leaderboard_updates",
    "leaderboard_top",
    "chart",
    "monthly_budget_usd",
    "prices",
    "mention_reply_period",
    "languages",
    "templates",
)


def parse_posting_section(
    raw: object, ctx: ParseContext, competitions: tuple[Competition, ...]
) -> PostingConfig:
    if not isinstance(raw, dict):
        ctx.problems.append(
            Problem(
                ctx.source,
                "posting",
                f"is {type_name(raw)}, not a table",
                "write the posting settings under [posting]",
            )
        )
        return PostingConfig()
    r = TableReader(raw, ctx, allowed=POSTING_KEYS, prefix="posting")
    r.finish()
    d = PostingConfig()
    times, interval = _leaderboard_updates(r)
    top = (
        r.integer("leaderboard_top", 0, minimum=1, maximum=limits.MAX_LEADERBOARD_TOP)
        if r.has("leaderboard_top")
        else None
    )
    return PostingConfig(
        enabled=r.boolean("enabled", d.enabled),
        dry_run=r.boolean("dry_run", d.dry_run),
        grace=r.duration("grace", d.grace, example='"30m"'),
        approval=_approval(r, d.approval),
        leaderboard_updates=times,
        leaderboard_interval=interval,
        leaderboard_top=top or None,
        chart=r.boolean("chart", d.chart),
        monthly_budget_usd=_money(r, "monthly_budget_usd", "25"),
        prices=_prices(r, ctx),
        mention_reply_period=r.duration(
            "mention_reply_period", d.mention_reply_period, example='"1h"'
        ),
        languages=languages_value(r, "languages", d.languages, check_supported=True),
        templates=_templates(r, ctx),
    )


def _approval(r: TableReader, default: frozenset[str]) -> frozenset[str]:
    values = r.string_list("approval", example='["winners"]')
    if values is None:
        return default
    ok = set()
    for v in values:
        if v in POST_KINDS:
            ok.add(v)
        else:
            r.problem(
                "approval", v, "is not a post kind", f"use kinds among {', '.join(POST_KINDS)}"
            )
    return frozenset(ok)


def _leaderboard_updates(r: TableReader) -> tuple[tuple[datetime, ...], timedelta | None]:
    value = r.raw("leaderboard_updates")
    if value is MISSING:
        return (), None
    if isinstance(value, str):
        every = r.duration("leaderboard_updates", timedelta(hours=6), example='"6h"')
        if every < limits.MIN_LEADERBOARD_INTERVAL:
            r.problem(
                "leaderboard_updates",
                value,
                "is shorter than 10 minutes (each update is a billed post)",
                'give an interval of 10m or more, such as "6h"',
            )
            return (), None
        return (), every
    if not isinstance(value, list):
        r.problem(
            "leaderboard_updates",
            value,
            f"is {type_name(value)}",
            'give times ["2026-11-01T12:00+01:00", ...] or an interval such as "6h"',
        )
        return (), None
    out: list[datetime] = []
    for v in value:
        when: datetime | None = v if isinstance(v, datetime) else None
        if isinstance(v, str):
            try:
                when = datetime.fromisoformat(v.strip())
            except ValueError:
                when = None
        if when is None or when.tzinfo is None:
            shown = v.isoformat() if isinstance(v, datetime) else v
            r.problem(
                "leaderboard_updates",
                shown,
                "is not an ISO-8601 time with an offset",
                'write e.g. "2026-11-01T12:00+01:00"',
            )
            continue
        if not limits.in_date_range(when.astimezone(UTC)):
            r.problem(
                "leaderboard_updates",
                v.isoformat() if isinstance(v, datetime) else v,
                f"is outside {limits.DATE_RANGE}",
                "give a time during the competition",
            )
            continue
        out.append(when.astimezone(UTC))
    return tuple(sorted(set(out))), None


def _money(r: TableReader, key: str, example: str) -> Decimal | None:
    value = r.raw(key)
    if value is MISSING:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        r.problem(key, value, f"is {type_name(value)}, not an amount", f"write {key} = {example}")
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        r.problem(key, value, "is not an amount in dollars", f"write {key} = {example}")
        return None
    if not amount.is_finite() or amount < 0:
        r.problem(key, value, "is not a non-negative amount", f"write {key} = {example}")
        return None
    if amount > limits.MAX_USD:
        r.problem(
            key, value, f"is above {limits.MAX_USD} dollars", f"write {key} = {example} (dollars)"
        )
        return None
    return amount


def _prices(r: TableReader, ctx: ParseContext) -> PriceTable:
    table = r.table_of("prices")
    if table is None:
        return PriceTable()
    pr = TableReader(table, ctx, allowed=PRICE_NAMES, prefix="posting.prices")
    pr.finish()
    given = {}
    for name in PRICE_NAMES:
        amount = _money(pr, name, "0.015")
        if amount is not None:
            given[name] = amount
    return PriceTable(**given)


def _templates(r: TableReader, ctx: ParseContext) -> Templates:
    table = r.table_of("templates")
    if table is None:
        return Templates()
    overrides: dict[tuple[str, str], str] = {}
    for lang, kinds in table.items():
        key = f"posting.templates.{lang}"
        if lang not in SUPPORTED_LANGUAGES:
            ctx.problems.append(
                Problem(ctx.source, key, "is not a language the bot can write in", LANGS_FIX)
            )
            continue
        if not isinstance(kinds, dict):
            ctx.problems.append(
                Problem(
                    ctx.source,
                    key,
                    f"is {type_name(kinds)}, not a table",
                    f'write [{key}] with e.g. reminder = "..."',
                )
            )
            continue
        tr = TableReader(kinds, ctx, allowed=TEMPLATE_KINDS, prefix=key)
        tr.finish()
        for kind in TEMPLATE_KINDS:
            text = tr.string(kind)
            if not tr.has(kind) or not text:
                continue
            problem = template_problem(kind, text)
            if problem:
                tr.problem(kind, text, "cannot be used", problem)
                continue
            overrides[(kind, lang)] = text
    return Templates(overrides)


register_section("posting", parse_posting_section)


@dataclass(frozen=True)
class EventsConfig:
    events: tuple[Event, ...] = ()
    posting: PostingConfig = field(default_factory=PostingConfig)


def parse_events(data: Mapping[str, Any], *, source: str) -> tuple[EventsConfig, list[Problem]]:
    """Both sections of a parsed TOML document, standalone (tests, tools)."""
    ctx = ParseContext(source=source, base_dir=Path(source).parent)
    events: tuple[Event, ...] = ()
    posting = PostingConfig()
    if "event" in data:
        events = parse_event_section(data["event"], ctx, ())
    if "posting" in data:
        posting = parse_posting_section(data["posting"], ctx, ())
    return EventsConfig(events, posting), list(ctx.problems)
