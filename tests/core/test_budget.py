"""Monthly budget: projections, the refresh slow-down factor, and the organiser's warning."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.budget import (
    DEFAULT_FLOOR,
    DEFAULT_PRICES,
    Budget,
    Projection,
    Usage,
    budget_factor,
    month_bounds,
    projection,
    read_cost,
    warning,
)

# 10 days into a 31-day month, at midnight: today is not an hour old, so the month's rate rules.
MID_AUGUST = datetime(2026, 8, 11, 0, 0, tzinfo=UTC)


def test_default_prices_are_the_pay_per_use_ones() -> None:
    assert DEFAULT_PRICES.post_read == Decimal("0.005")
    assert DEFAULT_PRICES.user_read == Decimal("0.010")
    assert DEFAULT_PRICES.owned_read == Decimal("0.001")
    assert read_cost(post_reads=1000, user_reads=100, owned_reads=10) == Decimal("6.010")


def test_read_cost_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="user_reads=-1"):
        read_cost(user_reads=-1)


def test_month_bounds() -> None:
    assert month_bounds(datetime(2026, 12, 31, 23, tzinfo=UTC)) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_projection_extrapolates_the_month_linearly() -> None:
    usage = Usage(day_reads=0, month_reads=10_000, month_spend=Decimal("50"))
    p = projection(usage, MID_AUGUST)
    assert p.month_reads == 31_000
    assert p.month_spend == Decimal("155.000")
    assert p.used_spend == Decimal("50")


def test_a_busy_day_raises_the_projection() -> None:
    # 18:00 on the 11th: 6,000 reads today against 10,000 over the previous 10.75 days.
    now = datetime(2026, 8, 11, 18, 0, tzinfo=UTC)
    usage = Usage(
        day_reads=6_000, month_reads=16_000, month_spend=Decimal("80"), day_spend=Decimal("30")
    )
    p = projection(usage, now)
    remaining_hours = (20 * 24) + 6
    assert p.month_reads == 16_000 + round(6_000 / 18 * remaining_hours)
    assert p.month_spend == Decimal("80") + (Decimal("30") / 18 * remaining_hours).quantize(
        Decimal("0.001")
    )


def test_projection_stops_at_the_last_competition_end() -> None:
    usage = Usage(day_reads=0, month_reads=10_000, month_spend=Decimal("50"))
    p = projection(usage, MID_AUGUST, active_until=datetime(2026, 8, 12, tzinfo=UTC))
    assert p.month_reads == 11_000
    idle = projection(usage, MID_AUGUST, active_until=datetime(2026, 8, 1, tzinfo=UTC))
    assert idle.month_reads == 10_000


def test_within_budget_the_factor_is_one_and_there_is_no_warning() -> None:
    p = projection(Usage(0, 10_000, Decimal("50")), MID_AUGUST)
    budget = Budget(month_reads=50_000, month_spend=Decimal("200"))
    assert budget_factor(p, budget) == 1.0
    assert warning(p, budget) is None
    assert budget_factor(p, Budget()) == 1.0


def test_over_budget_the_factor_drops_in_proportion() -> None:
    p = projection(Usage(0, 10_000, Decimal("50")), MID_AUGUST)  # projected $155
    # $100 budget: $50 left against $105 projected for the rest of the month.
    f = budget_factor(p, Budget(month_spend=Decimal("100")))
    assert f == pytest.approx(50 / 105)
    message = warning(p, Budget(month_spend=Decimal("100")), factor=f)
    assert message is not None
    assert "$155.00" in message
    assert "$100.00" in message
    assert "48%" in message
    assert "freeze" in message


def test_the_reserve_for_the_freeze_is_held_back() -> None:
    p = projection(Usage(0, 10_000, Decimal("50")), MID_AUGUST)
    without = budget_factor(p, Budget(month_reads=40_000))
    held = budget_factor(p, Budget(month_reads=40_000), reserve_reads=5_000)
    assert without == 1.0
    assert held == 1.0  # 25,000 left after the reserve still covers the 21,000 ahead
    tight = budget_factor(p, Budget(month_reads=30_000), reserve_reads=5_000)
    assert tight == pytest.approx(15_000 / 21_000)


def test_the_factor_settles_where_the_projection_meets_the_budget() -> None:
    # At factor 0.5 the rest of the month needs exactly what is left: keep 0.5.
    p = Projection(
        used_reads=0,
        used_spend=Decimal("60"),
        month_reads=0,
        month_spend=Decimal("100"),
        month_end=datetime(2026, 9, 1, tzinfo=UTC),
    )
    assert budget_factor(p, Budget(month_spend=Decimal("100")), current=0.5) == 0.5
    # Usage fell: the factor climbs back, but never past 1.
    assert budget_factor(p, Budget(month_spend=Decimal("140")), current=0.5) == 1.0


def test_a_spent_budget_bottoms_out_at_the_floor_and_warns() -> None:
    p = projection(Usage(0, 10_000, Decimal("120")), MID_AUGUST)
    assert budget_factor(p, Budget(month_spend=Decimal("100"))) == DEFAULT_FLOOR
    message = warning(p, Budget(month_spend=Decimal("100")), factor=DEFAULT_FLOOR)
    assert message is not None
    assert "has reached" in message


def test_projected_reads_over_x_cap_warn_without_a_budget() -> None:
    p = projection(Usage(0, 1_500_000, Decimal("7500")), MID_AUGUST)
    message = warning(p, Budget())
    assert message is not None
    assert "3,000,000" in message


def test_bad_usage_is_refused() -> None:
    with pytest.raises(ValueError, match="day_reads=5 exceeds month_reads=2"):
        Usage(day_reads=5, month_reads=2, month_spend=Decimal(0))
    with pytest.raises(ValueError, match="month_spend=-1"):
        Usage(day_reads=0, month_reads=0, month_spend=Decimal(-1))


@given(
    used=st.integers(min_value=0, max_value=10**7),
    ahead=st.integers(min_value=0, max_value=10**7),
    budget=st.integers(min_value=0, max_value=10**7),
    current=st.floats(min_value=0.01, max_value=1.0),
)
def test_the_factor_is_always_in_range(used: int, ahead: int, budget: int, current: float) -> None:
    p = Projection(
        used_reads=used,
        used_spend=Decimal(0),
        month_reads=used + ahead,
        month_spend=Decimal(0),
        month_end=datetime(2026, 9, 1, tzinfo=UTC),
    )
    f = budget_factor(p, Budget(month_reads=budget), current=current)
    assert DEFAULT_FLOOR <= f <= 1.0
