"""The store's write and read helpers, each running inside the caller's session and transaction.

Upserts are dialect-agnostic: select which keys already exist (IN lists of bounded size), then one
executemany INSERT for the new rows (`bulk_insert`) and one ORM bulk UPDATE by primary key for the
known ones, so a page of 100 tweets costs a handful of statements whatever the backend. The
statements the ingest path runs for every page are built once (`rows_among`, `_InsertPlan`). Only
`bot.store` uses this.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from sqlalchemy import BindParameter, Dialect, Insert, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.core.models import Account, Entry, EntryStatus, Metrics, Post, Reply
from bot.core.polling import CursorUpdate
from bot.store.convert import (
    author_values,
    content_values,
    metric_values,
    original_created_at,
    reference_from_json,
    tweet_from_row,
    user_from_row,
)
from bot.store.schema import (
    AuthorRow,
    Base,
    CompetitionEntryRow,
    CursorRow,
    MetricSnapshotRow,
    ReplyRow,
    TweetIdRow,
    TweetRow,
)
from bot.store.schema_live import LiveChangeRow

_STATUS_OF_PROBLEM: dict[str, EntryStatus] = {
    "deleted": "deleted",
    "protected": "protected",
    "suspended": "protected",
}
_IN_CHUNK = 500  # bound the size of IN (...) lists (SQLite's variable limit)


WAL_SWITCH_SECONDS = 10.0
"""How long a new connection keeps trying to switch a fresh database file to WAL while other
connections hold it (SQLite answers that switch "database is locked" at once, without waiting)."""


def postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    """Every PostgreSQL connection plans each statement for the values it is given.

    The driver (psycopg) prepares a statement it has run five times, and the server then plans
    it once for any values (a generic plan). For the store's IN lists (`rows_among`: 100 keys a
    page) that plan compares every row with every parameter when the table is small or not yet
    analysed: 24 ms a look-up at 10,000 posts instead of 1.7 ms. A custom plan costs a planning
    (a tenth of a millisecond) and keeps the driver's prepared statements."""
    with dbapi_connection.cursor() as cur:
        cur.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    # WAL lets the CLI read while the daemon writes; NORMAL sync is durable at each checkpoint.
    _switch_to_wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _switch_to_wal(cur: Any) -> None:
    """Put the database in WAL mode. Once a file is in WAL (every connection after the first)
    nothing is asked of it; the first switch needs the file to itself, and several processes
    opening a fresh database at once would have all but one fail, so the others wait and retry."""
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    pause = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


@contextlib.contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive file lock next to a SQLite database file while migrating (another
    process or thread waits for it). Other backends and in-memory databases need none here."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:") or "mode=memory" in database:
        yield
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: SQLite's own write lock is all we have
        yield
        return
    path = Path(database.removeprefix("file:").split("?", 1)[0]).expanduser()
    lock = path.with_name(path.name + ".migrate.lock")
    # The lock file is removed when done (no stray file beside the database), so it is removed
    # while still held, and a process that waited on a removed file finds, once it holds the
    # lock, that the path names another file (or none) and locks again: two processes never
    # hold locks on two different files at once.
    while True:
        handle = lock.open("a")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            same = os.stat(lock).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        handle.close()  # closing releases the lock on the removed file
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
        handle.close()


def insert_ignoring(s: Session, table: Any, keys: Sequence[str]) -> Insert:
    """INSERT that does nothing when a row with the same `keys` exists (PostgreSQL and SQLite)."""
    name = s.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    raise ValueError(f"unsupported database {name!r}: use SQLite or PostgreSQL")


def tweet_json(t: Post) -> dict[str, Any]:
    """One tweet version as JSON-ready data (the raw mentions keep it as the API returned it)."""
    return {
        "id": t.id,
        "created_at": t.created_at.isoformat(),
        **content_values(t),
        "metrics": metric_values(t.metrics),
    }


