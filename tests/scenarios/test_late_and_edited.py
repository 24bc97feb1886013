"""Collecting every entry, as the daemon runs it: against the real sandbox through tweepy, on a
real database, on a ManualClock that the daemon's own sleeps move.

Posts X indexes late (minutes to hours after they were created, so before the regular search
cursor) reach the live leaderboard within 30 minutes of becoming searchable, through the re-scans
for late-indexed posts; a post made a minute before the end and indexed 6 hours late still enters
the frozen result; one indexed after the late-posts grace does not, and nothing breaks. The live
refresh follows edit chains, so live and frozen standings score the same version."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.core.models import Standings
from bot.daemon.loop import Daemon
from bot.freezer import live_standings, verify_stored
from bot.sandbox import Sandbox
from bot.store.audit import StoreAudit
from bot.store.rules import RulesStore
from tests.shell.daemonkit import Comp, close_stores, config_of, daemon_for

__all__ = ["close_stores"]  # the autouse fixture closes the stores each test opens

POLL = 300  # the daemon polls every 5 minutes (the [bot] default)
GOAL = timedelta(minutes=30)


def watch(
    clock: ManualClock, daemon: Daemon, ids: list[str], *, until: datetime
) -> dict[str, datetime]:
    """Make the daemon's sleeps record when each of `ids` first shows on the live leaderboard (as
    the leaderboard command computes it), and stop the daemon at `until`."""
    seen: dict[str, datetime] = {}
    original = clock.sleep
    comp = next(iter(daemon.competitions.values()))

    def sleep(seconds: float) -> None:
        original(seconds)
        now = clock.now()
        if len(seen) < len(ids):
            standings = live_standings(daemon.store, comp, now)
            ranked = {r.post_id for cat in standings.categories for r in cat.entries}
            for tid in ids:
                if tid in ranked and tid not in seen:
                    seen[tid] = now
        if now >= until:
            daemon.stop()

    clock.sleep = sleep  # type: ignore[method-assign]
    return seen


def steady_posts(sandbox: Sandbox, hashtag: str, start: datetime, hours: float) -> list[str]:
    """An on-time post every 10 minutes (so the regular search cursor keeps moving on)."""
    world = sandbox.world
    world.add_user("regular", followers=10)
    ids = []
    for i in range(int(hours * 6)):
        tid = world.post("regular", f"tick {i} #{hashtag}", at=start + timedelta(minutes=10 * i))
        world.set_metrics(tid, likes=1)
        ids.append(tid)
    return ids


def test_posts_indexed_late_reach_the_live_leaderboard_within_30_minutes_of_being_searchable(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    world = sandbox.world
    t0 = clock.now()
    comp = Comp("spring", "Spring", t0 - timedelta(hours=1), t0 + timedelta(days=2))
    steady_posts(sandbox, "Spring", t0, hours=9)
    # Four posts created half an hour in, indexed 3 minutes, 20 minutes, 1 hour and 6 hours
    # later: by then the regular search has moved past their creation time.
    delays = {"3m": 180, "20m": 1200, "1h": 3600, "6h": 6 * 3600}
    created = t0 + timedelta(minutes=31)
    late: dict[str, str] = {}
    for label, delay in delays.items():
        world.add_user(f"late{label}", followers=10)
        tid = world.post(f"late{label}", f"late {label} #Spring", at=created, index_delay=delay)
        world.set_metrics(tid, likes=5)
        late[label] = tid
    daemon = daemon_for(
        sandbox, db_url, clock, config_of([comp], poll=POLL), tmp_path, sleep_slice=30
    )
    seen = watch(clock, daemon, list(late.values()), until=created + timedelta(hours=7))

    assert daemon.run_forever() == 0

    observed = {
        label: seen[tid] - (created + timedelta(seconds=delays[label]))
        for label, tid in late.items()
        if tid in seen
    }
    print("searchable -> on the live leaderboard:", {k: str(v) for k, v in observed.items()})
    assert set(observed) == set(delays)  # every one of them was found
    assert all(timedelta(0) <= v <= GOAL for v in observed.values()), observed
    # The 6-hour-late post was created before the cursor of every regular search since: only a
    # re-scan by start_time could find it.
    assert seen[late["6h"]] > created + timedelta(hours=6)
    assert not daemon.ops.recent_errors(10)


def test_a_post_indexed_6_hours_late_enters_the_frozen_result_and_a_later_one_does_not(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    world = sandbox.world
    end = (clock.now() + timedelta(minutes=30)).replace(second=0, microsecond=0)
    comp = Comp("spring", "Spring", clock.now() - timedelta(hours=2), end)  # the 6h default grace
    for name in ("alice", "bob", "carol", "dave"):
        world.add_user(name, followers=10)
    alice = world.post("alice", "tulips #Spring", at=clock.now() - timedelta(hours=1))
    world.like(alice, 8)
    # Bob posts a minute before the end; X indexes it 6 hours later. Carol two minutes before
    # the end, indexed 6 h 30 min later: after the late-posts grace.
    bob = world.post("bob", "crocus #Spring", at=end - timedelta(minutes=1), index_delay=6 * 3600)
    carol = world.post(
        "carol", "daisies #Spring", at=end - timedelta(minutes=2), index_delay=6.5 * 3600
    )
    world.set_metrics(bob, likes=20)
    world.set_metrics(carol, likes=50)
    daemon = daemon_for(
        sandbox, db_url, clock, config_of([comp], poll=POLL), tmp_path, sleep_slice=30
    )
    rules = RulesStore(daemon.store)
    watched = watch(clock, daemon, [bob], until=end + timedelta(hours=7))

    assert daemon.run_forever() == 0

    stored = rules.frozen("spring")
    assert stored is not None
    result = stored.result
    final = rules.final_snapshot("spring")
    assert final is not None and final.taken_at == result.frozen_at and final.reason == "on-time"
    facts = {f.key: f for f in result.inputs}
    assert set(facts) == {alice, bob}  # carol was not searchable before the freeze
    assert result.is_late_indexed(facts[bob]) and not result.is_late_indexed(facts[alice])
    assert facts[bob].metrics.likes == 20
    assert result.standings.categories[0].winners == (bob,)
    # Found during the grace, provisionally on the board at once, with its first reading then.
    searchable = end - timedelta(minutes=1) + timedelta(hours=6)
    assert watched[bob] - searchable <= GOAL
    [first] = daemon.store.snapshots(bob)
    assert facts[bob].metrics_at == first.taken_at and first.taken_at - searchable <= GOAL
    # The freeze came after the final re-scan, at the end of the grace; then polling stopped.
    [freeze] = [r for r in StoreAudit(daemon.store).job_runs("spring") if r.job == "freeze"]
    assert end + timedelta(hours=6) <= freeze.started_at <= end + timedelta(hours=6, minutes=10)
    searches = [r.time for r in sandbox.requests if r.endpoint == "search"]
    assert max(searches) < end + timedelta(hours=6, minutes=10)
    assert daemon.store.key_of_post(carol) is None
    assert not daemon.ops.recent_errors(10)
    assert verify_stored("spring", store=daemon.store).ok


def refresh_after(clock: ManualClock, daemon: Daemon, minutes: int) -> None:
    """Only the daemon's refresh job (no search): the entries due at the adaptive cadence."""
    clock.advance(minutes=minutes)
    daemon.refresh()


