"""Pay-per-use cost estimates (CONTRACT.md §7.3): the price table, what one post or thread would
cost, whether a plan fits the monthly budget, and a linear projection of the month's spend.

Money is `Decimal` (dollars) so sums are exact. Prices default to the documented 2026 figures and
are overridden from `[posting.prices]` in config. Pure: `now` and the month bounds are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal

from bot.core.textlength import find_urls


@dataclass(frozen=True)
class PriceTable:
    """Dollars per resource read or per write request. `summoned_reply` is a reply to an author who
    mentioned the bot; replies inside our own thread are ordinary creates."""

    post_read: Decimal = Decimal("0.005")
    user_read: Decimal = Decimal("0.010")
    owned_read: Decimal = Decimal("0.001")
    post_create: Decimal = Decimal("0.015")
    post_create_with_url: Decimal = Decimal("0.200")
    summoned_reply: Decimal = Decimal("0.010")
    delete: Decimal = Decimal("0.010")
    counts_recent: Decimal = Decimal("0.005")
    media_upload: Decimal = Decimal("0")  # not priced in the docs; assume free unless configured


PRICE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(PriceTable))
DEFAULT_PRICES = PriceTable()


def has_url(text: str) -> bool:
    return bool(find_urls(text))


def estimate_post_cost(
    text: str,
    *,
    is_reply: bool = False,
    has_media: bool = False,
    prices: PriceTable = DEFAULT_PRICES,
) -> Decimal:
    """The charge for creating one post. A URL (as X detects them, bare domains included) makes it
    the URL price whatever else applies, because X charges the dearest matching write."""
    if has_url(text):
        base = prices.post_create_with_url
    elif is_reply:
        base = prices.summoned_reply
    else:
        base = prices.post_create
    return base + (prices.media_upload if has_media else Decimal(0))


def estimate_thread_cost(
    parts: Sequence[str],
    *,
    is_reply: bool = False,
    has_media: bool = False,
    prices: PriceTable = DEFAULT_PRICES,
) -> Decimal:
    """A thread: the first part may be a summoned reply and carries the media; the rest are
    self-replies, charged as creates."""
    total = Decimal(0)
    for i, part in enumerate(parts):
        total += estimate_post_cost(
            part, is_reply=is_reply and i == 0, has_media=has_media and i == 0, prices=prices
        )
    return total


def within_budget(spent_this_month: Decimal, planned: Decimal, budget: Decimal | None) -> bool:
    """True when spending `planned` keeps the month at or under `budget` (None: no budget)."""
    if budget is None:
        return True
    return spent_this_month + planned <= budget


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The UTC calendar month containing `now`: [start, end)."""
    n = now.astimezone(UTC)
    start = datetime(n.year, n.month, 1, tzinfo=UTC)
    end = datetime(n.year + (n.month == 12), n.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def project_monthly(
    spent_so_far: Decimal, now: datetime, month_start: datetime, month_end: datetime
) -> Decimal:
    """The month's spend if it goes on at the pace so far (linear in elapsed time). Before any time
    has elapsed the projection is what is already spent."""
    total = (month_end - month_start).total_seconds()
    elapsed = (min(now, month_end) - month_start).total_seconds()
    if total <= 0 or elapsed <= 0:
        return spent_so_far
    projected = spent_so_far * Decimal(total) / Decimal(elapsed)
    return projected.quantize(Decimal("0.0001"))