def tweet_from_json(data: dict[str, Any]) -> Post:
    return Post(
        id=data["id"],
        text=data["text"],
        author_id=data["author_id"],
        created_at=datetime.fromisoformat(data["created_at"]),
        edit_history_ids=tuple(data["edit_history"]) or (data["id"],),
        conversation_id=data["conversation_id"],
        in_reply_to_author_id=data["in_reply_to_user_id"],
        lang=data["lang"],
        references=tuple(reference_from_json(r) for r in data["references"]),
        hashtags=tuple(data["hashtags"]),
        mentions=tuple(data["mentions"]),
        note_text=data["note_text"],
        metrics=Metrics(**data["metrics"]),
    )


AMONG: BindParameter[Any] = bindparam("among", expanding=True)
"""The list an IN of a prepared statement reads (`rows_among`): a statement built once and given
its values at execution costs less than one built around them (SQLAlchemy coerces each value of
an IN list, and keys the statement cache by its shape, on every execution)."""


def rows_among(
    s: Session, statement: Any, values: Sequence[str], **parameters: Any
) -> Iterator[Any]:
    """The rows of `statement` (an IN over `AMONG`) for all of `values`, in IN lists of bounded
    size."""
    for i in range(0, len(values), _IN_CHUNK):
        yield from s.execute(statement, {"among": values[i : i + _IN_CHUNK], **parameters})


def existing(s: Session, column: Any, values: Sequence[str]) -> set[str]:
    """Which of `values` the column holds."""
    return {v for (v,) in rows_among(s, select(column).where(column.in_(AMONG)), values)}


_KNOWN_IDS = select(TweetIdRow.id).where(TweetIdRow.id.in_(AMONG))
_KEYS_OF_IDS = select(TweetIdRow.id, TweetIdRow.key).where(TweetIdRow.id.in_(AMONG))


def key_of(s: Session, tweet_id: str) -> str | None:
    return s.scalar(select(TweetIdRow.key).where(TweetIdRow.id == tweet_id))


def bulk_insert(s: Session, row: type[Base], values: Sequence[dict[str, Any]]) -> None:
    """One executemany INSERT of `values` (dicts with the same keys) into `row`'s table.

    The statement is compiled once per table, columns and dialect (`_InsertPlan`), and the rows go
    to the driver's executemany as they are, after each column's own bind processor: the values
    SQLAlchemy's Core INSERT would send (a test compares the two on every table this writes),
    without its building of a parameter dict per row, which was a fifth of the ingest path's
    store time (five rows a post). Rows that leave out a column with a Python-side default take
    the Core INSERT, which fills it in."""
    if not values:
        return
    table = cast(Table, row.__table__)
    connection = s.connection()
    plan = _insert_plan(table, connection.dialect, tuple(values[0]))
    if plan is None:
        s.execute(insert(table), values)
        return
    if plan.copy is None:
        connection.exec_driver_sql(plan.sql, plan.parameters(values))
        return
    driver = connection.connection.driver_connection
    assert driver is not None  # a connection in use has its driver's
    dbapi = connection.dialect.loaded_dbapi
    try:
        with driver.cursor() as cursor, cursor.copy(plan.copy) as copy:
            for values_row in plan.parameters(values):
                copy.write_row(values_row)
    except dbapi.Error as exc:  # as SQLAlchemy raises the driver's errors (IntegrityError...)
        raise DBAPIError.instance(
            plan.copy, None, exc, dbapi.Error, hide_parameters=True, dialect=connection.dialect
        ) from exc


