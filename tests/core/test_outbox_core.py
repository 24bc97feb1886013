"""The outbox's pure rules: keys, transitions, decide() and failure handling, reconciliation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import ForbiddenForTarget, RateLimited, TooLong, Unavailable
from bot.core.events import Event
from bot.core.outbox import (
    TRANSITIONS,
    Failure,
    InvalidTransition,
    OutboxPost,
    competition_key,
    decide,
    failure_from_error,
    leaderboard_key,
    match_own_post,
    mention_reply_key,
    on_failure,
    outbox_key,
    plan_reminders,
    reminder_key,
    scheduled_key,
    transition,
)

NOW = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
GRACE = timedelta(minutes=30)


def post(**kw: object) -> OutboxPost:
    base = OutboxPost(
        key="event:w1:reminder:1h:en", kind="reminder", lang="en", parts=("Reminder",), due_at=NOW
    )
    return replace(base, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ keys


def test_keys_read_as_documented() -> None:
    assert reminder_key("igf-webinar-1", timedelta(hours=24), "fr") == (
        "event:igf-webinar-1:reminder:24h:fr"
    )
    assert reminder_key("w", timedelta(hours=1), ("en", "fr")) == "event:w:reminder:1h:en+fr"
    assert competition_key("igf2026", "winners", "final", "en") == (
        "competition:igf2026:winners:final:en"
    )
    slot = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert leaderboard_key("igf2026", slot, "es") == (
        "competition:igf2026:leaderboard:2026-11-01T1200Z:es"
    )
    assert mention_reply_key("1900", "ar") == "mention:1900:mention-reply:reply:ar"
    assert scheduled_key(slot, "Hello", "en") == scheduled_key(slot, "Hello", "en")
    assert scheduled_key(slot, "Hello", "en") != scheduled_key(slot, "Hello!", "en")


part = st.from_regex(r"[a-z0-9+-]{1,8}", fullmatch=True)


@given(st.lists(st.tuples(part, part, part, part, part), min_size=2, max_size=20, unique=True))
def test_keys_are_deterministic_and_distinct(parts: list[tuple[str, ...]]) -> None:
    keys = [outbox_key(f"{t}:{i}", k, p, lang) for t, i, k, p, lang in parts]
    assert keys == [outbox_key(f"{t}:{i}", k, p, lang) for t, i, k, p, lang in parts]
    assert len(set(keys)) == len(keys)


def test_keys_distinct_across_kinds_periods_langs() -> None:
    keys = {
        outbox_key("competition:c", kind, period, lang)
        for kind, period, lang in product(
            ["launch", "leaderboard", "winners"],
            ["start", "final", "2026-11-01T1200Z"],
            ["en", "fr", "en+fr"],
        )
    }
    assert len(keys) == 27


@pytest.mark.parametrize(
    "args",
    [
        ("event", "r", "p", "en"),
        ("event:a:b", "r", "p", "en"),
        ("event:a", "", "p", "en"),
        ("event:a", "r", "1:2", "en"),
        ("event:a", "r", "p", "e n"),
    ],
)
def test_ambiguous_key_parts_are_refused(args: tuple[str, str, str, str]) -> None:
    with pytest.raises(ValueError):
        outbox_key(*args)


def test_plan_reminders_per_language_and_combined() -> None:
    start = datetime(2026, 10, 27, 15, 0, tzinfo=UTC)
    ev = Event("w1", "W", start, post_languages=("en", "fr"))
    planned = plan_reminders(ev)
    assert [p.key for p in planned] == [
        "event:w1:reminder:24h:en",
        "event:w1:reminder:24h:fr",
        "event:w1:reminder:1h:en",
        "event:w1:reminder:1h:fr",
    ]
    assert planned[0].due_at == start - timedelta(hours=24)
    combined = plan_reminders(replace(ev, post_mode="combined"))
    assert [p.key for p in combined] == [
        "event:w1:reminder:24h:en+fr",
        "event:w1:reminder:1h:en+fr",
    ]


# ----------------------------------------------------------------------------------- transitions


def test_transitions() -> None:
    p = post()
    sending = transition(p, "sending")
    assert transition(sending, "sent", posted_ids=("1",)).state == "sent"
    for terminal in ("sent", "skipped", "cancelled"):
        assert TRANSITIONS[terminal] == frozenset()
    with pytest.raises(InvalidTransition, match="cannot go from sent to sending"):
        transition(post(state="sent"), "sending")
    assert transition(post(state="failed"), "pending").state == "pending"


# ---------------------------------------------------------------------------------------- decide


def test_not_due_waits_until_due() -> None:
    a = decide(post(due_at=NOW + timedelta(hours=1)), NOW, GRACE)
    assert (a.kind, a.at) == ("wait", NOW + timedelta(hours=1))


def test_due_sends_and_within_grace_sends_late() -> None:
    assert decide(post(), NOW, GRACE).kind == "send"
    assert decide(post(), NOW + GRACE, GRACE).kind == "send"


def test_beyond_grace_is_skipped_late() -> None:
    a = decide(post(), NOW + GRACE + timedelta(seconds=1), GRACE)
    assert a.kind == "skip-late"
    assert "2026-10-26T12:00:00+00:00" in a.reason


def test_reminder_for_a_started_session_is_skipped_even_within_grace() -> None:
    p = post(starts_at=NOW + timedelta(minutes=10))
    assert decide(p, NOW + timedelta(minutes=5), GRACE).kind == "send"
    assert decide(p, NOW + timedelta(minutes=10), GRACE).kind == "skip-started"


def test_approval_gate_and_grace_from_approval() -> None:
    p = post(kind="winners", needs_approval=True)
    assert decide(p, NOW + timedelta(days=2), GRACE).kind == "needs-approval"
    approved = replace(p, state="approved", approved_at=NOW + timedelta(days=2))
    assert decide(approved, NOW + timedelta(days=2, minutes=5), GRACE).kind == "send"
    assert decide(approved, NOW + timedelta(days=3), GRACE).kind == "skip-late"


def test_in_flight_post_is_reconciled_not_resent() -> None:
    a = decide(post(state="sending"), NOW, GRACE)
    assert a.kind == "reconcile"


def test_started_thread_is_always_finished() -> None:
    p = post(parts=("one", "two", "three"), posted_ids=("111",))
    a = decide(p, NOW + timedelta(days=5), GRACE)
    assert (a.kind, a.part, a.reply_to) == ("send", 1, "111")
    assert decide(replace(p, posted_ids=("1", "2", "3")), NOW, GRACE).kind == "done"


def test_too_long_is_caught_before_sending() -> None:
    a = decide(post(parts=("x" * 281,)), NOW, GRACE)
    assert a.kind == "fail" and "281" in a.reason


def test_retry_backoff_waits() -> None:
    a = decide(post(not_before=NOW + timedelta(minutes=2)), NOW, GRACE)
    assert (a.kind, a.at) == ("wait", NOW + timedelta(minutes=2))


def test_budget_holds_a_post_with_a_url() -> None:
    p = post(parts=("see https://example.org",))
    assert (
        decide(p, NOW, GRACE, spent_this_month=Decimal("9.90"), monthly_budget=Decimal("10")).kind
        == "hold"
    )
    assert (
        decide(
            post(), NOW, GRACE, spent_this_month=Decimal("9.90"), monthly_budget=Decimal("10")
        ).kind
        == "send"
    )


def test_terminal_is_done() -> None:
    for state in ("sent", "skipped", "failed", "cancelled"):
        assert decide(post(state=state), NOW, GRACE).kind == "done"


def test_mention_reply_replies_to_the_mention() -> None:
    a = decide(post(kind="mention-reply", reply_to="1900"), NOW, GRACE)
    assert (a.kind, a.reply_to) == ("send", "1900")


# -------------------------------------------------------------------------------------- failures


def test_duplicate_403_is_reconciled() -> None:
    d = on_failure(post(), Failure("duplicate"), NOW, 0.5)
    assert d.kind == "reconcile"


def test_reply_restriction_is_recorded_not_retried() -> None:
    assert on_failure(post(), Failure("reply-restricted"), NOW, 0.5).kind == "fail"


def test_rate_limit_waits_for_reset() -> None:
    reset = NOW + timedelta(minutes=7)
    d = on_failure(post(), Failure("rate-limited", reset_at=reset), NOW, 0.5)
    assert (d.kind, d.at) == ("retry", reset)


def test_unavailable_backs_off_exponentially_capped_then_gives_up() -> None:
    delays = []
    for attempts in range(9):
        d = on_failure(post(attempts=attempts), Failure("unavailable"), NOW, 0.999)
        assert d.kind == "retry" and d.at is not None
        delays.append(d.at - NOW)
    assert delays == sorted(delays)
    assert max(delays) <= timedelta(hours=1)
    assert on_failure(post(attempts=9), Failure("unavailable"), NOW, 0.5).kind == "fail"


def test_jitter_comes_from_the_given_random_value() -> None:
    low = on_failure(post(attempts=3), Failure("unavailable"), NOW, 0.1).at
    high = on_failure(post(attempts=3), Failure("unavailable"), NOW, 0.9).at
    assert low is not None and high is not None and low < high


def test_human_needed_failures_hold() -> None:
    for kind in ("usage-capped", "credits-depleted", "auth"):
        assert on_failure(post(), Failure(kind), NOW, 0.5).kind == "hold"


def test_failure_from_error() -> None:
    reset = NOW + timedelta(minutes=1)
    assert failure_from_error(ForbiddenForTarget("x", reason="duplicate")).kind == "duplicate"
    assert failure_from_error(ForbiddenForTarget("x", reason="reply-restricted")).kind == (
        "reply-restricted"
    )
    assert failure_from_error(RateLimited("x", reset_at=reset)).reset_at == reset
    assert failure_from_error(TooLong("x")).kind == "too-long"
    assert failure_from_error(Unavailable("x")).kind == "unavailable"
    assert failure_from_error(RuntimeError("boom")).kind == "other"


# -------------------------------------------------------------------------------- reconciliation


def test_own_post_is_recognised_despite_tco_and_entities() -> None:
    ours = "Results & more: https://example.org/results\nSee you!"
    timeline = [
        ("10", "Something else"),
        ("11", "Results &amp; more: https://t.co/AbCdEf1234\nSee you!"),
    ]
    assert match_own_post(ours, timeline) == "11"
    assert match_own_post("Not posted", timeline) is None
