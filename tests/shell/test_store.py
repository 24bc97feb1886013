"""The store on a real SQLite file: migrations, idempotent writes, edits, snapshots, statuses."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from bot.core.models import Account, Category, Competition, Lookup, Metrics, Page, Post, Reference
from bot.core.polling import CursorUpdate
from bot.core.snowflake import make_snowflake
from bot.store import HEAD_REVISION, Store
from bot.store.audit import StoreAudit
from bot.store.convert import author_values, content_values, metric_values
from bot.store.schema import (
    AuthorRow,
    CompetitionEntryRow,
    CompetitionRow,
    MetricSnapshotRow,
    TweetIdRow,
    TweetRow,
    UTCDateTime,
    dumps_json,
)
from bot.store.schema_live import LiveChangeRow, LiveExclusionRow, LiveScoreRow
from bot.store.writes import bulk_insert

T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
COMP = Competition(
    id="spring",
    title="Spring",
    hashtags=("Spring",),
    start=T0,
    end=T0 + timedelta(days=2),
    categories=(Category(id="most-liked", kind="likes"),),
)
ALICE = Account(id="11", username="Alice", name="Alice A", followers=5)


@pytest.fixture
def store(each_db_url: str) -> Iterator[Store]:
    """A migrated store on SQLite, then on a real PostgreSQL (tests/db_fixture.py)."""
    s = Store(each_db_url)
    s.upgrade()
    s.sync_competitions([COMP], now=T0)
    yield s
    s.close()


def tweet(when: datetime, *, likes: int = 0, history: tuple[str, ...] = (), seq: int = 0) -> Post:
    tid = make_snowflake(when, seq)
    return Post(
        id=tid,
        text=f"entry {tid} #Spring",
        author_id=ALICE.id,
        created_at=when,
        edit_history_ids=(*history, tid),
        hashtags=("Spring",),
        metrics=Metrics(likes=likes),
    )


def page(*tweets: Post, next_token: str | None = None) -> Page:
    return Page(
        posts=tweets,
        accounts=(ALICE,),
        newest_id=tweets[0].id if tweets else None,
        oldest_id=tweets[-1].id if tweets else None,
        result_count=len(tweets),
        next_token=next_token,
    )


def test_upgrade_creates_the_folder_and_every_table(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path}/nested/dir/bot.db")
    assert not s.is_current()
    s.upgrade("0001")
    assert s.current_revision() == "0001"
    tables = set(inspect(s.engine).get_table_names())
    assert tables == {
        "alembic_version",
        "competitions",
        "authors",
        "tweets",
        "tweet_ids",
        "competition_entries",
        "replies",
        "metric_snapshots",
        "cursors",
        "poll_runs",
    }
    s.upgrade()  # later issues' revisions apply on top; a second upgrade is a no-op
    assert s.is_current() and s.current_revision() == s.head_revision()
    s.upgrade()
    assert s.is_current()
    s.close()


def test_the_head_revision_the_store_knows_is_alembics() -> None:
    """`is_current` compares with HEAD_REVISION so that reading commands need not import Alembic:
    a new migration must move it."""
    assert Store("sqlite://").head_revision() == HEAD_REVISION


def test_a_command_that_only_reads_imports_no_alembic(tmp_path: Path) -> None:
    """Alembic costs a third of a second of every CLI process; only migrating needs it."""
    s = Store(f"sqlite:///{tmp_path}/bot.db")
    s.upgrade()
    s.close()
    probe = (
        "import sys\n"
        "import bot.cli.main\n"
        "from bot.store import Store\n"
        f"s = Store('sqlite:///{tmp_path}/bot.db')\n"
        "assert s.is_current() and s.current_revision() == '" + HEAD_REVISION + "'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_page_saved_twice_is_one_entry_with_aware_utc_times(store: Store) -> None:
    t = tweet(T0 + timedelta(minutes=5), likes=3)
    assert store.save_page(COMP.id, "search:0", page(t), now=T0 + timedelta(minutes=6)) == 1
    assert store.save_page(COMP.id, "search:0", page(t), now=T0 + timedelta(minutes=7)) == 0
    [entry] = store.entries(COMP.id)
    assert entry.post.id == t.id and entry.author.username == "Alice"
    assert entry.post.metrics.likes == 3 and entry.status == "active"
    assert entry.post.created_at == t.created_at and entry.post.created_at.tzinfo is UTC
    assert entry.metrics_at is not None and entry.metrics_at.tzinfo is UTC
    assert store.entry_count(COMP.id) == 1


def test_an_edit_is_one_entry_with_the_latest_version_even_when_the_old_one_comes_later(
    store: Store,
) -> None:
    original = tweet(T0 + timedelta(minutes=1), likes=1)
    edited = tweet(T0 + timedelta(minutes=9), likes=4, history=(original.id,))
    store.save_page(COMP.id, "search:0", page(edited), now=T0 + timedelta(minutes=10))
    store.save_page(COMP.id, "search:0", page(original), now=T0 + timedelta(minutes=11))
    [entry] = store.entries(COMP.id)
    assert entry.key == original.id and entry.post.id == edited.id
    assert entry.post.metrics.likes == 4
    assert entry.post.created_at == original.created_at  # the chain's, not the edit's
    assert store.key_of_post(edited.id) == store.key_of_post(original.id) == original.id
    assert store.refresh_targets([COMP.id]) == [edited.id]


def test_a_version_first_read_without_its_edit_history_is_stored_again_without_failing(
    store: Store,
) -> None:
    # A post read once without `edit_history_tweet_ids` is its own chain; read again with its
    # history, its id is already mapped: the page is stored, the id keeps its first mapping.
    original = tweet(T0 + timedelta(minutes=1))
    edited = tweet(T0 + timedelta(minutes=9), likes=2, history=(original.id,))
    alone = replace(edited, edit_history_ids=(edited.id,))
    store.save_page(COMP.id, "search:0", page(alone), now=T0 + timedelta(minutes=10))
    store.save_page(COMP.id, "search:0", page(edited), now=T0 + timedelta(minutes=11))
    assert store.key_of_post(edited.id) == edited.id
    assert store.key_of_post(original.id) == original.id


def test_a_page_is_a_reading_of_its_newest_versions_only(store: Store) -> None:
    """A search page's post is a metric snapshot at the page's time, as a look-up's would be; a
    post whose edit history names a newer version (not the entry's metrics) is none, and an
    entry mentioned by a mentions page is read once whatever the competitions listing it."""
    plain = tweet(T0 + timedelta(minutes=1), likes=3)
    newer_id = make_snowflake(T0 + timedelta(minutes=5))
    old = tweet(T0 + timedelta(minutes=2), seq=1)
    stale = replace(old, edit_history_ids=(old.id, newer_id))
    at = T0 + timedelta(minutes=6)
    store.save_page(COMP.id, "search:0", page(plain, stale), now=at)
    assert [(s.taken_at, s.metrics.likes) for s in store.snapshots(plain.id)] == [(at, 3)]
    assert store.snapshots(stale.id) == []
    assert store.refresh_targets([COMP.id], unread_since=at) == [stale.id]
    other = replace(COMP, id="autumn")
    store.sync_competitions([COMP, other], now=T0)
    mention = tweet(T0 + timedelta(minutes=7), seq=2, likes=2)
    later = T0 + timedelta(minutes=8)
    store.save_mentions(
        "99",
        "mentions:99",
        [mention],
        [ALICE],
        now=later,
        entries={COMP.id: [mention], other.id: [mention]},
    )
    assert [(s.taken_at, s.metrics.likes) for s in store.snapshots(mention.id)] == [(later, 2)]


def test_a_refresh_stores_one_snapshot_per_entry_and_a_retry_adds_none(store: Store) -> None:
    t = tweet(T0 + timedelta(minutes=1))
    store.save_page(COMP.id, "search:0", page(t), now=T0 + timedelta(minutes=2))
    grown = Post(**{**t.__dict__, "metrics": Metrics(likes=7, replies=2)})
    taken = T0 + timedelta(minutes=3)
    assert store.save_lookup(Lookup(posts=(grown,), accounts=(ALICE,)), taken) == 1
    assert store.save_lookup(Lookup(posts=(grown,), accounts=(ALICE,)), taken) == 0
    later = T0 + timedelta(minutes=4)
    assert store.save_lookup(Lookup(posts=(grown,), accounts=()), later) == 1
    snaps = store.snapshots(t.id)
    # The page was a reading too (its metrics at its time), then the two look-ups.
    assert [s.taken_at for s in snaps] == [T0 + timedelta(minutes=2), taken, later]
    assert snaps[0].metrics == t.metrics and snaps[1].metrics == Metrics(likes=7, replies=2)
    assert store.entries(COMP.id)[0].post.metrics.likes == 7


def test_problems_mark_entries_without_dropping_them(store: Store) -> None:
    gone = tweet(T0 + timedelta(minutes=1))
    hidden = tweet(T0 + timedelta(minutes=2))
    fine = tweet(T0 + timedelta(minutes=3), likes=2)
    store.save_page(COMP.id, "search:0", page(fine, hidden, gone), now=T0 + timedelta(minutes=4))
    lookup = Lookup(
        posts=(fine,), accounts=(ALICE,), problems=((gone.id, "deleted"), (hidden.id, "protected"))
    )
    assert store.save_lookup(lookup, T0 + timedelta(minutes=5)) == 1
    status = {e.post.id: e.status for e in store.entries(COMP.id)}
    assert status == {gone.id: "deleted", hidden.id: "protected", fine.id: "active"}
    # deleted entries are not re-read; protected ones are (they may come back)
    assert set(store.refresh_targets([COMP.id])) == {fine.id, hidden.id}
    store.save_lookup(Lookup(posts=(hidden,), accounts=()), T0 + timedelta(minutes=6))
    assert {e.post.id: e.status for e in store.entries(COMP.id)}[hidden.id] == "active"


def test_a_failed_page_writes_neither_its_tweets_nor_its_cursor(store: Store) -> None:
    t = tweet(T0 + timedelta(minutes=1))
    cursor = CursorUpdate(since_id=t.id, newest_created_at=t.created_at)
    with pytest.raises(IntegrityError):  # the competition was never synced: foreign key fails
        store.save_page("unknown", "search:0", page(t), now=T0, cursor_update=cursor)
    assert store.key_of_post(t.id) is None
    assert store.get_cursor("unknown", "search:0") is None
    store.save_page(COMP.id, "search:0", page(t), now=T0, cursor_update=cursor)
    got = store.get_cursor(COMP.id, "search:0")
    assert got is not None and got.since_id == t.id and got.newest_created_at == t.created_at
    store.drop_cursor(COMP.id, "search:0")
    assert store.get_cursor(COMP.id, "search:0") is None


def test_users_are_found_by_username_case_insensitively(store: Store) -> None:
    store.save_accounts([ALICE], now=T0)
    assert store.account_by_username("@alice") == ALICE
    assert store.account_by_username("bob") is None


def test_last_poll_is_the_last_successful_one(store: Store) -> None:
    assert store.last_poll(COMP.id) is None
    store.record_poll(COMP.id, finished_at=T0, ok=True, counts={"pages": 1})
    store.record_poll(COMP.id, finished_at=T0 + timedelta(minutes=1), ok=False, error="503")
    assert store.last_poll(COMP.id) == T0


def test_replies_give_each_entry_its_direct_replies_with_the_repliers_facts(store: Store) -> None:
    root = tweet(T0 + timedelta(minutes=1))
    store.save_page(COMP.id, "search:0", page(root), now=T0 + timedelta(minutes=2))
    bob = Account(
        id="22", username="bob", name="Bob", created_at=T0 - timedelta(days=3), followers=7
    )
    replies = [
        Post(
            id=make_snowflake(T0 + timedelta(minutes=3), i),
            text="nice",
            author_id="22",
            created_at=T0 + timedelta(minutes=3),
            edit_history_ids=(),
            conversation_id=root.id,
            references=(Reference("replied_to", root.id),),
        )
        for i in range(3)
    ]
    assert store.save_conversation_replies({root.key: replies}, [bob], now=T0) == 3
    assert store.save_conversation_replies({root.key: replies}, [bob], now=T0) == 0
    got = store.entries(COMP.id)[0].repliers
    assert [(r.username, r.author_id, r.followers) for r in got] == [("bob", "22", 7)] * 3
    assert {r.author_created_at for r in got} == {T0 - timedelta(days=3)}
    assert [r.reply_id for r in got] == sorted(t.id for t in replies)


def test_a_changed_declaration_updates_the_stored_competition(store: Store) -> None:
    before = StoreAudit(store).competition_digest(COMP.id)
    store.sync_competitions([COMP], now=T0)
    assert StoreAudit(store).competition_digest(COMP.id) == before
    changed = Competition(**{**COMP.__dict__, "title": "Spring 2026"})
    store.sync_competitions([changed], now=T0)
    assert StoreAudit(store).competition_digest(COMP.id) not in (None, before)


def test_two_instances_upgrading_and_syncing_a_fresh_database_at_once_both_succeed(
    each_db_url: str,
) -> None:
    """Two daemons starting together on an empty database: migrations are serialised (an
    advisory lock on PostgreSQL, a file lock on SQLite) and the competition rows are inserted
    once, neither start failing."""
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []
    stores = [Store(each_db_url) for _ in range(4)]

    def start(s: Store) -> None:
        try:
            barrier.wait(timeout=10)
            s.upgrade()
            s.sync_competitions([COMP], now=T0)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert errors == []
        assert all(s.is_current() for s in stores)
        assert StoreAudit(stores[0]).competition_digest(COMP.id) is not None
        with stores[0].engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM competitions")).scalar() == 1
    finally:
        for s in stores:
            s.close()


def test_many_connections_opening_a_fresh_sqlite_file_at_once_all_switch_it_to_wal(
    tmp_path: Path,
) -> None:
    """The first connection to a new file switches it to WAL, which needs the file to itself;
    SQLite answers the others "database is locked" at once (no busy wait), so each retries."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    for _ in range(10):
        (tmp_path / "fresh.db").unlink(missing_ok=True)
        stores = [Store(url) for _ in range(12)]
        barrier = threading.Barrier(len(stores))
        modes: list[str] = []
        errors: list[BaseException] = []

        def open_one(
            s: Store, barrier: threading.Barrier, modes: list[str], errors: list[BaseException]
        ) -> None:
            try:
                barrier.wait(timeout=10)
                with s.engine.connect() as conn:
                    modes.append(str(conn.execute(text("PRAGMA journal_mode")).scalar()))
            except BaseException as exc:  # collected: a thread's failure must fail the test
                errors.append(exc)

        threads = [
            threading.Thread(target=open_one, args=(s, barrier, modes, errors)) for s in stores
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for s in stores:
            s.close()
        assert errors == []
        assert modes == ["wal"] * len(stores)


def test_database_errors_do_not_show_statement_parameters(store: Store) -> None:
    """A failed statement's parameters (tweet texts, titles) never reach the error message, and
    so never the logs: the engine hides them."""
    secret = "my private words 7f3a"
    row = {"id": COMP.id, "title": secret, "config": {}, "digest": "d" * 64}
    with pytest.raises(IntegrityError) as caught, store.engine.begin() as conn:
        conn.execute(insert(CompetitionRow).values(**row, created_at=T0, updated_at=T0))
    message = str(caught.value)
    assert "parameters hidden" in message and secret not in message


def test_mentions_are_kept_per_account_and_returned_after_a_cursor(store: Store) -> None:
    one = tweet(T0 + timedelta(minutes=1))
    two = tweet(T0 + timedelta(minutes=2), seq=1)
    for _ in range(2):  # idempotent
        added = store.save_mentions(
            "99",
            "mentions:99",
            [one, two],
            [ALICE],
            now=T0,
            entries={COMP.id: [two]},
            cursor_update=CursorUpdate(since_id=two.id, newest_created_at=two.created_at),
            joined=[COMP.id],
        )
    assert added == {COMP.id: 0}
    assert store.entry_count(COMP.id) == 1
    got, users = store.mentions("99", since_id=None, created_from=T0)
    assert got == [one, two] and users[ALICE.id].username == "Alice"
    assert store.mentions("99", since_id=one.id, created_from=T0)[0] == [two]
    assert store.mentions("98", since_id=None, created_from=T0)[0] == []
    assert store.get_cursor(COMP.id, "mentions:99") is not None


def test_sqlite_datetime_text_is_the_text_sqlalchemy_writes() -> None:
    """The store's one-step SQLite processor writes what the decorator then SQLite's DATETIME
    wrote before it (databases written by earlier releases compare and sort the same)."""
    dialect = sqlite.dialect()
    fused = UTCDateTime().bind_processor(dialect)
    plain = sqlite.DATETIME().bind_processor(dialect)
    assert fused is not None and plain is not None
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11))]
    instants = [
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 0, 7, tzinfo=UTC),
        *(T0 + timedelta(seconds=s * 7919.123457) for s in range(200)),
    ]
    for when in instants:
        for zone in zones:
            local = when.astimezone(zone)
            expected = plain(when.astimezone(UTC).replace(tzinfo=None))
            assert fused(local) == expected
            assert fused(local) == expected  # the same object again: the kept text
    assert fused(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        fused(datetime(2026, 1, 1))
    with pytest.raises(TypeError, match="expected a datetime"):
        fused("2026-01-01")  # type: ignore[arg-type]


def test_an_account_seen_unchanged_is_not_rewritten_and_a_changed_one_is(store: Store) -> None:
    """Every page names its posts' authors: one already stored as it is costs no write (its
    `updated_at` stays when it last changed), any changed column is written, and only a change
    of what the rules read (username, creation, followers, protection) goes to the change log."""

    def stored() -> tuple[AuthorRow, int]:
        with store.session() as s:
            row = s.get(AuthorRow, ALICE.id)
            noted = s.scalar(select(func.count()).where(LiveChangeRow.author_id == ALICE.id))
            assert row is not None
            return row, int(noted or 0)

    store.save_accounts([ALICE], now=T0)
    first, noted = stored()
    assert (first.updated_at, noted) == (T0, 1)
    store.save_accounts([ALICE], now=T0 + timedelta(hours=1))
    again, noted = stored()
    assert (again.updated_at, noted) == (T0, 1)
    renamed = replace(ALICE, name="Alice Again", following=3, post_count=9)
    store.save_accounts([renamed], now=T0 + timedelta(hours=2))
    row, noted = stored()
    assert (row.name, row.following, row.tweet_count, row.updated_at, noted) == (
        "Alice Again",
        3,
        9,
        T0 + timedelta(hours=2),
        1,
    )
    store.save_accounts([replace(renamed, followers=6)], now=T0 + timedelta(hours=3))
    row, noted = stored()
    assert (row.followers, row.updated_at, noted) == (6, T0 + timedelta(hours=3), 2)


# ---------------------------------------------------------------------------------------------
# The bulk INSERT of the ingest path sends what SQLAlchemy's Core INSERT would
# ---------------------------------------------------------------------------------------------

_ODD = 'Zoë "quoted" \\ back\\slash \u2028 😀 \n tab\t <b>&amp;</b>'


def _rows_of_every_written_table() -> list[tuple[type[Any], list[dict[str, Any]]]]:
    """Rows for each table `bulk_insert` writes, in foreign-key order: odd text, None, non-UTC
    times, booleans, empty and nested JSON."""
    paris = timezone(timedelta(hours=2))
    someone = Account(
        id="77", username="zoe", name=_ODD, created_at=T0.astimezone(paris), protected=True
    )
    nobody = Account(id="78", username="x", name="")
    posts = [
        replace(
            tweet(T0, likes=3, history=("5",)),
            text=_ODD,
            hashtags=("Spring", "ümlaut", ""),
            mentions=("zoe",),
            references=(Reference(type="replied_to", id="9"),),
            lang=None,
        ),
        replace(tweet(T0 + timedelta(seconds=1)), text="", edit_history_ids=()),
    ]
    later = (T0 + timedelta(microseconds=7)).astimezone(paris)
    tweets = [
        {
            "key": p.id,
            **content_values(p),
            **metric_values(p.metrics),
            "created_at": p.created_at,
            "metrics_at": later,
            "status": "active",
            "status_changed_at": None,
            "first_seen_at": T0,
            "updated_at": later,
        }
        for p in posts
    ]
    return [
        (AuthorRow, [author_values(someone, later), author_values(nobody, T0)]),
        (TweetRow, tweets),
        (TweetIdRow, [{"id": i, "key": p.id} for p in posts for i in {*p.edit_history_ids, p.id}]),
        (
            CompetitionEntryRow,
            [
                {"competition_id": COMP.id, "key": p.id, "source": "search", "found_at": later}
                for p in posts
            ],
        ),
        (
            MetricSnapshotRow,
            [
                {"key": p.id, "tweet_id": p.id, "taken_at": later, **metric_values(p.metrics)}
                for p in posts
            ],
        ),
        (
            LiveChangeRow,
            [{"key": posts[0].id, "author_id": None}, {"key": None, "author_id": "77"}],
        ),
        (
            LiveExclusionRow,
            [
                {
                    "competition_id": COMP.id,
                    "key": posts[0].id,
                    "post_id": posts[0].id,
                    "username": "zoe",
                    "rules": [["too-new", _ODD], ["own", ""]],
                }
            ],
        ),
        (
            LiveScoreRow,
            [
                {
                    "competition_id": COMP.id,
                    "category_id": "most-liked",
                    "key": p.id,
                    "post_id": p.id,
                    "author_id": "77",
                    "username": "zoe",
                    "created_at": later,
                    "audience": "outside",
                    "score": score,
                    "pick_rank": pick,
                    "rule": rule,
                    "reason": reason,
                    "tiebreak": p.id.zfill(32),
                    "key_len": len(p.id),
                    "g0": -3,
                    "g1": -score,
                    "ranked": rule is None,
                }
                for p, score, pick, rule, reason in (
                    (posts[0], 0.1 + 0.2, None, None, None),
                    (posts[1], 1e-300, 2, "own", _ODD),
                )
            ],
        ),
    ]


def _stored(store: Store, row: type[Any]) -> list[tuple[Any, ...]]:
    """The table as the driver gives it back, without SQLAlchemy's result processing."""
    table = row.__table__
    names = ", ".join(f'"{c.name}"' for c in table.columns if c.autoincrement is not True)
    order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
    with store.session() as s:
        result = s.connection().exec_driver_sql(
            f'SELECT {names} FROM "{table.name}" ORDER BY {order}'
        )
        return [tuple(r) for r in result]


def test_the_bulk_insert_stores_what_the_core_insert_stores_in_every_table(store: Store) -> None:
    tables = _rows_of_every_written_table()
    written: dict[str, list[list[tuple[Any, ...]]]] = {}
    for write in (bulk_insert, lambda s, row, values: s.execute(insert(row.__table__), values)):
        with store.transaction() as s:
            for row, values in tables:
                write(s, row, values)
        for row, _ in tables:
            written.setdefault(row.__tablename__, []).append(_stored(store, row))
        with store.transaction() as s:
            for row, _ in reversed(tables):
                s.execute(delete(row))
    for name, (bulk, core) in written.items():
        assert bulk, f"nothing written to {name}"
        assert bulk == core, name
    # and the ORM reads the bulk rows back as the values given
    with store.transaction() as s:
        for row, values in tables:
            bulk_insert(s, row, values)
    with store.session() as s:
        zoe = s.get(AuthorRow, "77")
        assert zoe is not None
        assert (zoe.name, zoe.protected, zoe.created_at) == (_ODD, True, T0)
        stored = s.get(TweetRow, tables[1][1][0]["key"])
        assert stored is not None
        assert (stored.text, stored.hashtags, stored.references) == (
            _ODD,
            ["Spring", "ümlaut", ""],
            [{"type": "replied_to", "id": "9"}],
        )
        assert stored.metrics_at == T0 + timedelta(microseconds=7)


def test_rows_without_a_defaulted_column_get_its_default(store: Store) -> None:
    with store.transaction() as s:
        bulk_insert(s, AuthorRow, [{"id": "90", "username": "d", "name": "D", "updated_at": T0}])
    with store.session() as s:
        row = s.get(AuthorRow, "90")
        assert row is not None
        assert (row.followers, row.following, row.tweet_count, row.protected) == (0, 0, 0, False)


@pytest.mark.parametrize(
    "value",
    [
        [],
        ["a"],
        ["Spring", _ODD, "", "ümlaut", "\x00\x1f"],
        [{"type": "quoted", "id": "1"}],
        ["a", 1],
        {"likes": 3, "name": _ODD},
        [["code", "reason"]],
        "text",
        None,
        ("a", "b"),
    ],
)
def test_the_json_columns_text_is_json_dumps(value: Any) -> None:
    assert dumps_json(value) == json.dumps(value)


@pytest.mark.postgres
def test_a_postgresql_connection_plans_each_statement_for_the_values_given(pg_url: str) -> None:
    # A generic plan of the page's IN look-ups compares every row with every key (bot.store.writes
    # postgresql_settings); the setting holds on every connection, after commits and rollbacks.
    store = Store(pg_url)
    try:
        for _ in range(2):
            with store.session() as s:
                assert s.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
                s.rollback()
    finally:
        store.close()
