"""The lease compare-and-set that docs/OPERATIONS.md asks of the store, proven on both backends.

This is the reference for the store's lease methods: one INSERT ... ON CONFLICT DO UPDATE ... WHERE
statement acquires (or renews, or takes over an expired lease) atomically, and the row it returns
says whether this instance now holds the lease. Races between real concurrent connections end with
exactly one holder, and the outcome always agrees with `bot.core.lease.may_acquire`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from bot.core.lease import Lease, may_acquire, renewal

NOW = datetime(2026, 8, 14, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC in Python; naive UTC in the column, so SQLite compares it correctly as text."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


meta = sa.MetaData()
leases = sa.Table(
    "leases",
    meta,
    sa.Column("competition_id", sa.String(200), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)


def _engine(url: str) -> sa.Engine:
    args: dict[str, Any] = {"timeout": 30} if url.startswith("sqlite") else {}
    return sa.create_engine(url, connect_args=args)


def acquire(conn: sa.Connection, competition_id: str, me: str, now: datetime) -> bool:
    """The statement of docs/OPERATIONS.md: insert, or update only if mine or expired."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(leases).values(
        competition_id=competition_id, holder=me, expires_at=renewal(now, TTL)
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=[leases.c.competition_id],
        set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
        where=sa.or_(leases.c.holder == me, leases.c.expires_at <= now),
    ).returning(leases.c.holder)
    return conn.execute(upsert).first() is not None


def release(conn: sa.Connection, competition_id: str, me: str, now: datetime) -> bool:
    result = conn.execute(
        sa.update(leases)
        .where(leases.c.competition_id == competition_id, leases.c.holder == me)
        .values(expires_at=now)
    )
    return result.rowcount == 1


def current(conn: sa.Connection, competition_id: str) -> Lease | None:
    row = conn.execute(sa.select(leases).where(leases.c.competition_id == competition_id)).first()
    return None if row is None else Lease(row.competition_id, row.holder, row.expires_at)


def test_acquire_renew_block_and_take_over(each_db_url: str) -> None:
    engine = _engine(each_db_url)
    try:
        meta.create_all(engine)
        with engine.begin() as conn:
            assert acquire(conn, "c1", "a", NOW)
            assert acquire(conn, "c1", "a", NOW + timedelta(seconds=30))  # renewal by the holder
            assert current(conn, "c1") == Lease("c1", "a", NOW + timedelta(seconds=90))
            assert not acquire(conn, "c1", "b", NOW + timedelta(seconds=89))
            assert current(conn, "c1") == Lease("c1", "a", NOW + timedelta(seconds=90))
            assert acquire(conn, "c1", "b", NOW + timedelta(seconds=90))  # expired: take over
            assert current(conn, "c1") == Lease("c1", "b", NOW + timedelta(seconds=150))
            # A graceful release lets another instance in at once.
            assert release(conn, "c1", "b", NOW + timedelta(seconds=100))
            assert not release(conn, "c1", "a", NOW + timedelta(seconds=100))
            assert acquire(conn, "c1", "a", NOW + timedelta(seconds=100))
    finally:
        engine.dispose()


def test_the_statement_agrees_with_may_acquire(each_db_url: str) -> None:
    engine = _engine(each_db_url)
    try:
        meta.create_all(engine)
        offsets = [-61, -60, -1, 0, 1, 59, 60]
        for i, holder in enumerate(["a", "b"]):
            for j, offset in enumerate(offsets):
                comp = f"c{i}-{j}"
                with engine.begin() as conn:
                    assert acquire(conn, comp, holder, NOW)
                    before = current(conn, comp)
                    at = NOW + timedelta(seconds=60 + offset)
                    expected = may_acquire(before, "a", at)
                    assert acquire(conn, comp, "a", at) is expected
                    after = current(conn, comp)
                assert after is not None
                assert (after.holder == "a" and after.expires_at == at + TTL) is expected
    finally:
        engine.dispose()


def test_concurrent_instances_never_both_win(each_db_url: str) -> None:
    engine = _engine(each_db_url)
    meta.create_all(engine)
    with engine.begin() as conn:  # an expired lease everybody wants
        conn.execute(sa.insert(leases).values(competition_id="c1", holder="old", expires_at=NOW))
    engine.dispose()

    contenders = [f"i{n}" for n in range(8)]
    barrier = threading.Barrier(len(contenders))
    wins: list[str] = []
    errors: list[BaseException] = []

    def contend(me: str) -> None:
        own = _engine(each_db_url)  # one engine each, as separate processes would have
        try:
            with own.connect() as conn:
                barrier.wait()
                with conn.begin():
                    if acquire(conn, "c1", me, NOW + timedelta(seconds=1)):
                        wins.append(me)
        except BaseException as exc:  # reported below; a thread can't fail the test itself
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=contend, args=(me,)) for me in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(wins) == 1
    check = _engine(each_db_url)
    try:
        with check.connect() as conn:
            lease = current(conn, "c1")
    finally:
        check.dispose()
    assert lease is not None
    assert lease.holder == wins[0]
