"""The lease compare-and-set of the real store (`bot.store.ops.OpsStore`), raced on both backends.

docs/OPERATIONS.md asks one INSERT ... ON CONFLICT DO UPDATE ... WHERE statement to acquire, renew
or take over a lease atomically. These tests drive `OpsStore.acquire`/`release` on a migrated
database: the single-instance rules agree with `bot.core.lease.may_acquire`, and a race harness
(many contenders, each with its own engine, so its own connections) uses the lease as a mutex and
counts holders inside the critical section at every instant. The same harness run against a
deliberately broken check-then-act variant must see two holders at once: proof that it bites.
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.lease import Lease, may_acquire
from bot.store import Store
from bot.store.ops import OpsStore
from bot.store.schema_ops import LeaseRow

NOW = datetime(2026, 8, 14, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)
HOLD = timedelta(hours=1)  # while held, the lease never expires by time: only release frees it


class CheckThenActOpsStore(OpsStore):
    """Broken on purpose: reads the lease, decides in Python, then writes in a second
    transaction. Two contenders can both read "expired" and both believe they won."""

    def acquire(self, competition_id: str, me: str, *, now: datetime, ttl: timedelta) -> bool:
        if not may_acquire(self.lease(competition_id), me, now):
            return False
        with self.store.transaction() as s:
            s.merge(LeaseRow(competition_id=competition_id, holder=me, expires_at=now + ttl))
        return True


def migrated(url: str) -> Store:
    store = Store(url)
    store.upgrade()
    return store


def test_acquire_renew_block_and_take_over(each_db_url: str) -> None:
    store = migrated(each_db_url)
    ops = OpsStore(store)
    try:
        assert ops.acquire("c1", "a", now=NOW, ttl=TTL)
        assert ops.acquire("c1", "a", now=NOW + timedelta(seconds=30), ttl=TTL)  # renewal
        assert ops.lease("c1") == Lease("c1", "a", NOW + timedelta(seconds=90))
        assert not ops.acquire("c1", "b", now=NOW + timedelta(seconds=89), ttl=TTL)
        assert ops.lease("c1") == Lease("c1", "a", NOW + timedelta(seconds=90))
        assert ops.acquire("c1", "b", now=NOW + timedelta(seconds=90), ttl=TTL)  # expired
        assert ops.lease("c1") == Lease("c1", "b", NOW + timedelta(seconds=150))
        # A graceful release lets another instance in at once.
        assert ops.release("c1", "b", now=NOW + timedelta(seconds=100))
        assert not ops.release("c1", "a", now=NOW + timedelta(seconds=100))
        assert ops.acquire("c1", "a", now=NOW + timedelta(seconds=100), ttl=TTL)
    finally:
        store.close()


def test_acquire_agrees_with_may_acquire(each_db_url: str) -> None:
    store = migrated(each_db_url)
    ops = OpsStore(store)
    try:
        offsets = [-61, -60, -1, 0, 1, 59, 60]
        for i, holder in enumerate(["a", "b"]):
            for j, offset in enumerate(offsets):
                comp = f"c{i}-{j}"
                assert ops.acquire(comp, holder, now=NOW, ttl=TTL)
                before = ops.lease(comp)
                at = NOW + timedelta(seconds=60 + offset)
                expected = may_acquire(before, "a", at)
                assert ops.acquire(comp, "a", now=at, ttl=TTL) is expected
                after = ops.lease(comp)
                assert after is not None
                assert (after.holder == "a" and after.expires_at == at + TTL) is expected
    finally:
        store.close()


@dataclass
class Race:
    """What the contenders saw: holders inside the critical section, at most, and in total."""

    inside: int = 0
    most_inside: int = 0
    entries: int = 0
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


def race(url: str, ops_class: type[OpsStore], *, contenders: int, rounds: int) -> Race:
    """Each contender spins on acquire; a winner enters the critical section (counted), renews
    its lease there (a real round trip, which keeps it inside a while), leaves, then releases.
    Every contender uses the same `now`, so a released lease is an expired one: the takeover
    branch of the statement is what is raced. Ends after `rounds` entries per contender, or as
    soon as two holders were seen at once."""
    seed = migrated(url)
    OpsStore(seed).acquire("c1", "old", now=NOW - HOLD, ttl=TTL)  # an expired lease all want
    seed.close()
    seen = Race()
    barrier = threading.Barrier(contenders)

    def contend(me: str) -> None:
        store = Store(url)  # one engine each, as separate instances have
        ops = ops_class(store)
        try:
            barrier.wait(timeout=60)
            done = 0
            while done < rounds and not seen.stop.is_set():
                if not ops.acquire("c1", me, now=NOW, ttl=HOLD):
                    continue
                with seen.lock:
                    seen.inside += 1
                    seen.entries += 1
                    seen.most_inside = max(seen.most_inside, seen.inside)
                    if seen.inside > 1:
                        seen.stop.set()
                held = ops.acquire("c1", me, now=NOW, ttl=HOLD)  # renewing while inside
                with seen.lock:
                    seen.inside -= 1
                ops.release("c1", me, now=NOW)
                done += 1
                if not held:  # someone took a lease this contender held: a double holder
                    with seen.lock:
                        seen.most_inside = max(seen.most_inside, 2)
                    seen.stop.set()
        except BaseException as exc:  # reported by the test; a thread can't fail it itself
            seen.errors.append(exc)
            seen.stop.set()
        finally:
            store.close()

    threads = [
        threading.Thread(target=contend, args=(f"i{n}",), daemon=True) for n in range(contenders)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a contender hung"
    return seen


def test_the_real_statement_never_has_two_holders(each_db_url: str) -> None:
    seen = race(each_db_url, OpsStore, contenders=8, rounds=15)
    assert seen.errors == []
    assert seen.entries == 8 * 15  # every contender got in, again and again
    assert seen.most_inside == 1


def test_the_harness_catches_a_check_then_act_lease(each_db_url: str) -> None:
    # The proof that the race above bites: the same harness over a non-atomic acquire sees two
    # holders at once. (SQLite may also refuse a racing write as "database is locked"; that is
    # an error, not a holder, so only double holders are asserted here.)
    seen = race(each_db_url, CheckThenActOpsStore, contenders=8, rounds=200)
    assert seen.most_inside >= 2, f"no double holder in {seen.entries} entries"


def _contend_in_process(url: str, broken: bool, me: str, shared: Any, rounds: int) -> None:
    """One contender process: the loop of `race`, counting holders in shared memory."""
    inside, most, entries, lock, stop, start = shared
    store = Store(url)
    ops = (CheckThenActOpsStore if broken else OpsStore)(store)
    try:
        start.wait(timeout=60)
        done = 0
        while done < rounds and not stop.is_set():
            if not ops.acquire("c1", me, now=NOW, ttl=HOLD):
                continue
            with lock:
                inside.value += 1
                entries.value += 1
                most.value = max(most.value, inside.value)
                if inside.value > 1:
                    stop.set()
            held = ops.acquire("c1", me, now=NOW, ttl=HOLD)
            with lock:
                inside.value -= 1
                if not held:
                    most.value = max(most.value, 2)
                    stop.set()
            ops.release("c1", me, now=NOW)
            done += 1
    finally:
        store.close()


@pytest.mark.parametrize("broken", [False, True], ids=["real", "check-then-act"])
def test_processes_racing_the_real_store(each_db_url: str, broken: bool) -> None:
    """Separate processes, as separate instances are: the real store never has two holders at
    once; the broken variant, raced the same way, is caught."""
    seed = migrated(each_db_url)
    OpsStore(seed).acquire("c1", "old", now=NOW - HOLD, ttl=TTL)
    seed.close()
    ctx = multiprocessing.get_context("spawn")
    lock = ctx.Lock()
    shared = (ctx.Value("i", 0), ctx.Value("i", 0), ctx.Value("i", 0), lock, ctx.Event())
    start = ctx.Event()
    rounds = 200 if broken else 10
    procs = [
        ctx.Process(
            target=_contend_in_process,
            args=(each_db_url, broken, f"p{n}", (*shared, start), rounds),
        )
        for n in range(4)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=120)
    assert all(p.exitcode is not None for p in procs), "a contender process hung"
    most, entries = shared[1].value, shared[2].value
    if broken:
        assert most >= 2, f"no double holder in {entries} entries"
    else:
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]
        assert entries == 4 * rounds
        assert most == 1


@pytest.mark.parametrize("contenders", [8])
def test_exactly_one_of_many_takes_an_expired_lease(each_db_url: str, contenders: int) -> None:
    seed = migrated(each_db_url)
    OpsStore(seed).acquire("c1", "old", now=NOW, ttl=TTL)
    seed.close()
    barrier = threading.Barrier(contenders)
    wins: list[str] = []
    errors: list[BaseException] = []

    def contend(me: str) -> None:
        store = Store(each_db_url)
        try:
            ops = OpsStore(store)
            barrier.wait(timeout=60)
            if ops.acquire("c1", me, now=NOW + TTL + timedelta(seconds=1), ttl=TTL):
                wins.append(me)
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=contend, args=(f"i{n}",)) for n in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(wins) == 1
    check = Store(each_db_url)
    try:
        lease = OpsStore(check).lease("c1")
    finally:
        check.close()
    assert lease is not None and lease.holder == wins[0]
