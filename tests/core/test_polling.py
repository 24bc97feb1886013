"""Polling decisions: search windows, cursor moves, when to stop polling, batching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.models import Tweet
from bot.core.polling import (
    END_TIME_LAG,
    HORIZON_MARGIN,
    SEARCH_HORIZON,
    Cursor,
    advance_cursor,
    batched,
    conversation_queries,
    conversation_query,
    replies_window,
    search_window,
    should_collect_replies,
    should_poll,
    stale_fallback_window,
)
from bot.core.snowflake import make_snowflake, snowflake_floor, snowflake_time
from bot.core.timefmt import iso_z

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
END = START + timedelta(days=3)
OVERLAP = timedelta(minutes=2)


def tweet_at(when: datetime, seq: int = 0) -> Tweet:
    tid = make_snowflake(when, seq)
    return Tweet(id=tid, text="t", author_id="1", created_at=when, edit_history_ids=(tid,))


def test_nothing_to_search_before_the_start() -> None:
    assert search_window(START, END, None, START - timedelta(seconds=1), overlap=OVERLAP) is None


def test_first_search_starts_at_the_competition_start_without_end_time() -> None:
    w = search_window(START, END, None, START + timedelta(hours=1), overlap=OVERLAP)
    assert w is not None
    assert (w.since_id, w.start_time, w.end_time) == (None, START, None)


def test_first_search_of_an_old_competition_stays_inside_the_seven_day_horizon() -> None:
    now = START + timedelta(days=9)
    w = search_window(START, END + timedelta(days=30), None, now, overlap=OVERLAP)
    assert w is not None and w.start_time == now - SEARCH_HORIZON + HORIZON_MARGIN


def test_later_searches_resume_an_overlap_before_the_newest_tweet_seen() -> None:
    newest = START + timedelta(hours=5)
    cursor = Cursor(since_id=make_snowflake(newest), newest_created_at=newest)
    w = search_window(START, END, cursor, START + timedelta(hours=6), overlap=OVERLAP)
    assert w is not None and w.start_time is None
    assert w.since_id == snowflake_floor(newest - OVERLAP)
    # since_id is exclusive: a tweet minted exactly at the resume instant is still returned
    assert int(make_snowflake(newest - OVERLAP)) > int(w.since_id)


def test_a_resume_point_before_the_start_falls_back_to_start_time() -> None:
    newest = START + timedelta(seconds=30)
    cursor = Cursor(since_id=make_snowflake(newest), newest_created_at=newest)
    w = search_window(START, END, cursor, START + timedelta(minutes=5), overlap=OVERLAP)
    assert w is not None and (w.since_id, w.start_time) == (None, START)


def test_after_the_end_the_search_is_capped_at_the_end() -> None:
    w = search_window(START, END, None, END + timedelta(minutes=5), overlap=OVERLAP)
    assert w is not None and w.end_time == END


def test_just_after_the_end_end_time_lags_behind_now() -> None:
    now = END + timedelta(seconds=5)
    w = search_window(START, END, None, now, overlap=OVERLAP)
    assert w is not None and w.end_time == now - END_TIME_LAG


def test_a_window_entirely_beyond_the_horizon_is_not_searched() -> None:
    assert search_window(START, END, None, END + timedelta(days=8), overlap=OVERLAP) is None


def test_stale_fallback_reads_from_the_horizon_floor_and_keeps_end_time() -> None:
    now = START + timedelta(days=8)
    w = search_window(START, END + timedelta(days=30), Cursor("1", START), now, overlap=OVERLAP)
    assert w is not None
    stale = w.__class__(since_id="123", start_time=None, end_time=END)
    fallback = stale_fallback_window(stale, START, now)
    assert fallback.since_id is None
    assert fallback.start_time == now - SEARCH_HORIZON + HORIZON_MARGIN
    assert fallback.end_time == END


def test_should_poll_until_one_poll_finished_after_the_end_plus_settle() -> None:
    settle = OVERLAP
    assert not should_poll(START, END, START - timedelta(1), None, settle=settle)
    assert should_poll(START, END, START, None, settle=settle)
    assert should_poll(START, END, END + timedelta(hours=1), END, settle=settle)
    assert not should_poll(START, END, END + timedelta(hours=1), END + settle, settle=settle)


def test_advance_cursor_keeps_the_newest_and_never_moves_back() -> None:
    old = Cursor(
        since_id=make_snowflake(START + timedelta(hours=2)),
        newest_created_at=START + timedelta(hours=2),
    )
    moved = advance_cursor(old, [tweet_at(START + timedelta(hours=1))])
    assert (moved.since_id, moved.newest_created_at) == (old.since_id, old.newest_created_at)
    newer = tweet_at(START + timedelta(hours=3))
    moved = advance_cursor(old, [tweet_at(START), newer], pending_next_token="tok")
    assert moved.since_id == newer.id and moved.newest_created_at == newer.created_at
    assert moved.pending_next_token == "tok"


def test_advance_cursor_of_an_empty_run_without_a_cursor_is_empty() -> None:
    moved = advance_cursor(None, [])
    assert (moved.since_id, moved.newest_created_at) == (None, None)


@given(
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=500),
    st.integers(min_value=1, max_value=150),
)
def test_batched_covers_every_item_once_in_order(items: list[int], size: int) -> None:
    chunks = list(batched(items, size))
    assert [x for c in chunks for x in c] == items
    assert all(0 < len(c) <= size for c in chunks)


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=1, max_value=3 * 24 * 3600),
)
def test_the_resume_since_id_admits_every_tweet_from_the_resume_instant(
    newest: datetime, seconds_later: int
) -> None:
    cursor = Cursor(since_id=None, newest_created_at=newest)
    start = newest - timedelta(days=1)
    now = newest + timedelta(seconds=seconds_later)
    w = search_window(start, now + timedelta(days=1), cursor, now, overlap=OVERLAP)
    assert w is not None
    resume = newest - OVERLAP
    if w.since_id is not None:
        late = make_snowflake(resume.replace(microsecond=(resume.microsecond // 1000) * 1000))
        assert int(late) > int(w.since_id)
        assert snowflake_time(int(w.since_id) + 1) <= resume
    else:
        assert w.start_time is not None and w.start_time <= resume


def test_a_cursor_beyond_the_horizon_still_sends_its_since_id_for_the_api_to_judge() -> None:
    newest = START + timedelta(hours=1)
    cursor = Cursor(since_id=make_snowflake(newest), newest_created_at=newest)
    now = START + timedelta(days=9)
    w = search_window(START, END + timedelta(days=30), cursor, now, overlap=OVERLAP)
    assert w is not None and w.since_id == snowflake_floor(newest - OVERLAP)
    fallback = stale_fallback_window(w, START, now)
    assert fallback.start_time == now - SEARCH_HORIZON + HORIZON_MARGIN


def test_conversations_are_combined_up_to_the_query_limit() -> None:
    ids = [make_snowflake(datetime(2026, 9, 1, tzinfo=UTC), i) for i in range(30)]
    groups = conversation_queries([*ids, ids[0]])  # a duplicate is read once
    assert [c for g in groups for c in g] == ids
    assert all(len(conversation_query(g)) <= 512 for g in groups)
    assert len(groups) == 3  # 19-digit ids: 13 per query
    assert conversation_query(["12"]) == "conversation_id:12 is:reply"
    assert conversation_query(["1", "2"]) == "(conversation_id:1 OR conversation_id:2) is:reply"
    short = conversation_queries([str(i) for i in range(1, 60)])
    assert len(short) == 3 and len(short[0]) > 20  # shorter ids: more per query


@given(st.lists(st.integers(min_value=1, max_value=10**19), max_size=80))
def test_every_conversation_lands_in_exactly_one_query_within_the_limit(ids: list[int]) -> None:
    texts = [str(i) for i in ids]
    groups = conversation_queries(texts)
    assert [c for g in groups for c in g] == list(dict.fromkeys(texts))
    assert all(len(conversation_query(g)) <= 512 for g in groups)


def test_a_conversation_id_must_be_digits() -> None:
    with pytest.raises(ValueError, match="not a tweet id"):
        conversation_queries(["12", "x) OR (lang:en"])


def test_the_replies_window_resumes_from_the_cursor_and_stops_at_the_end() -> None:
    now = datetime(2026, 9, 3, 12, tzinfo=UTC)
    end = now + timedelta(hours=1)
    gap = timedelta(minutes=2)
    resumed = replies_window(
        end=end, covered_until=now - timedelta(minutes=15), first_created=None, now=now, overlap=gap
    )
    assert resumed is not None and resumed.start_time is None
    assert resumed.since_id == snowflake_floor(now - timedelta(minutes=17))
    assert resumed.end_time == now - timedelta(seconds=10)
    fresh = replies_window(
        end=end, covered_until=now, first_created=now - timedelta(days=1), now=now, overlap=gap
    )
    assert fresh is not None and fresh.start_time == now - timedelta(days=1)
    assert fresh.since_id is None
    # After the end, once read up to it: nothing more to read.
    later = end + timedelta(hours=1)
    done = replies_window(end=end, covered_until=end, first_created=None, now=later, overlap=gap)
    assert done is None
    # A cursor past the 7-day horizon: from the horizon, as a start_time.
    old = replies_window(
        end=end, covered_until=now - timedelta(days=9), first_created=None, now=now, overlap=gap
    )
    assert old is not None and old.since_id is None
    assert old.start_time == now - timedelta(days=7) + timedelta(minutes=5)


def test_replies_are_due_every_interval_stretched_by_the_budget_factor() -> None:
    now = datetime(2026, 9, 3, 12, tzinfo=UTC)
    every = timedelta(minutes=15)
    assert should_collect_replies(None, now, every=every)
    assert not should_collect_replies(now - timedelta(minutes=14), now, every=every)
    assert should_collect_replies(now - timedelta(minutes=15), now, every=every)
    assert not should_collect_replies(now - timedelta(minutes=20), now, every=every, factor=0.5)
    assert should_collect_replies(now - timedelta(minutes=30), now, every=every, factor=0.5)
    with pytest.raises(ValueError, match="factor"):
        should_collect_replies(None, now, every=every, factor=0)


def test_times_are_written_to_the_whole_second_with_z() -> None:
    when = datetime(2026, 9, 3, 12, 0, 5, 987654, tzinfo=UTC)
    assert iso_z(when) == "2026-09-03T12:00:05Z"
    assert iso_z(None) is None
    with pytest.raises(ValueError, match="naive"):
        iso_z(datetime(2026, 9, 3))
