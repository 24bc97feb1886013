"""Pay-per-use cost estimates, budget checks and the monthly projection."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.core.cost import (
    PriceTable,
    estimate_post_cost,
    estimate_thread_cost,
    month_bounds,
    project_monthly,
    within_budget,
)


def test_plain_post_url_post_reply_and_media() -> None:
    assert estimate_post_cost("Hello") == Decimal("0.015")
    assert estimate_post_cost("See https://example.org") == Decimal("0.200")
    assert estimate_post_cost("see example.com today") == Decimal("0.200")  # bare domains count
    assert estimate_post_cost("@alice you are #1", is_reply=True) == Decimal("0.010")
    assert estimate_post_cost("@alice https://x.com/a/status/1", is_reply=True) == Decimal("0.200")
    priced = PriceTable(media_upload=Decimal("0.05"))
    assert estimate_post_cost("chart", has_media=True, prices=priced) == Decimal("0.065")
    assert estimate_post_cost("chart", has_media=True) == Decimal("0.015")


def test_thread_cost_counts_each_part() -> None:
    parts = ["Winners 1/2 https://x.com/a/status/1", "Digest 2/2"]
    assert estimate_thread_cost(parts) == Decimal("0.215")
    assert estimate_thread_cost(["a", "b"], is_reply=True) == Decimal("0.025")


def test_prices_are_overridable() -> None:
    cheap = PriceTable(post_create=Decimal("0.001"), post_create_with_url=Decimal("0.002"))
    assert estimate_post_cost("x", prices=cheap) == Decimal("0.001")
    assert estimate_post_cost("https://a.org", prices=cheap) == Decimal("0.002")


def test_within_budget() -> None:
    assert within_budget(Decimal("9.8"), Decimal("0.2"), Decimal("10"))
    assert not within_budget(Decimal("9.81"), Decimal("0.2"), Decimal("10"))
    assert within_budget(Decimal("1000"), Decimal("1"), None)


def test_projection_is_linear_in_elapsed_time() -> None:
    start, end = month_bounds(datetime(2026, 11, 16, 0, 0, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert project_monthly(Decimal("5"), datetime(2026, 11, 16, tzinfo=UTC), start, end) == Decimal(
        "10.0000"
    )
    assert project_monthly(Decimal("3"), start, start, end) == Decimal("3")
    dec = month_bounds(datetime(2026, 12, 31, 23, tzinfo=UTC))
    assert dec == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