def scores(standings: Standings) -> dict[str, float]:
    return {r.key: r.score for r in standings.categories[0].entries}


def test_the_live_refresh_follows_edits_so_live_and_frozen_standings_agree(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    world = sandbox.world
    end = (clock.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
    comp = Comp("spring", "Spring", clock.now() - timedelta(hours=1), end, grace="2m")
    for name in ("alice", "bob"):
        world.add_user(name, followers=10)
    alice = world.post("alice", "tulips #Spring", at=clock.now() - timedelta(minutes=20))
    bob = world.post("bob", "daffodils #Spring", at=clock.now() - timedelta(minutes=10))
    world.like(alice, 5)
    world.like(bob, 8)
    daemon = daemon_for(sandbox, db_url, clock, config_of([comp], poll=POLL), tmp_path)
    assert daemon.run_once() == []
    c = daemon.competitions["spring"]
    assert scores(live_standings(daemon.store, c, clock.now())) == {bob: 8, alice: 5}

    # Alice edits her post; the new version gathers 12 likes. The refresh looks up the id it
    # knows (the old version, which X returns as it was) and goes on to the newest one.
    v2 = world.edit(alice, "tulips, edited #Spring")
    world.like(v2, 12)
    refresh_after(clock, daemon, 3)
    entry = next(e for e in daemon.store.entries("spring") if e.key == alice)
    assert entry.post.id == v2 and entry.post.metrics.likes == 12
    assert daemon.store.refresh_targets(["spring"])[0] == v2
    assert scores(live_standings(daemon.store, c, clock.now())) == {alice: 12, bob: 8}

    # Edited twice between two refreshes: the look-up of v2 names v4 as the newest.
    v3 = world.edit(v2, "tulips, edited again #Spring")
    v4 = world.edit(v3, "tulips, final words #Spring")
    world.like(v4, 30)
    refresh_after(clock, daemon, 3)
    entry = next(e for e in daemon.store.entries("spring") if e.key == alice)
    assert entry.post.id == v4 and entry.post.metrics.likes == 30
    assert [s.post_id for s in daemon.store.snapshots(alice)][-1] == v4
    live = scores(live_standings(daemon.store, c, clock.now()))
    assert live == {alice: 30, bob: 8}

    # The deadline, the grace, the freeze: the frozen standings score what the live ones did.
    clock.set(end)
    assert daemon.run_once() == []
    clock.set(end + timedelta(minutes=3))
    assert daemon.run_once() == []
    stored = RulesStore(daemon.store).frozen("spring")
    assert stored is not None
    assert scores(stored.result.standings) == live
    assert {f.key: f.post_id for f in stored.result.inputs}[alice] == v4


def test_every_look_up_of_the_poller_follows_the_chain(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    world = sandbox.world
    comp = Comp("spring", "Spring", clock.now() - timedelta(hours=1), clock.now() + timedelta(1))
    world.add_user("alice", followers=10)
    alice = world.post("alice", "tulips #Spring", at=clock.now() - timedelta(minutes=20))
    daemon = daemon_for(sandbox, db_url, clock, config_of([comp], poll=POLL), tmp_path)
    poller = daemon.poller
    c = daemon.competitions["spring"]
    report = poller.run_cycle([c])
    assert report.requests == 1  # a search: its page is the first reading
    v3 = world.edit(world.edit(alice, "edited #Spring"), "edited twice #Spring")
    world.like(v3, 7)
    clock.advance(minutes=5)
    before = report.requests
    poller.refresh(["spring"], report)
    assert report.requests - before == 2  # the old version, then its newest one
    assert daemon.store.refresh_targets(["spring"]) == [v3]
    [entry] = daemon.store.entries("spring")
    assert entry.post.metrics.likes == 7
