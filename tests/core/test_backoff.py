"""Retry decisions after each kind of X API failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.backoff import (
    DEFAULT_CAP,
    MIN_WAIT,
    backoff_delay,
    next_attempt,
    next_day_start,
    next_month_start,
)
from bot.core.errors import (
    ApiError,
    AuthError,
    CreditsDepleted,
    ForbiddenForTarget,
    InvalidRequest,
    RateLimited,
    Unavailable,
    UsageCapped,
)

NOW = datetime(2026, 8, 14, 10, 30, 15, tzinfo=UTC)


def test_rate_limited_waits_one_second_past_the_reset() -> None:
    reset = NOW + timedelta(minutes=7)
    d = next_attempt(RateLimited("429", reset_at=reset), attempt=1, now=NOW, rand=0.5)
    assert d.wait_until == reset + timedelta(seconds=1)
    assert not d.persistent
    assert d.kind == "rate-limited"
    assert d.severity == "warning"
    assert "2026-08-14T10:37:16Z" in d.reason


def test_rate_limited_with_a_reset_in_the_past_still_waits() -> None:
    d = next_attempt(
        RateLimited("429", reset_at=NOW - timedelta(minutes=5)), attempt=1, now=NOW, rand=0.0
    )
    assert d.wait_until == NOW + MIN_WAIT


def test_rate_limited_with_an_absurd_reset_is_capped_at_a_day() -> None:
    d = next_attempt(
        RateLimited("429", reset_at=NOW + timedelta(days=40)), attempt=1, now=NOW, rand=0.0
    )
    assert d.wait_until == NOW + timedelta(hours=24)


def test_rate_limited_without_reset_backs_off() -> None:
    d = next_attempt(RateLimited("429", reset_at=None), attempt=3, now=NOW, rand=0.5)
    # base 2 s x 2^2 = 8 s ceiling, half of it with rand 0.5
    assert d.wait_until == NOW + timedelta(seconds=4)
    assert not d.persistent


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("Monthly", datetime(2026, 9, 1, tzinfo=UTC)),
        ("Daily", datetime(2026, 8, 15, tzinfo=UTC)),
        (None, datetime(2026, 8, 15, tzinfo=UTC)),
    ],
)
def test_usage_cap_waits_for_the_next_period(period: str | None, expected: datetime) -> None:
    d = next_attempt(UsageCapped("cap", period=period), attempt=1, now=NOW, rand=0.9)
    assert d.wait_until == expected
    assert d.persistent
    assert d.severity == "error"
    assert d.kind == "usage-capped"


def test_monthly_cap_in_december_waits_until_january() -> None:
    d = next_attempt(
        UsageCapped("cap", period="Monthly"),
        attempt=1,
        now=datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        rand=0.1,
    )
    assert d.wait_until == datetime(2027, 1, 1, tzinfo=UTC)


def test_credits_depleted_is_persistent_and_retries_slowly() -> None:
    d = next_attempt(CreditsDepleted("402", status=402), attempt=1, now=NOW, rand=0.0)
    assert d.persistent
    assert d.wait_until == NOW + timedelta(minutes=15)
    assert "top up" in d.reason
    assert d.kind == "credits-depleted"
    # The slow retry does not grow with the attempts: it catches up soon after a top-up.
    later = next_attempt(CreditsDepleted("402"), attempt=50, now=NOW, rand=0.99)
    assert later.wait_until == d.wait_until


def test_auth_error_is_persistent_and_retries_slowly() -> None:
    d = next_attempt(
        AuthError("401", status=401), attempt=4, now=NOW, rand=0.3, slow=timedelta(minutes=5)
    )
    assert d.persistent
    assert d.wait_until == NOW + timedelta(minutes=5)
    assert d.severity == "error"
    assert d.kind == "auth"


def test_unavailable_backs_off_exponentially_with_jitter() -> None:
    waits = [
        next_attempt(Unavailable("503"), attempt=a, now=NOW, rand=0.5).wait_seconds(NOW)
        for a in range(1, 8)
    ]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
    d = next_attempt(Unavailable("503"), attempt=1, now=NOW, rand=0.5)
    assert not d.persistent
    assert d.kind == "unavailable"


def test_unavailable_is_capped() -> None:
    d = next_attempt(Unavailable("timeout"), attempt=400, now=NOW, rand=0.999)
    assert d.wait_seconds(NOW) <= DEFAULT_CAP.total_seconds()
    assert d.wait_seconds(NOW) > DEFAULT_CAP.total_seconds() * 0.99


@pytest.mark.parametrize(
    "error",
    [
        InvalidRequest("400"),
        ForbiddenForTarget("403", reason="duplicate"),
        ApiError("odd"),
        RuntimeError("a bug"),
    ],
)
def test_other_failures_back_off_and_say_what_they_were(error: BaseException) -> None:
    d = next_attempt(error, attempt=2, now=NOW, rand=0.0)
    assert d.wait_until == NOW + MIN_WAIT
    assert d.severity == "error"
    assert type(error).__name__ in d.reason


def test_reason_never_repeats_the_error_message() -> None:
    # Messages can carry request details; the reason is built from our own words only.
    d = next_attempt(AuthError("token=abc123 rejected"), attempt=1, now=NOW, rand=0.0)
    assert "abc123" not in d.reason


@given(
    error=st.sampled_from(
        [
            RateLimited("429", reset_at=None),
            RateLimited("429", reset_at=NOW - timedelta(hours=1)),
            RateLimited("429", reset_at=NOW),
            UsageCapped("cap", period="Daily"),
            CreditsDepleted("402"),
            AuthError("401"),
            Unavailable("500"),
            ValueError("x"),
        ]
    ),
    attempt=st.integers(min_value=1, max_value=10_000),
    rand=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
)
def test_never_busy_loops(error: BaseException, attempt: int, rand: float) -> None:
    d = next_attempt(error, attempt=attempt, now=NOW, rand=rand)
    assert d.wait_until - NOW >= MIN_WAIT


@given(
    rand=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    attempts=st.integers(min_value=1, max_value=200),
    base_s=st.floats(min_value=0.1, max_value=60.0),
    cap_factor=st.floats(min_value=1.0, max_value=1000.0),
)
def test_backoff_is_monotone_in_attempts_and_capped(
    rand: float, attempts: int, base_s: float, cap_factor: float
) -> None:
    base = timedelta(seconds=base_s)
    cap = base * cap_factor
    delays = [backoff_delay(a, rand, base=base, cap=cap) for a in range(1, attempts + 1)]
    assert delays == sorted(delays)
    assert all(MIN_WAIT <= d <= max(cap, MIN_WAIT) for d in delays)


@pytest.mark.parametrize(
    ("attempt", "rand", "fragment"),
    [(0, 0.5, "attempt=0"), (1, 1.0, "rand=1.0"), (1, -0.1, "rand=-0.1")],
)
def test_bad_arguments_name_the_value(attempt: int, rand: float, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        next_attempt(Unavailable("x"), attempt=attempt, now=NOW, rand=rand)


def test_bad_base_cap_and_naive_now_are_refused() -> None:
    with pytest.raises(ValueError, match="cap="):
        backoff_delay(1, 0.5, base=timedelta(seconds=10), cap=timedelta(seconds=5))
    with pytest.raises(ValueError, match="base="):
        backoff_delay(1, 0.5, base=timedelta(0))
    with pytest.raises(ValueError, match="naive"):
        next_attempt(Unavailable("x"), attempt=1, now=datetime(2026, 1, 1), rand=0.5)


def test_period_starts() -> None:
    assert next_day_start(datetime(2026, 2, 28, 23, 0, tzinfo=UTC)) == datetime(
        2026, 3, 1, tzinfo=UTC
    )
    assert next_day_start(datetime(2026, 3, 1, tzinfo=UTC)) == datetime(2026, 3, 2, tzinfo=UTC)
    assert next_month_start(datetime(2026, 3, 1, tzinfo=UTC)) == datetime(2026, 4, 1, tzinfo=UTC)
