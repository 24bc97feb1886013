"""Polling decisions: search windows, cursor moves, when to stop polling, batching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.models import Account, Competition, Page, Post
from bot.core.polling import (
    END_TIME_LAG,
    HORIZON_MARGIN,
    SEARCH_HORIZON,
    Cursor,
    SearchWindow,
    advance_cursor,
    batched,
    merge_pages,
    readable_floor,
    replies_window,
    search_window,
    should_collect_replies,
    should_poll,
    stale_fallback_window,
    uncollectable_warnings,
    uncollected_spans,
    window_from,
)
from bot.core.rescans import (
    Rescan,
    RescanKind,
    RescanPolicy,
    covered,
    daily_cost,
    final_rescan,
    freezes_from,
    is_collection_complete,
    is_wide_pending,
    plan_run,
    recent_rescan,
    rescan_stream,
    search_rescans,
    utc_day_start,
    wide_rescan,
)
from bot.core.snowflake import make_snowflake, snowflake_floor, snowflake_time
from bot.core.timefmt import iso_z
from bot.x.queries import conversation_queries, conversation_query

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
END = START + timedelta(days=3)
OVERLAP = timedelta(minutes=2)


def tweet_at(when: datetime, seq: int = 0) -> Post:
    tid = make_snowflake(when, seq)
    return Post(id=tid, text="t", author_id="1", created_at=when, edit_history_ids=(tid,))


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


def test_should_poll_from_the_start_until_the_collection_is_complete() -> None:
    assert not should_poll(START, START - timedelta(1), complete=False)
    assert should_poll(START, START, complete=False)
    assert should_poll(START, END + timedelta(hours=1), complete=False)  # the grace: go on
    assert not should_poll(START, END + timedelta(hours=7), complete=True)


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


# ------------------------------------------------------------------------------------------------
# Re-scans for late-indexed posts (bot.core.rescans) and the uncollected spans
# ------------------------------------------------------------------------------------------------

GRACE = timedelta(hours=6)
POLICY = RescanPolicy()  # lookback 7 h, every 15 min, the wide by 20:00 UTC


def regular_since(newest: datetime, now: datetime, *, start: datetime = START) -> SearchWindow:
    cursor = Cursor(since_id=make_snowflake(newest), newest_created_at=newest)
    window = search_window(start, END, cursor, now, overlap=OVERLAP)
    assert window is not None and window.since_id is not None
    return window


def test_a_since_id_window_reads_from_the_overlap_before_the_newest_post() -> None:
    newest = START + timedelta(hours=5)
    window = regular_since(newest, START + timedelta(hours=6))
    assert abs(window_from(window) - (newest - OVERLAP)) < timedelta(milliseconds=1)
    assert window_from(SearchWindow(None, START, None)) == START
    assert readable_floor(START, START + timedelta(days=9)) == (
        START + timedelta(days=9) - SEARCH_HORIZON + HORIZON_MARGIN
    )


def test_the_first_search_of_a_competition_is_every_re_scan_at_once() -> None:
    now = START + timedelta(hours=1)
    first = search_window(START, END, None, now, overlap=OVERLAP)
    assert first is not None
    rescans = search_rescans(START, END, now, {}, late_grace=GRACE, stalest_read=None)
    assert {r.kind for r in rescans if r.due} == {"recent", "wide"}
    run = plan_run(first, rescans)
    # Read by start_time from the start: one run, nothing widened, every re-scan stamped done.
    assert not run.widened and run.window == first and run.label == "search"
    assert {r.kind for r in run.covers} == {"recent", "wide"}


def test_the_recent_re_scan_is_due_every_15_minutes_and_reads_back_7_hours() -> None:
    now = START + timedelta(days=1, hours=2)
    last = now - timedelta(minutes=14)
    assert recent_rescan(START, END, now, last) == Rescan("recent", now - POLICY.lookback, False)
    due = recent_rescan(START, END, now, now - timedelta(minutes=15))
    assert due is not None and due.due and due.read_from == now - timedelta(hours=7)
    # Never before the start, never past the horizon, nothing long after the end.
    early = START + timedelta(hours=2)
    assert recent_rescan(START, END, early, None) == Rescan("recent", START, True)
    assert recent_rescan(START, END, END + timedelta(hours=7), None) is None
    assert recent_rescan(START, END, START - timedelta(1), None) is None


def test_one_run_per_cycle_widens_the_regular_search_to_the_recent_re_scan() -> None:
    now = START + timedelta(days=1, hours=2)
    regular = regular_since(now - timedelta(minutes=1), now)
    marks: dict[RescanKind, datetime | None] = {
        "recent": now - timedelta(minutes=20),
        "wide": now - timedelta(hours=2),
    }
    rescans = search_rescans(START, END, now, marks, late_grace=GRACE, stalest_read=None)
    run = plan_run(regular, rescans)
    assert run.widened and run.label == "recent"
    assert run.window == SearchWindow(None, now - timedelta(hours=7), None)
    assert [r.kind for r in run.covers] == ["recent"]  # the wide's floor is further back
    # Not due yet: the regular since_id run alone, covering no re-scan.
    marks["recent"] = now - timedelta(minutes=5)
    quiet = plan_run(
        regular, search_rescans(START, END, now, marks, late_grace=GRACE, stalest_read=None)
    )
    assert not quiet.widened and quiet.window == regular and quiet.covers == ()


def test_a_regular_run_from_further_back_already_covers_the_recent_re_scan() -> None:
    now = START + timedelta(days=1, hours=10)
    regular = regular_since(now - timedelta(hours=9), now)  # the bot was down 9 hours
    rescans = search_rescans(
        START, END, now, {"wide": now - timedelta(hours=1)}, late_grace=GRACE, stalest_read=None
    )
    run = plan_run(regular, rescans)
    assert not run.widened and run.window == regular  # the since_id run reads from earlier
    assert [r.kind for r in run.covers] == ["recent"]


def test_the_wide_re_scan_runs_once_a_utc_day_once_every_entry_was_read_that_day() -> None:
    day = datetime(2026, 9, 3, tzinfo=UTC)
    now = day + timedelta(hours=1)
    yesterday = day - timedelta(hours=3)
    # Not yet: an entry was last read yesterday, re-reading it now would be billed again.
    wide = wide_rescan(START, END, now, yesterday, stalest_read=day - timedelta(minutes=40))
    assert wide is not None and not wide.due and wide.read_from == START
    # Every entry read since midnight: re-reading is free, the wide re-scan is due.
    cheap = wide_rescan(START, END, now, yesterday, stalest_read=day + timedelta(minutes=5))
    assert cheap is not None and cheap.due
    # Whatever the reads, by 20:00 UTC it runs; and once a day only.
    late = day + POLICY.wide_by
    forced = wide_rescan(START, END, late, yesterday, stalest_read=yesterday)
    assert forced is not None and forced.due
    done = wide_rescan(START, END, late, day + timedelta(hours=2), stalest_read=None)
    assert done is not None and not done.due
    assert is_wide_pending(None, now) and is_wide_pending(yesterday, now)
    assert not is_wide_pending(day, now)
    assert utc_day_start(now) == day


def test_the_wide_re_scan_reads_the_whole_readable_window_and_covers_the_recent_one() -> None:
    now = START + timedelta(days=9, hours=21)
    regular = regular_since(now - timedelta(minutes=3), now, start=START)
    rescans = search_rescans(
        START,
        END + timedelta(days=20),
        now,
        {"recent": now - timedelta(minutes=5), "wide": now - timedelta(days=1)},
        late_grace=GRACE,
        stalest_read=now - timedelta(minutes=20),
    )
    run = plan_run(regular, rescans)
    floor = now - SEARCH_HORIZON + HORIZON_MARGIN
    assert run.widened and run.label == "wide" and run.window.start_time == floor
    assert {r.kind for r in run.covers} == {"recent", "wide"}


def test_the_final_re_scan_comes_after_the_grace_reads_up_to_the_end_and_completes() -> None:
    now = END + GRACE + timedelta(minutes=3)
    assert final_rescan(START, END, END + GRACE - timedelta(1), None, late_grace=GRACE) is None
    final = final_rescan(START, END, now, None, late_grace=GRACE)
    assert final == Rescan("final", START, True)
    regular = regular_since(END - timedelta(minutes=1), now)
    assert regular.end_time == END
    marks: dict[RescanKind, datetime | None] = {"recent": now - timedelta(minutes=3)}
    rescans = search_rescans(START, END, now, marks, late_grace=GRACE, stalest_read=None)
    run = plan_run(regular, rescans)
    assert run.label == "final" and run.window == SearchWindow(None, START, END)
    assert {r.kind for r in run.covers} == {"final", "wide", "recent"}
    # The freeze waits for it: complete only once a final run finished after the grace.
    assert not is_collection_complete(END, GRACE, END + GRACE - timedelta(1), [None])
    assert not is_collection_complete(END, GRACE, now, [None])
    assert not is_collection_complete(END, GRACE, now, [END + GRACE - timedelta(1)])
    assert is_collection_complete(END, GRACE, now, [now])
    assert not is_collection_complete(END, GRACE, now, [now, None])  # a second query stream
    # Done: it is no longer due.
    assert final_rescan(START, END, now, now, late_grace=GRACE) == Rescan("final", START, False)
    assert freezes_from(END, GRACE) == END + GRACE


def test_a_window_gone_past_the_horizon_is_complete_without_a_final_run() -> None:
    now = END + timedelta(days=8)
    assert final_rescan(START, END, now, None, late_grace=GRACE) is None
    assert is_collection_complete(END, GRACE, now, [None])


def test_a_stale_fallback_from_the_floor_covers_what_it_reads() -> None:
    now = START + timedelta(days=2)
    rescans = search_rescans(START, END, now, {}, late_grace=GRACE, stalest_read=None)
    floor = readable_floor(START, now)
    assert {r.kind for r in covered(floor, rescans)} == {"recent", "wide"}
    assert covered(now - timedelta(minutes=2), rescans) == ()


def test_a_mentions_stream_serves_each_competitions_final_re_scan_with_its_own_mark() -> None:
    now = END + GRACE + timedelta(minutes=1)
    early = final_rescan(START, END, now, None, late_grace=GRACE, owner="spring")
    later = final_rescan(START, END + timedelta(days=1), now, None, late_grace=GRACE, owner="x")
    assert early == Rescan("final", START, True, "spring") and later is None
    run = plan_run(SearchWindow(make_snowflake(now - timedelta(minutes=3)), None, None), [early])
    assert run.widened and run.covers == (early,)


def test_the_policy_refuses_periods_that_break_the_goal() -> None:
    with pytest.raises(ValueError, match="every"):
        RescanPolicy(every=timedelta(0))
    with pytest.raises(ValueError, match="lookback"):
        RescanPolicy(lookback=timedelta(days=8))
    with pytest.raises(ValueError, match="lookback"):
        RescanPolicy(lookback=timedelta(minutes=10), every=timedelta(minutes=15))
    with pytest.raises(ValueError, match="wide_by"):
        RescanPolicy(wide_by=timedelta(hours=24))
    assert rescan_stream("recent", "search:0") == "rescan:recent:search:0"
    assert len(rescan_stream("recent", "mentions:" + "9" * 19)) <= 64  # the stream column


def test_a_day_of_re_scans_costs_requests_but_no_extra_billed_reads() -> None:
    cost = daily_cost(2000, 5)
    # 400 posts a day: the last 7 h hold 117 (2 pages) each 15 minutes; the wide run reads all 2000.
    assert (cost.recent_runs, cost.wide_runs) == (96, 1)
    assert cost.requests == 96 * 2 + 20 and cost.extra_requests == cost.requests - 97
    assert cost.reads == 96 * 117 + 2000 and cost.distinct == 2000
    small = daily_cost(100, 5)
    assert small.requests == 96 + 1 and small.extra_requests == 0  # one page replaces one page
    with pytest.raises(ValueError):
        daily_cost(10, 0)


def test_uncollected_spans_lie_before_the_first_search_and_in_week_long_gaps() -> None:
    reach = SEARCH_HORIZON - HORIZON_MARGIN
    end = START + timedelta(days=30)
    assert uncollected_spans(START, end, []) == []
    assert (
        uncollected_spans(START, end, [START - timedelta(hours=1), START + timedelta(days=3)]) == []
    )
    first = START + timedelta(days=9)
    assert uncollected_spans(START, end, [first]) == [(START, first - reach)]
    # A week and a day offline after day 12: what was posted then left the horizon unread.
    down, back = START + timedelta(days=12), START + timedelta(days=20)
    assert uncollected_spans(START, end, [back, first, down]) == [
        (START, first - reach),
        (down, back - reach),
    ]
    # A competition whose whole window was past the horizon at the first search.
    late = end + timedelta(days=8)
    assert uncollected_spans(START, end, [late]) == [(START, end)]


def test_the_uncollectable_warning_names_the_span_why_and_the_fix() -> None:
    now = START + timedelta(days=10)
    old = Competition(
        id="old",
        title="Old",
        hashtags=("Old",),
        start=START,
        end=START + timedelta(days=20),
        categories=(),
    )
    inside = Competition(
        id="fresh",
        title="Fresh",
        hashtags=("Fresh",),
        start=now - timedelta(days=2),
        end=now + timedelta(days=2),
        categories=(),
    )
    [line] = uncollectable_warnings([old, inside], now, first_search={}, predicted=True)
    assert line == (
        'competition "old": posts from 2026-09-01T12:00:00Z to 2026-09-04T12:05:00Z cannot be '
        "collected if the bot first searches it now: X's recent search reaches back 7 days only - "
        "move start to 2026-09-04T12:05:00Z or later, or accept the gap (full-archive search "
        "needs Pro access)"
    )
    # Searched since its start: nothing to say. Frozen: skipped. Searched late: no "if".
    assert uncollectable_warnings([old], now, first_search={"old": START}) == []
    assert uncollectable_warnings([old], now, first_search={}, skip={"old"}) == []
    [known] = uncollectable_warnings([old], now, first_search={"old": START + timedelta(days=8)})
    assert "cannot be collected: X's" in known and "2026-09-02T12:05:00Z" in known
    gone = Competition("gone", "Gone", ("G",), START, START + timedelta(days=1), ())
    [whole] = uncollectable_warnings([gone], now, first_search={})
    assert "none of its posts" in whole and "move the window into the last 7 days" in whole


def test_merged_pages_are_their_posts_in_order_each_account_once_and_the_last_token() -> None:
    def post(n: int) -> Post:
        tid = make_snowflake(START + timedelta(minutes=n))
        return Post(
            id=tid, text=f"p{n}", author_id=str(n % 2), created_at=START, edit_history_ids=(tid,)
        )

    first = [post(5), post(4)]
    second = [post(3), post(2)]
    old, new = Account(id="1", username="a", name="Old"), Account(id="1", username="a", name="New")
    pages = [
        Page(tuple(first), (old,), first[0].id, first[1].id, 2, "t1"),
        Page(
            tuple(second),
            (new, Account(id="0", username="b", name="B")),
            second[0].id,
            second[1].id,
            2,
            "t2",
        ),
        Page((), (), None, None, 0, None),
    ]
    merged = merge_pages(pages)
    assert merged.posts == (*first, *second)
    assert merged.accounts == (new, Account(id="0", username="b", name="B"))
    assert (merged.newest_id, merged.oldest_id) == (first[0].id, second[1].id)
    assert (merged.result_count, merged.next_token) == (4, None)
    assert merge_pages(pages[:2]).next_token == "t2"
    with pytest.raises(ValueError):
        merge_pages([])
