"""Lease rules for several instances on one database, and the fair split between them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.lease import (
    Lease,
    assign,
    is_held_by,
    may_acquire,
    quota,
    renewal,
    should_renew,
)

NOW = datetime(2026, 8, 14, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


def test_a_free_competition_may_be_acquired() -> None:
    assert may_acquire(None, "a", NOW)


def test_a_live_lease_of_another_instance_blocks() -> None:
    theirs = Lease("c1", "b", NOW + timedelta(seconds=1))
    assert not may_acquire(theirs, "a", NOW)
    assert not is_held_by(theirs, "a", NOW)


def test_an_expired_lease_may_be_taken_over() -> None:
    theirs = Lease("c1", "b", NOW)
    assert may_acquire(theirs, "a", NOW)  # expiry is exclusive
    assert not is_held_by(theirs, "b", NOW)


def test_the_holder_may_renew_even_after_expiry() -> None:
    mine = Lease("c1", "a", NOW - timedelta(seconds=5))
    assert may_acquire(mine, "a", NOW)
    assert not is_held_by(mine, "a", NOW)  # but must re-acquire before acting


def test_renewal_and_when_to_renew() -> None:
    assert renewal(NOW, TTL) == NOW + TTL
    fresh = Lease("c1", "a", renewal(NOW, TTL))
    assert not should_renew(fresh, NOW + timedelta(seconds=29), TTL)
    assert should_renew(fresh, NOW + timedelta(seconds=30), TTL)
    with pytest.raises(ValueError, match="ttl="):
        renewal(NOW, timedelta(0))


def test_quota() -> None:
    assert quota(5, 2) == 3
    assert quota(4, 2) == 2
    assert quota(0, 3) == 0
    with pytest.raises(ValueError, match="instances=0"):
        quota(3, 0)


def test_a_single_instance_takes_everything() -> None:
    assert assign(["c2", "c1", "c3"], [], "a") == ("c1", "c2", "c3")


def test_two_instances_split_without_overlap() -> None:
    comps = [f"c{i}" for i in range(7)]
    a = assign(comps, ["a", "b"], "a")
    b = assign(comps, ["a", "b"], "b")
    assert set(a).isdisjoint(b)
    assert set(a) | set(b) == set(comps)
    assert sorted([len(a), len(b)]) == [3, 4]


def test_an_instance_leaving_moves_only_its_own_competitions_mostly() -> None:
    comps = [f"comp-{i}" for i in range(30)]
    before = {i: set(assign(comps, ["a", "b", "c"], i)) for i in "abc"}
    after = {i: set(assign(comps, ["a", "b"], i)) for i in "ab"}
    kept = len(before["a"] & after["a"]) + len(before["b"] & after["b"])
    assert kept >= 12  # most of a's and b's 20 stay put; c's 10 are spread over a and b
    assert after["a"] | after["b"] == set(comps)


@given(
    comps=st.lists(st.text(min_size=1, max_size=8), max_size=40, unique=True),
    instances=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=6, unique=True),
)
def test_assign_is_a_fair_partition(comps: list[str], instances: list[str]) -> None:
    shares = [assign(comps, instances, me) for me in instances]
    flat = [c for share in shares for c in share]
    assert sorted(flat) == sorted(comps)
    limit = quota(len(comps), len(instances))
    assert all(len(share) <= limit for share in shares)
    # Same inputs in another order: same answer on every instance.
    assert shares == [assign(reversed(comps), reversed(instances), me) for me in instances]
