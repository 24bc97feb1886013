"""The deadline freeze as the daemon runs it, against the real sandbox through tweepy on a real
database and a ManualClock: likes landing after the deadline never enter the frozen standings, a
post indexed late still enters, and a bot that was down at the deadline records the delay and why.

Each story calls `Daemon.run_once` (leases, poll, refresh and its freeze) at the moments a daemon
running non-stop would wake up: the end, ten seconds later, the end of the late-posts grace, later.
Posts indexed hours late, with the default 6-hour grace, are in `test_late_posts.py`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.core.results import canonical_json, describe_delay
from bot.daemon.loop import Daemon
from bot.freezer import live_standings, verify_stored
from bot.sandbox import Sandbox
from bot.store.rules import RulesStore
from tests.shell.daemonkit import Comp, close_stores, config_of, daemon_for

__all__ = ["close_stores"]  # the autouse fixture closes the stores each test opens


def contest(clock: ManualClock) -> tuple[Comp, datetime]:
    """A competition that started an hour ago and ends at a whole minute an hour from now, with a
    2-minute late-posts grace (the re-scan for late-indexed posts, then the freeze)."""
    end = (clock.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
    return Comp("spring", "Spring", clock.now() - timedelta(hours=1), end, grace="2m"), end


def daemon(sandbox: Sandbox, db_url: str, clock: ManualClock, comp: Comp, tmp: Path) -> Daemon:
    return daemon_for(sandbox, db_url, clock, config_of([comp], poll=300), tmp)


def test_likes_after_the_deadline_are_not_counted_by_a_daemon_running_non_stop(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    world = sandbox.world
    comp, end = contest(clock)
    for name in ("alice", "bob", "carol"):
        world.add_user(name, followers=50)
    alice = world.post("alice", "tulips #Spring", at=clock.now() - timedelta(minutes=30))
    bob = world.post("bob", "daffodils #Spring", at=clock.now() - timedelta(minutes=20))
    world.like(alice, 12)
    world.like(bob, 10)
    bot = daemon(sandbox, db_url, clock, comp, tmp_path)
    assert bot.run_once() == []
    rules = RulesStore(bot.store)

    # Carol posts 20 s before the end; search indexes her post only 90 s later.
    clock.set(end - timedelta(seconds=20))
    carol = world.post("carol", "crocus #Spring", index_delay=90)
    world.like(carol, 7)

    clock.set(end)  # the daemon's tick at the end: the final snapshot
    assert bot.run_once() == []
    final = rules.final_snapshot("spring")
    assert final is not None and (final.taken_at, final.delay_seconds) == (end, 0)
    assert final.reason == "on-time" and final.entries == 2  # carol is not searchable yet
    assert not rules.is_frozen("spring")

    clock.set(end + timedelta(seconds=10))  # 50 likes land on bob's entry, after the deadline
    world.like(bob, 50)
    world.like(carol, 100)
    assert bot.run_once() == []
    assert not rules.is_frozen("spring")  # waiting for the final re-scan

    clock.set(end + timedelta(minutes=2))  # the final re-scan finds carol; the standings freeze
    assert bot.run_once() == []
    latest = {e.key: e.post.metrics.likes for e in bot.store.entries("spring")}
    assert latest == {alice: 12, bob: 60, carol: 107}  # what the final re-scan read
    stored = rules.frozen("spring")
    assert stored is not None
    result = stored.result
    assert result.frozen_at == end and result.freeze_delay_seconds == 0
    assert result.freeze_delay_reason == "on-time"
    facts = {f.key: f for f in result.inputs}
    assert {k: f.metrics.likes for k, f in facts.items()} == {alice: 12, bob: 10, carol: 107}
    assert facts[alice].metrics_at == facts[bob].metrics_at == end
    # Carol's post was created before the end, so it enters, with its first snapshot (which
    # includes likes after the deadline) and marked as late-indexed.
    assert facts[carol].metrics_at == end + timedelta(minutes=2)
    assert [k for k, f in facts.items() if result.is_late_indexed(f)] == [carol]
    assert b'"late_indexed":true' in canonical_json(result)
    assert result.standings.categories[0].winners == (carol,)
    assert [r.key for r in result.standings.categories[0].entries] == [carol, alice, bob]

    clock.set(end + timedelta(minutes=5))
    world.like(bob, 500)
    assert bot.run_once() == []
    assert rules.history("spring")[-1].digest == stored.digest  # nothing re-issued
    assert live_standings(bot.store, bot.competitions["spring"], clock.now()) == result.standings
    assert verify_stored("spring", store=bot.store).ok


def test_a_bot_down_at_the_deadline_freezes_at_its_first_chance_and_says_why(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    world = sandbox.world
    comp, end = contest(clock)
    world.add_user("alice", followers=50)
    alice = world.post("alice", "tulips #Spring", at=clock.now() - timedelta(minutes=30))
    world.like(alice, 3)
    clock.set(end + timedelta(minutes=30))
    world.like(alice, 4)  # while the bot was down, after the deadline
    clock.set(end + timedelta(hours=3))
    bot = daemon(sandbox, db_url, clock, comp, tmp_path)
    assert bot.run_once() == []  # its first run: poll, final snapshot and freeze at once

    rules = RulesStore(bot.store)
    final = rules.final_snapshot("spring")
    assert final is not None and final.taken_at == end + timedelta(hours=3)
    assert (final.delay_seconds, final.reason) == (3 * 3600, "bot-not-running")
    stored = rules.frozen("spring")
    assert stored is not None
    result = stored.result
    assert result.frozen_at == final.taken_at and result.freeze_delay_seconds == 3 * 3600
    assert result.freeze_delay_reason == "bot-not-running"
    assert [f.metrics.likes for f in result.inputs] == [7]  # read late, and the result says so
    text = describe_delay(result.freeze_delay_seconds, result.freeze_delay_reason)
    assert text.startswith("3 h after the deadline: the bot was not running at the deadline")
    assert verify_stored("spring", store=bot.store).ok


def test_a_snapshot_taken_seconds_after_the_deadline_is_on_time(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    world = sandbox.world
    comp, end = contest(clock)
    world.add_user("alice", followers=50)
    world.post("alice", "tulips #Spring", at=clock.now() - timedelta(minutes=30))
    bot = daemon(sandbox, db_url, clock, comp, tmp_path)
    assert bot.run_once() == []
    clock.set(end + timedelta(seconds=4, microseconds=300_000))  # a busy machine
    assert bot.run_once() == []
    clock.set(end + timedelta(minutes=3))
    assert bot.run_once() == []
    stored = RulesStore(bot.store).frozen("spring")
    assert stored is not None
    result = stored.result
    assert (result.freeze_delay_seconds, result.freeze_delay_reason) == (4, "on-time")
    assert describe_delay(4, "on-time") == "on time (4 s after the deadline)"