@dataclass(frozen=True)
class _InsertPlan:
    """A compiled INSERT of some columns of a table, and how to turn rows into its parameters."""

    sql: str
    names: tuple[str, ...]  # the statement's parameters, in order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor)
    positional: bool  # the driver takes tuples (else dicts by name)
    copy: str | None = None  # PostgreSQL through psycopg: COPY ... FROM STDIN, rows as tuples

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """The driver's parameters for `rows` (a KeyError names a column a row lacks)."""
        get = itemgetter(*self.names)
        one = len(self.names) == 1  # itemgetter of one name gives the value, not a tuple
        tuples: list[tuple[Any, ...]] = [(get(r),) for r in rows] if one else list(map(get, rows))
        if self.processors:
            tuples = [self._processed(values) for values in tuples]
        if self.positional:
            return tuples
        return [dict(zip(self.names, values, strict=True)) for values in tuples]

    def _processed(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        done = list(values)
        for i, process in self.processors:
            done[i] = process(done[i])
        return tuple(done)


_PLANS: weakref.WeakKeyDictionary[Dialect, dict[tuple[str, tuple[str, ...]], _InsertPlan | None]]
_PLANS = weakref.WeakKeyDictionary()


def _insert_plan(table: Table, dialect: Dialect, columns: tuple[str, ...]) -> _InsertPlan | None:
    """The plan for inserting `columns` into `table` on `dialect`, or None when the INSERT needs
    SQLAlchemy to fill in a column (a Python-side default of a column the rows leave out)."""
    plans = _PLANS.setdefault(dialect, {})
    key = (table.name, columns)
    if key in plans:
        return plans[key]
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    plan: _InsertPlan | None = None
    if not compiled.insert_prefetch:
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
        if set(names) != set(columns):  # a bound value the rows do not carry
            plans[key] = None
            return None
        found = []
        for i, name in enumerate(names):
            process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                found.append((i, process))
        copy = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quote = dialect.identifier_preparer.quote
            columns_sql = ", ".join(quote(table.c[n].name) for n in names)
            copy = (
                f"COPY {dialect.identifier_preparer.format_table(table)} ({columns_sql}) FROM STDIN"
            )
            positional = True
        plan = _InsertPlan(compiled.string, names, tuple(found), positional, copy)
    plans[key] = plan
    return plan


def upsert_authors(s: Session, users: Iterable[Account], now: datetime) -> None:
    """Insert new accounts and update the known ones whose description changed (`updated_at` is
    when the store last saw it change); an account whose facts the rules read changed (or new)
    goes to the live leaderboard's change log (`note_changes`)."""
    by_id = {u.id: u for u in users}
    if not by_id:
        return
    ids = list(by_id)
    stored = {row[0]: tuple(row) for row in rows_among(s, _STORED_AUTHORS, ids)}
    new: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    noted: list[str] = []
    for account_id, u in by_id.items():
        seen = _author_columns(u)
        before = stored.get(account_id)
        if before is None:
            new.append(author_values(u, now))
        elif before != seen:
            old.append(author_values(u, now))
        if before is None or before[:_AUTHOR_FACTS] != seen[:_AUTHOR_FACTS]:
            noted.append(account_id)
    bulk_insert(s, AuthorRow, new)
    if old:
        s.execute(update(AuthorRow), old)
    note_changes(s, authors=noted)


_AUTHOR_COLUMNS = (
    # The facts the rules read first (their change goes to the change log), then the rest.
    AuthorRow.id,
    AuthorRow.username,
    AuthorRow.created_at,
    AuthorRow.followers,
    AuthorRow.protected,
    AuthorRow.name,
    AuthorRow.following,
    AuthorRow.tweet_count,
)
_AUTHOR_FACTS = 5
_STORED_AUTHORS = select(*_AUTHOR_COLUMNS).where(AuthorRow.id.in_(AMONG))


def _author_columns(u: Account) -> tuple[Any, ...]:
    """`u` as the values of `_AUTHOR_COLUMNS` (as the store gives them back)."""
    created = None if u.created_at is None else u.created_at.astimezone(UTC)
    return (u.id, u.username, created, u.followers, u.protected, u.name, u.following, u.post_count)


def note_changes(s: Session, *, keys: Iterable[str] = (), authors: Iterable[str] = ()) -> None:
    """Append to the live leaderboard's change log (`bot.store.live` applies it): entry chains
    written, accounts whose facts changed."""
    rows = [{"key": k, "author_id": None} for k in dict.fromkeys(keys)]
    rows += [{"key": None, "author_id": a} for a in dict.fromkeys(authors)]
    bulk_insert(s, LiveChangeRow, rows)


@dataclass(frozen=True)
class Chains:
    """What `upsert_tweets` wrote: each chain touched (by key) with the id of its newest version
    now stored, and the chains that were new to the store. Rows keyed by a chain (entries,
    snapshots) reference its `tweets` row, so a new chain has none yet."""

    newest: dict[str, str] = field(default_factory=dict)
    new: frozenset[str] = frozenset()

    @property
    def keys(self) -> list[str]:
        return list(self.newest)

    def merged(self, other: Chains) -> Chains:
        """Both writes of one transaction: the later newest ids, and the chains new before
        either."""
        return Chains({**self.newest, **other.newest}, self.new | other.new)


def upsert_tweets(
    s: Session, tweets: Iterable[Post], now: datetime, *, metrics_at: datetime
) -> Chains:
    """Insert new chains, move known ones to a newer version, map every version id, and note the
    chains in the live leaderboard's change log; returns the chains touched (`Chains`). An older
    version found later changes nothing but its id mapping."""
    latest: dict[str, Post] = {}
    every: dict[str, str] = {}
    for t in tweets:
        current = latest.get(t.key)
        if current is None or int(t.id) > int(current.id):
            latest[t.key] = t
        for version in (*t.edit_history_ids, t.id):
            every[version] = t.key
    if not latest:
        return Chains()
    keys = list(latest)
    stored: dict[str, tuple[str, str]] = {
        key: (latest_id, status) for key, latest_id, status in rows_among(s, _STORED_TWEETS, keys)
    }
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    newest: dict[str, str] = {}
    for key, t in latest.items():
        newest[key] = t.id
        if key not in stored:
            new.append(
                {
                    "key": key,
                    **content_values(t),
                    **metric_values(t.metrics),
                    "created_at": original_created_at(t),
                    "metrics_at": metrics_at,
                    "status": "active",
                    "status_changed_at": None,
                    "first_seen_at": now,
                    "updated_at": now,
                }
            )
            continue
        latest_id, status = stored[key]
        values: dict[str, Any] = {"key": key, "updated_at": now}
        if int(t.id) >= int(latest_id):
            values.update(content_values(t), **metric_values(t.metrics), metrics_at=metrics_at)
        else:
            newest[key] = latest_id
        if t.id == key:
            values["created_at"] = t.created_at
        if status != "active":
            values.update(status="active", status_changed_at=now)
        changed.append(values)
    bulk_insert(s, TweetRow, new)
    for group in by_columns(changed):
        s.execute(update(TweetRow), group)
    # Every id is looked up, those of new chains too: a post first read without its edit history
    # is its own chain, and a later reading with the history maps the same id to the original.
    known_ids = {i for (i,) in rows_among(s, _KNOWN_IDS, list(every))}
    bulk_insert(
        s, TweetIdRow, [{"id": i, "key": k} for i, k in every.items() if i not in known_ids]
    )
    note_changes(s, keys=keys)
    return Chains(newest, frozenset(k for k in keys if k not in stored))


_STORED_TWEETS = select(TweetRow.key, TweetRow.latest_id, TweetRow.status).where(
    TweetRow.key.in_(AMONG)
)


def by_columns(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def add_entries(s: Session, competition_id: str, chains: Chains, source: str, now: datetime) -> int:
    """Make the chains `upsert_tweets` just wrote entries of the competition (those not yet);
    returns how many were new. `upsert_tweets` noted them in the change log: the live leaderboard
    reads a noted chain's competitions when it applies it."""
    keys = chains.keys
    maybe = [k for k in keys if k not in chains.new]  # a new chain is no entry yet
    known = {k for (k,) in rows_among(s, _ENTERED, maybe, competition=competition_id)}
    rows = [
        {"competition_id": competition_id, "key": k, "source": source, "found_at": now}
        for k in keys
        if k not in known
    ]
    bulk_insert(s, CompetitionEntryRow, rows)
    return len(rows)


_ENTERED = select(CompetitionEntryRow.key).where(
    CompetitionEntryRow.competition_id == bindparam("competition"),
    CompetitionEntryRow.key.in_(AMONG),
)


def write_cursor(
    s: Session, competition_id: str, stream: str, cursor: CursorUpdate, now: datetime
) -> None:
    row = s.get(CursorRow, (competition_id, stream))
    if row is None:
        row = CursorRow(competition_id=competition_id, stream=stream)
        s.add(row)
    row.since_id = cursor.since_id
    row.newest_created_at = cursor.newest_created_at
    row.pending_next_token = cursor.pending_next_token
    row.updated_at = now


def add_snapshots(s: Session, tweets: Sequence[Post], taken_at: datetime, stored: Chains) -> int:
    """A metric snapshot at `taken_at` of each chain's newest version among `tweets`, unless the
    store holds a newer version of the chain or a snapshot of it at that time already. `stored`:
    what `upsert_tweets` just wrote of these chains, in the same transaction. Returns how many
    were written."""
    latest: dict[str, Post] = {}
    for t in tweets:
        if t.key not in latest or int(t.id) > int(latest[t.key].id):
            latest[t.key] = t
    if not latest:
        return 0
    keys = list(latest)
    newest = stored.newest
    maybe = [k for k in keys if k not in stored.new]  # a chain new to the store has no snapshot
    taken = {k for (k,) in rows_among(s, _TAKEN, maybe, taken_at=taken_at)}
    rows = [
        {"key": k, "tweet_id": t.id, "taken_at": taken_at, **metric_values(t.metrics)}
        for k, t in latest.items()
        if k not in taken and int(t.id) >= int(newest.get(k, t.id))
    ]
    bulk_insert(s, MetricSnapshotRow, rows)
    return len(rows)


_TAKEN = select(MetricSnapshotRow.key).where(
    MetricSnapshotRow.key.in_(AMONG), MetricSnapshotRow.taken_at == bindparam("taken_at")
)


def mark_problems(s: Session, problems: Sequence[tuple[str, str]], when: datetime) -> None:
    wanted = {i: _STATUS_OF_PROBLEM[p] for i, p in problems if p in _STATUS_OF_PROBLEM}
    if not wanted:
        return
    keys: dict[str, EntryStatus] = {
        key: wanted[tweet_id] for tweet_id, key in rows_among(s, _KEYS_OF_IDS, list(wanted))
    }
    current = {k: st for k, _, st in rows_among(s, _STORED_TWEETS, list(keys))}
    rows = [
        {"key": k, "status": st, "status_changed_at": when, "updated_at": when}
        for k, st in keys.items()
        if current.get(k) not in (None, st)
    ]
    if rows:
        s.execute(update(TweetRow), rows)
        note_changes(s, keys=[k for k, st in keys.items() if current.get(k) not in (None, st)])


def repliers_of(s: Session, keys_query: Any) -> dict[str, tuple[Reply, ...]]:
    """The direct replies to each entry of `keys_query`, oldest first, with what the store knows
    of each replier (account creation, followers, protection)."""
    found: dict[str, list[Reply]] = {}
    for r, a in s.execute(
        select(ReplyRow, AuthorRow)
        .outerjoin(AuthorRow, AuthorRow.id == ReplyRow.replier_id)
        .where(ReplyRow.conversation_key.in_(keys_query))
        .order_by(ReplyRow.conversation_key, ReplyRow.created_at, ReplyRow.reply_id)
    ):
        found.setdefault(r.conversation_key, []).append(
            Reply(
                reply_id=r.reply_id,
                author_id=r.replier_id,
                username=a.username if a is not None else r.replier_username,
                created_at=r.created_at,
                author_created_at=a.created_at if a is not None else None,
                followers=a.followers if a is not None else 0,
                protected=a.protected if a is not None else False,
            )
        )
    return {k: tuple(v) for k, v in found.items()}


def entry_of(t: TweetRow, a: AuthorRow | None, repliers: tuple[Reply, ...]) -> Entry:
    author = user_from_row(a) if a is not None else Account(id=t.author_id, username="", name="")
    return Entry(
        post=tweet_from_row(t),
        author=author,
        status=cast(EntryStatus, t.status),
        metrics_at=t.metrics_at,
        repliers=repliers,
    )
