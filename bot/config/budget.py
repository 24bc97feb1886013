"""The `[budget]` table -> `BudgetConfig`: the organiser's monthly limits on X API reads and money.

`monthly_reads` (billable reads, posts plus users) and `monthly_usd` (dollars) are both optional;
without them the daemon only accounts and never slows down. Prices come from `[posting.prices]`
(see `bot.config.posting`), defaulting to X's pay-per-use prices. Registered as a section parser,
so `contestbot config check` validates it like every other table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import bot.config.limits as limits
from bot.config.problems import MISSING, Problem
from bot.config.reader import ParseContext, TableReader, type_name
from bot.config.sections import register_section
from bot.core.models import Competition

BUDGET_KEYS = ("monthly_reads", "monthly_usd")


@dataclass(frozen=True)
class BudgetConfig:
    monthly_reads: int | None = None
    monthly_usd: Decimal | None = None


def parse_budget_section(
    raw: object, ctx: ParseContext, competitions: tuple[Competition, ...]
) -> BudgetConfig:
    if not isinstance(raw, dict):
        ctx.problems.append(
            Problem(
                ctx.source,
                "budget",
                f"is {type_name(raw)}, not a table",
                "write the limits under [budget]: monthly_reads = 100000, monthly_usd = 50",
            )
        )
        return BudgetConfig()
    r = TableReader(raw, ctx, allowed=BUDGET_KEYS, prefix="budget")
    r.finish()
    reads = (
        r.integer("monthly_reads", 0, minimum=1, maximum=limits.MAX_MONTHLY_READS)
        if r.has("monthly_reads")
        else None
    )
    return BudgetConfig(monthly_reads=reads or None, monthly_usd=_dollars(r))


def _dollars(r: TableReader) -> Decimal | None:
    value = r.raw("monthly_usd")
    if value is MISSING:
        return None
    fix = "write monthly_usd = 50 (dollars per UTC calendar month)"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        r.problem("monthly_usd", value, f"is {type_name(value)}, not an amount", fix)
        return None
    try:
        amount = Decimal(str(value).strip().lstrip("$"))
    except InvalidOperation:
        r.problem("monthly_usd", value, "is not an amount in dollars", fix)
        return None
    if not amount.is_finite() or amount <= 0:
        r.problem("monthly_usd", value, "must be a positive amount", fix)
        return None
    if amount > limits.MAX_USD:
        r.problem("monthly_usd", value, f"is above {limits.MAX_USD} dollars", fix)
        return None
    return amount


register_section("budget", parse_budget_section)
