"""Adaptive refresh planning: leaders and the last hour often, the tail rarely, a full freeze."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.cadence import (
    BATCH_SIZE,
    CadencePolicy,
    Tracked,
    due_at,
    plan_refresh,
)

END = datetime(2026, 8, 20, 18, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_a_new_entry_is_due_at_once() -> None:
    now = END - timedelta(days=2)
    plan = plan_refresh([Tracked("1", None)], end=END, now=now)
    assert plan.due_ids == ("1",)
    assert plan.next_due == now + 30 * MIN
    assert not plan.freeze


def test_leaders_refresh_every_two_minutes_and_the_tail_every_thirty() -> None:
    now = END - timedelta(days=2)
    leader = Tracked("lead", now - 3 * MIN, best_rank=1)
    tail = Tracked("tail", now - 3 * MIN, best_rank=40)
    unranked = Tracked("none", now - 29 * MIN, best_rank=None)
    plan = plan_refresh([leader, tail, unranked], end=END, now=now)
    assert plan.due_ids == ("lead",)
    assert plan.next_due == now + MIN  # the unranked one, 30 min after its last read
    later = plan_refresh([leader, tail, unranked], end=END, now=now + MIN)
    assert later.due_ids == ("lead", "none")


def test_top_k_is_the_policy_s() -> None:
    now = END - timedelta(days=2)
    entries = [Tracked(str(r), now - 5 * MIN, best_rank=r) for r in range(1, 8)]
    plan = plan_refresh(entries, end=END, now=now, policy=CadencePolicy(lead_k=3))
    assert plan.due_ids == ("1", "2", "3")


def test_everything_refreshes_often_in_the_last_hour() -> None:
    now = END - timedelta(minutes=59)
    tail = Tracked("tail", now - 3 * MIN, best_rank=500)
    assert plan_refresh([tail], end=END, now=now).due_ids == ("tail",)
    # Just before the window opens the same entry is not due yet, and falls due when it opens.
    before = END - timedelta(minutes=70)
    tail_early = Tracked("tail", before - 3 * MIN, best_rank=500)
    plan = plan_refresh([tail_early], end=END, now=before)
    assert plan.due_ids == ()
    assert plan.next_due == END - timedelta(hours=1)


def test_the_freeze_refreshes_everything_not_read_since_the_end() -> None:
    now = END + timedelta(seconds=5)
    entries = [Tracked(str(i), END - timedelta(seconds=30), best_rank=i) for i in range(1, 251)]
    entries.append(Tracked("after", END + timedelta(seconds=1), best_rank=1))
    plan = plan_refresh(entries, end=END, now=now)
    assert plan.freeze
    assert [len(b) for b in plan.batches] == [100, 100, 50]
    assert "after" not in plan.due_ids
    assert plan.next_due is None
    done = [Tracked(e.entry_id, now, e.best_rank) for e in entries]
    finished = plan_refresh(done, end=END, now=now + MIN)
    assert finished.freeze_complete
    assert finished.next_due is None


def test_the_freeze_is_due_at_the_end_even_on_a_tight_budget() -> None:
    now = END - timedelta(minutes=1)
    tail = Tracked("tail", now - timedelta(seconds=30), best_rank=None)
    plan = plan_refresh([tail], end=END, now=now, factor=0.01)
    assert plan.due_ids == ()
    assert plan.next_due == END
    assert plan_refresh([tail], end=END, now=END, factor=0.01).due_ids == ("tail",)


def test_a_low_budget_factor_stretches_the_intervals() -> None:
    now = END - timedelta(days=3)
    leader = Tracked("lead", now, best_rank=1)
    tail = Tracked("tail", now, best_rank=None)
    assert due_at(leader, end=END, factor=0.5) == now + 4 * MIN
    assert due_at(tail, end=END, factor=0.5) == now + 60 * MIN
    assert due_at(leader, end=END, factor=1.0) == now + 2 * MIN


def test_batches_put_leaders_first_then_the_stalest() -> None:
    now = END - timedelta(days=1)
    entries = [Tracked(f"t{i:03}", now - timedelta(hours=1, minutes=i)) for i in range(150)]
    entries.append(Tracked("leader", now - 2 * MIN, best_rank=2))
    entries.append(Tracked("fresh", None))
    plan = plan_refresh(entries, end=END, now=now)
    ids = plan.due_ids
    assert ids[0] == "leader"
    assert ids[1] == "fresh"
    assert ids[2] == "t149"
    assert len(plan.batches) == 2
    assert all(len(b) <= BATCH_SIZE for b in plan.batches)


def test_nothing_tracked_means_nothing_due() -> None:
    plan = plan_refresh([], end=END, now=END - timedelta(days=1))
    assert plan.batches == ()
    assert plan.next_due is None


@pytest.mark.parametrize("factor", [0.0, -1.0, 1.5])
def test_a_bad_factor_is_refused(factor: float) -> None:
    with pytest.raises(ValueError, match=f"factor={factor}"):
        plan_refresh([], end=END, now=END, factor=factor)


def test_a_bad_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="tail_interval"):
        CadencePolicy(hot_interval=10 * MIN, tail_interval=MIN)
    with pytest.raises(ValueError, match="hot_interval"):
        CadencePolicy(hot_interval=timedelta(0))


entries_strategy = st.lists(
    st.builds(
        Tracked,
        entry_id=st.text(alphabet="0123456789", min_size=1, max_size=6),
        last_refreshed=st.one_of(
            st.none(),
            st.integers(min_value=-3 * 24 * 3600, max_value=600).map(
                lambda s: END + timedelta(seconds=s)
            ),
        ),
        best_rank=st.one_of(st.none(), st.integers(min_value=1, max_value=50)),
    ),
    max_size=300,
    unique_by=lambda t: t.entry_id,
)


@given(
    entries=entries_strategy,
    offset=st.integers(min_value=-2 * 24 * 3600, max_value=3600),
    factor=st.floats(min_value=0.01, max_value=1.0),
)
def test_plans_are_consistent(entries: list[Tracked], offset: int, factor: float) -> None:
    now = END + timedelta(seconds=offset)
    plan = plan_refresh(entries, end=END, now=now, factor=factor)
    ids = plan.due_ids
    assert len(ids) == len(set(ids))
    assert all(0 < len(b) <= BATCH_SIZE for b in plan.batches)
    due_set = set(ids)
    for e in entries:
        when = due_at(e, end=END, factor=factor)
        assert (e.entry_id in due_set) == (when is not None and when <= now)
    if plan.next_due is not None:
        assert plan.next_due > now
    if now >= END:
        # The freeze leaves nothing behind: every entry not read since the end is due.
        unread = {e.entry_id for e in entries if e.last_refreshed is None or e.last_refreshed < END}
        assert due_set == unread
