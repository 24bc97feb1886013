"""The own-posts tracking decisions (`bot.core.analysis`): which competitions are in their
tracking window, when a run is due, under whose lease it runs, and what one run reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.analysis import (
    OWN_POSTS_LEAD,
    authored_posts,
    is_own_posts_run_due,
    next_own_posts_run,
    open_windows,
    plan_own_posts,
    should_track_here,
    tracking_window,
)
from bot.core.models import Competition, Metrics, Post, Reference

T0 = datetime(2026, 9, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def comp(cid: str, start: datetime, end: datetime, organisers: tuple[str, ...] = ()) -> Competition:
    return Competition(
        id=cid,
        title=cid,
        hashtags=("Tag",),
        start=start,
        end=end,
        categories=(),
        organisers=organisers,
    )


def tweet(tid: str, author: str, *, retweet: bool = False) -> Post:
    return Post(
        id=tid,
        author_id=author,
        text="RT @x: hello" if retweet else "hello",
        created_at=T0,
        edit_history_ids=(tid,),
        references=(Reference("reposted", "9"),) if retweet else (),
        metrics=Metrics(),
    )


def test_the_window_opens_a_week_before_the_start_and_closes_analysis_days_after_the_end() -> None:
    c = comp("spring", T0, T0 + 2 * DAY)
    w = tracking_window(c, analysis_days=3)
    assert (w.start, w.end) == (T0 - OWN_POSTS_LEAD, T0 + 5 * DAY)
    assert not w.is_open(w.start - timedelta(seconds=1))
    assert w.is_open(w.start) and w.is_open(w.end - timedelta(seconds=1))
    assert not w.is_open(w.end)  # half-open: the last instant is outside
    assert tracking_window(c, analysis_days=-4).end == c.end  # never before the end


def test_open_windows_are_those_holding_now_in_id_order() -> None:
    b = comp("b", T0, T0 + DAY)
    a = comp("a", T0 + 3 * DAY, T0 + 4 * DAY)
    late = comp("late", T0 + 30 * DAY, T0 + 31 * DAY)
    now = T0 + 2 * DAY
    assert [w.competition_id for w in open_windows([b, late, a], now, analysis_days=7)] == [
        "a",
        "b",
    ]
    assert open_windows([b], T0 + 9 * DAY, analysis_days=7) == ()


def test_a_run_is_due_once_per_interval_whoever_made_the_last() -> None:
    every = HOUR
    assert is_own_posts_run_due(None, T0, every)
    assert not is_own_posts_run_due(T0, T0 + 59 * timedelta(minutes=1), every)
    assert is_own_posts_run_due(T0, T0 + HOUR, every)
    assert not is_own_posts_run_due(None, T0, None)  # off
    assert next_own_posts_run(None, T0, every) == T0
    assert next_own_posts_run(T0, T0 + timedelta(minutes=10), every) == T0 + HOUR
    assert next_own_posts_run(T0, T0 + 3 * HOUR, every) == T0 + 3 * HOUR  # overdue: now


@given(
    last=st.none() | st.integers(0, 10_000),
    now=st.integers(0, 20_000),
    every=st.integers(1, 5_000),
)
def test_due_exactly_when_the_next_run_is_now(last: int | None, now: int, every: int) -> None:
    s = timedelta(seconds=1)
    last_at = None if last is None or last > now else T0 + last * s
    at = T0 + now * s
    due = is_own_posts_run_due(last_at, at, every * s)
    assert due == (next_own_posts_run(last_at, at, every * s) == at)


def test_the_run_goes_to_the_first_held_competition_in_its_window() -> None:
    cs = [comp("a", T0, T0 + DAY), comp("b", T0, T0 + DAY)]
    plan = plan_own_posts(cs, T0, analysis_days=7, track_organisers=True, bot_username="bot")
    assert should_track_here(plan, {"b": T0, "POSTING": T0}) == "b"
    assert should_track_here(plan, ["a", "b"]) == "a"
    assert should_track_here(plan, ["other"]) is None  # another instance does it
    assert should_track_here(None, ["a"]) is None


def test_the_plan_reads_each_organiser_once_from_their_earliest_open_window() -> None:
    early = comp("early", T0, T0 + DAY, organisers=("@Orga", "partner"))
    later = comp("later", T0 + 2 * DAY, T0 + 3 * DAY, organisers=("orga", "ContestBot", "x2"))
    gone = comp("gone", T0 - 60 * DAY, T0 - 59 * DAY, organisers=("old",))
    now = T0 + DAY + HOUR
    plan = plan_own_posts(
        [later, early, gone], now, analysis_days=7, track_organisers=True, bot_username="contestbot"
    )
    assert plan is not None
    assert plan.competition_ids == ("early", "later")
    assert plan.bot_since == T0 - OWN_POSTS_LEAD
    reads = {r.handle.lower(): r.since for r in plan.timelines}
    # "@Orga" and "orga" are one account; the bot's own handle comes from the outbox, not a
    # timeline; an organiser of a competition out of its window is not read
    assert reads == {
        "orga": T0 - OWN_POSTS_LEAD,
        "partner": T0 - OWN_POSTS_LEAD,
        "x2": T0 + 2 * DAY - OWN_POSTS_LEAD,
    }
    off = plan_own_posts(
        [early], now, analysis_days=7, track_organisers=False, bot_username="contestbot"
    )
    assert off is not None and off.timelines == ()  # the bot's posts are still read
    assert (
        plan_own_posts([gone], now, analysis_days=7, track_organisers=True, bot_username=None)
        is None
    )


def test_a_timeline_counts_the_organisers_own_posts_not_their_reposts() -> None:
    page = [tweet("1", "42"), tweet("2", "42", retweet=True), tweet("3", "7")]
    assert [t.id for t in authored_posts(page, "42")] == ["1"]
    assert authored_posts([replace(page[0], author_id="7")], "42") == ()
