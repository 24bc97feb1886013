"""Partial answers (issue 12), as stories on the real sandbox through tweepy and a real database
(SQLite, or PostgreSQL with --db postgresql): X answers a look-up with 200 and withholds some posts
as partial errors, `resource-unavailable` ("partial" fault) or, for a moment, `resource-not-found`
("vanish"). A passing miss must not change the count:

- the final snapshot still reads every entry at the deadline (a post read later would score
  likes given after the end);
- a post missing once in a refresh is not marked deleted; one marked deleted during the
  competition is read again by the final snapshot and ranks if it is there;
- the pre-announcement re-check does not replace a winner on one missing answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import ManualClock
from bot.core.models import Category, Competition
from bot.core.results import verify
from bot.freezer import freeze_if_due, recheck_before_announcement, take_final_snapshot
from bot.polling.poller import CycleReport, Poller
from bot.store import Store
from bot.x.tweepy_client import TweepyXClient

AT_ONCE = timedelta(0)  # no final poll to wait for: both phases of the freeze in one call
LIKED = Category(id="most-liked", kind="likes")


def contest(clock: ManualClock) -> Competition:
    return Competition(
        id="spring",
        title="Spring contest",
        hashtags=("Spring",),
        start=clock.now(),
        end=clock.now() + timedelta(hours=6),
        categories=(LIKED,),
    )


def three_posts(sandbox: Any, clock: ManualClock) -> list[str]:
    world = sandbox.world
    ids = []
    for name, likes in (("alice", 5), ("bob", 3), ("carol", 1)):
        world.add_user(name, followers=50)
        ids.append(world.post(name, f"{name} on tulips #Spring", at=clock.advance(seconds=5)))
        world.like(ids[-1], likes)
    return ids


def likes_of(result: Any) -> dict[str, float]:
    cs = next(c for c in result.standings.categories if c.category.id == LIKED.id)
    return {r.username: r.score for r in cs.entries}


def test_a_partial_answer_at_the_deadline_leaves_no_entry_out_of_the_final_snapshot(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    comp = contest(clock)
    clock.advance(minutes=1)
    ids = three_posts(sandbox, clock)
    clock.advance(minutes=1)
    poller.run_cycle([comp])

    clock.set(comp.end + timedelta(seconds=30))
    fault = sandbox.faults.add("partial", "tweets", count=1)
    final = take_final_snapshot(comp, client=client, store=store, clock=clock)
    assert final is not None and fault.fired == 1
    # Likes after the deadline: an entry read later than the final snapshot would score them.
    clock.advance(minutes=5)
    for tweet_id in ids:
        sandbox.world.like(tweet_id, 10)
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None and verify(frozen.result).ok
    assert likes_of(frozen.result) == {"alice": 5.0, "bob": 3.0, "carol": 1.0}
    assert {f.metrics_at for f in frozen.result.inputs} == {final.taken_at}


def test_a_post_missing_once_in_a_refresh_is_not_marked_deleted(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store
) -> None:
    comp = contest(clock)
    clock.advance(minutes=1)
    three_posts(sandbox, clock)
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    clock.advance(minutes=10)
    fault = sandbox.faults.add("vanish", "tweets", count=1)
    report = CycleReport(started_at=clock.now())
    poller.refresh([comp.id], report)
    assert fault.fired == 1 and report.problems == 0
    assert report.refreshed == 3 and report.snapshots == 3
    assert {e.status for e in store.entries(comp.id)} == {"active"}


def test_an_entry_marked_deleted_during_the_competition_is_read_again_at_the_deadline(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    comp = contest(clock)
    clock.advance(minutes=1)
    three_posts(sandbox, clock)
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    clock.advance(minutes=10)
    # Missing on the first look-up and on both askings again: marked deleted, out of the refresh.
    sandbox.faults.add("vanish", "tweets", count=3)
    poller.refresh([comp.id], CycleReport(started_at=clock.now()))
    gone = {e.author.username for e in store.entries(comp.id) if e.status == "deleted"}
    assert gone  # at least one post was withheld all three times
    sandbox.faults.clear()

    clock.set(comp.end + timedelta(seconds=30))
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None and verify(frozen.result).ok
    assert likes_of(frozen.result) == {"alice": 5.0, "bob": 3.0, "carol": 1.0}
    assert {e.status for e in store.entries(comp.id)} == {"active"}


def test_the_re_check_keeps_a_winner_missing_for_a_moment_and_replaces_a_deleted_one(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    comp = contest(clock)
    clock.advance(minutes=1)
    alice, _, _ = three_posts(sandbox, clock)
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    clock.set(comp.end + timedelta(seconds=30))
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None

    for kind in ("vanish", "partial"):
        sandbox.faults.add(kind, "tweets", count=1)
        check = recheck_before_announcement(comp.id, client=client, store=store, clock=clock)
        assert check.replacements == () and dict(check.statuses) == {alice: "active"}

    sandbox.world.delete(alice)
    check = recheck_before_announcement(comp.id, client=client, store=store, clock=clock)
    assert [r.removed_key for r in check.replacements] == [alice]
    assert "deleted since the freeze" in check.replacements[0].reason
