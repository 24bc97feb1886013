"""Several real `python -m bot run` processes sharing one database (SQLite file, then PostgreSQL)
against the sandbox on loopback, in accelerated time with a short lease TTL: they split the
competitions, never act on one competition at the same time (their acting intervals, recorded in
`job_runs`, never overlap), and one takes over what another held once it is killed."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import AcceleratedClock
from bot.daemon.scheduling import accelerated_spec
from bot.sandbox import Sandbox, World
from bot.store import Store
from bot.store.audit import StoreAudit
from bot.store.ops import OpsStore
from tests.shell.daemonkit import (
    Comp,
    bot_env,
    config_of,
    config_text,
    overlapping,
    populate,
    spawn_bot,
    stop,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SPEED = 20.0  # simulated seconds per real second
TTL = 20.0  # simulated seconds: one real second
COMPS = ("alpha", "beta", "gamma", "delta")
CYCLES = 3  # poll cycles both instances run before one is killed (10 simulated seconds each)


@pytest.fixture
def fast_sandbox() -> Iterator[Sandbox]:
    clock = AcceleratedClock(START, SPEED)
    sb = Sandbox(World(clock), clock=clock)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


def wait_for(
    what: str | Callable[[], str], check: Callable[[], bool], timeout: float = 30.0
) -> None:
    # A tenth of a second between looks: the processes write the same database meanwhile.
    wait_until(check, timeout=timeout, interval=0.1, what=what)


def holders(ops: OpsStore, now: datetime) -> dict[str, str]:
    return {lease.competition_id: lease.holder for lease in ops.leases() if lease.expires_at > now}


def test_instances_split_never_overlap_and_take_over(
    fast_sandbox: Sandbox, each_db_url: str, tmp_path: Path
) -> None:
    sb = fast_sandbox
    now = sb.clock.now()
    comps = [
        Comp(c, c.capitalize(), now - timedelta(hours=1), now + timedelta(days=2)) for c in COMPS
    ]
    for c in comps:
        populate(sb, c.hashtag, 3, at=now - timedelta(minutes=20))
    config = tmp_path / "contestbot.toml"
    # posting on (in dry run): the posting lease is split between the instances too
    config.write_text(config_text(comps, poll=10, extra="\n[posting]\n"), encoding="utf-8")
    store = Store(each_db_url)
    # The tables exist before the processes start, so the test times the lease hand-over only
    # (concurrent first starts are tested in test_store: upgrades are serialised).
    store.upgrade()
    store.sync_competitions(config_of(comps, poll=10, extra="\n[posting]\n").competitions, now=now)
    ops = OpsStore(store)
    spec = accelerated_spec(sb.clock)  # type: ignore[arg-type]

    def start(name: str) -> tuple[object, Path]:
        env = bot_env(
            sb,
            db_url=each_db_url,
            config=config,
            data_dir=tmp_path / name,
            clock_spec=spec,
            instance_id=name,
            lease_ttl=TTL,
        )
        (tmp_path / name).mkdir()
        log = tmp_path / name / "bot.log"
        return spawn_bot(env, log), log

    a, a_log = start("instance-a")
    b, b_log = start("instance-b")
    try:
        # Both live: they split the four competitions and the posting lease (at most 3 each).
        def split() -> bool:
            held = holders(ops, sb.clock.now())
            counts = Counter(held.values())
            return (
                len(held) == 5
                and set(counts) == {"instance-a", "instance-b"}
                and all(counts[i] >= 2 for i in counts)
            )

        wait_for("the split", split)
        wait_for(
            "every competition polled",
            lambda: all(store.entry_count(c) == 3 for c in COMPS),
        )
        # Let both poll a few cycles and renew their leases: from here, every competition is
        # polled CYCLES more times by its holder, and every lease is renewed at least once.
        steady_from = sb.clock.now()

        def polled_since(c: str) -> Counter[str]:
            return Counter(
                r.instance_id
                for r in StoreAudit(ops.store).job_runs(c)
                if r.job == "poll" and r.started_at >= steady_from and r.finished_at is not None
            )

        def steady() -> bool:
            held = holders(ops, sb.clock.now())
            return (
                len(held) == 5
                and all(
                    lease.expires_at > steady_from + timedelta(seconds=TTL)
                    for lease in ops.leases()
                )
                and all(polled_since(c)[held[c]] >= CYCLES for c in COMPS if c in held)
            )

        wait_for(
            lambda: (
                f"{CYCLES} poll cycles of every competition by its holder and renewed leases; "
                f"polls {[(c, dict(polled_since(c))) for c in COMPS]}, leases {ops.leases()}"
            ),
            steady,
        )
        mine_a = sorted(
            c for c, h in holders(ops, sb.clock.now()).items() if h == "instance-a" and c in COMPS
        )
        a.kill()  # type: ignore[attr-defined]  # SIGKILL: no release, the leases must expire
        a.wait()  # type: ignore[attr-defined]
        killed_at = sb.clock.now()
        wait_for(
            "the take-over",
            lambda: (
                set(holders(ops, sb.clock.now()).values()) == {"instance-b"}
                and len(holders(ops, sb.clock.now())) == 5
            ),
        )
        took_over_at = sb.clock.now()

        def b_acted_on_a_s() -> list[str]:
            return sorted(
                r.competition_id
                for r in StoreAudit(ops.store).job_runs()
                if r.instance_id == "instance-b"
                and r.competition_id in mine_a
                and r.started_at > killed_at
                and r.finished_at is not None
            )

        wait_for(  # b acts (a whole step) on every competition it took over from a
            lambda: f"instance-b to act on {mine_a}; it did on {set(b_acted_on_a_s())}",
            lambda: set(b_acted_on_a_s()) == set(mine_a),
        )
        started = time.monotonic()
        assert stop(b, signal.SIGTERM) == 0  # type: ignore[arg-type]
        assert time.monotonic() - started < 5  # finishes the step and exits within seconds
    finally:
        for p in (a, b):
            if p.poll() is None:  # type: ignore[attr-defined]
                p.kill()  # type: ignore[attr-defined]
                p.wait()  # type: ignore[attr-defined]
    runs = StoreAudit(ops.store).job_runs()
    logs = a_log.read_text() + b_log.read_text()
    assert overlapping(runs) == [], logs[-3000:]
    acted = {(r.instance_id, r.competition_id) for r in runs}
    for c in mine_a:
        # a acted on its competitions, then b did once a's leases had expired (not before).
        assert ("instance-a", c) in acted and ("instance-b", c) in acted
        b_after = [
            r.started_at
            for r in runs
            if r.competition_id == c and r.instance_id == "instance-b" and r.started_at > killed_at
        ]
        assert b_after and min(b_after) >= killed_at
    assert took_over_at - killed_at >= timedelta(seconds=TTL * 0.5)
    assert holders(ops, sb.clock.now()) == {}  # b released everything on SIGTERM
    assert "Traceback" not in logs
    store.close()


def test_the_store_leases_follow_the_documented_compare_and_set(each_db_url: str) -> None:
    """OpsStore's lease methods on both backends: acquire, renew, block, take over, release."""
    store = Store(each_db_url)
    store.upgrade()
    ops = OpsStore(store)
    t0, ttl = START, timedelta(seconds=60)
    try:
        assert ops.acquire("c1", "a", now=t0, ttl=ttl)
        assert ops.acquire("c1", "a", now=t0 + timedelta(seconds=30), ttl=ttl)  # renewal
        assert not ops.acquire("c1", "b", now=t0 + timedelta(seconds=89), ttl=ttl)
        assert ops.acquire("c1", "b", now=t0 + timedelta(seconds=90), ttl=ttl)  # expired
        assert ops.lease("c1") is not None and ops.lease("c1").holder == "b"  # type: ignore[union-attr]
        assert not ops.release("c1", "a", now=t0 + timedelta(seconds=91))
        assert ops.release("c1", "b", now=t0 + timedelta(seconds=91))
        assert ops.acquire("c1", "a", now=t0 + timedelta(seconds=91), ttl=ttl)  # at once
    finally:
        store.close()
