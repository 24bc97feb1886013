"""The database: the only package importing SQLAlchemy. `Store` takes and returns core dataclasses.

Every method opens one short session and commits once, so what a method writes lands together or
not at all: `save_page` writes a page's tweets, their authors, the competition's entry list and the
stream's cursor in one transaction (a crash never leaves a cursor ahead of its tweets);
`save_lookup` writes a refresh's metric snapshots and status marks in one. Writes are idempotent
upserts (select the existing keys, then bulk insert and bulk update; see `bot.store.writes`),
portable between SQLite (the default, `sqlite:///data/contestbot.db`) and PostgreSQL. Tweets are
keyed by the first id of their edit history; `tweet_ids` maps every version id onto that key. The
schema is created and upgraded only by the Alembic migrations in `bot/store/migrations`
(`Store.upgrade()`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, delete, event, func, inspect, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.edits import newest_versions
from bot.core.models import Account, Competition, Entry, Lookup, Metrics, Page
from bot.core.polling import Cursor, CursorUpdate, Snapshot
from bot.store.convert import competition_config, user_from_row
from bot.store.paths import DatabaseFileError, check_sqlite_file, garbled
from bot.store.schema import (
    AuthorRow,
    CompetitionEntryRow,
    CompetitionRow,
    CursorRow,
    MetricSnapshotRow,
    PollRunRow,
    TweetRow,
    dumps_json,
)
from bot.store.streams import ACCOUNTS, StreamsMixin

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
from bot.store.writes import (
    add_entries,
    add_snapshots,
    entry_of,
    insert_ignoring,
    key_of,
    mark_problems,
    migration_lock,
    postgresql_settings,
    repliers_of,
    sqlite_pragmas,
    upsert_authors,
    upsert_tweets,
    write_cursor,
)

DEFAULT_URL = "sqlite:///data/contestbot.db"
DONE = CursorUpdate(since_id=None, newest_created_at=None)
"""What a stamp (`Store.save_page(marks=...)`) writes: only its `updated_at` says anything."""
MIGRATION_LOCK = 0x636F6E74  # the advisory lock key migrations hold on PostgreSQL ("cont")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
HEAD_REVISION = "0008"
"""The newest migration in `MIGRATIONS_DIR` (a test checks it against Alembic's script directory).
Known here so that a command that only reads need not import Alembic, which costs a third of a
second of every CLI process, to learn whether the database is current."""
VERSION_TABLE = "alembic_version"

__all__ = ["ACCOUNTS", "DEFAULT_URL", "DatabaseFileError", "Store"]


class Store(StreamsMixin):
    """The bot's database. `url` is any SQLAlchemy URL (SQLite files get their folder created)."""

    def __init__(self, url: str = DEFAULT_URL, *, echo: bool = False) -> None:
        parsed = make_url(url)
        is_sqlite = parsed.get_backend_name() == "sqlite"
        database = parsed.database or ""
        self.sqlite_path: Path | None = None
        if is_sqlite and database not in ("", ":memory:") and not database.startswith("file:"):
            self.sqlite_path = Path(database).expanduser()
            # Before anything is created: a folder, a path below a file or a file that is not a
            # database is the organiser's to fix (exit 2), and must leave nothing behind.
            check_sqlite_file(self.sqlite_path)
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        self.url = parsed.render_as_string(hide_password=True)
        # Statement parameters are tweet texts and ids: a database error must not print them into
        # logs (they may hold anything a participant wrote).
        self.engine: Engine = create_engine(
            parsed, echo=echo, hide_parameters=True, json_serializer=dumps_json
        )
        if is_sqlite:
            event.listen(self.engine, "connect", sqlite_pragmas)
        elif parsed.get_backend_name() == "postgresql":
            event.listen(self.engine, "connect", postgresql_settings)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def session(self) -> Session:
        """A short session for reads: `with store.session() as s:`. The one way every part of
        the store (and its facades: ops, rules, outbox...) opens a session for reading."""
        return self._sessions()

    def transaction(self) -> AbstractContextManager[Session]:
        """A short session in one transaction, committed on leaving (rolled back on an error):
        `with store.transaction() as s:`. The one way the store writes."""
        return self._sessions.begin()

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------------------------------
    # Schema
    # ------------------------------------------------------------------------------------------

    def _alembic(self) -> AlembicConfig:
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to `revision` (an empty database gets every table).

        Serialised between processes: two instances starting on a fresh database would both see
        no version table and both create the tables. PostgreSQL: a transaction-level advisory
        lock (released at commit); SQLite: an exclusive lock on a file next to the database."""
        from alembic import command

        cfg = self._alembic()
        self._check_readable()  # a damaged file fails here, before the lock file is made
        with migration_lock(self.engine), self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def current_revision(self) -> str | None:
        """The revision the database is at (None when no migration has run): the row of
        Alembic's version table, read directly (see `HEAD_REVISION`)."""
        self._check_readable()
        with self.engine.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return None
            revisions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
            found = sorted(revisions)
        if len(found) > 1:  # the migrations have no branches: a second head is not ours
            raise RuntimeError(f"the database has several schema revisions {found}: not ours")
        return found[0] if found else None

    def _check_readable(self) -> None:
        """Raise `DatabaseFileError` when the SQLite file is not a database (a valid header over
        damaged pages passes `check_sqlite_file`; reading the schema does not)."""
        if self.sqlite_path is None:
            return
        check_sqlite_file(self.sqlite_path)
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
        except DatabaseError as exc:
            message = str(exc.orig)
            if "not a database" in message or "malformed" in message:
                raise garbled(self.sqlite_path) from None
            raise

    def head_revision(self) -> str | None:
        """The newest migration, as Alembic's script directory reads it (`HEAD_REVISION`)."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic()).get_current_head()

    def is_current(self) -> bool:
        """Whether the database is at the newest migration (False for an empty database)."""
        return self.current_revision() == HEAD_REVISION

    # ------------------------------------------------------------------------------------------
    # Competitions and authors
    # ------------------------------------------------------------------------------------------

    def sync_competitions(self, comps: Sequence[Competition], *, now: datetime) -> None:
        """Insert declared competitions, and update the stored declaration of those that changed."""
        # INSERT ... ON CONFLICT DO NOTHING, then a conditional UPDATE: two instances starting
        # together both succeed (the second insert waits for the first and does nothing).
        with self.transaction() as s:
            for c in comps:
                config, digest = competition_config(c)
                values = {
                    "id": c.id,
                    "title": c.title,
                    "config": config,
                    "digest": digest,
                    "created_at": now,
                    "updated_at": now,
                }
                s.execute(insert_ignoring(s, CompetitionRow, ["id"]).values(**values))
                s.execute(
                    update(CompetitionRow)
                    .where(CompetitionRow.id == c.id, CompetitionRow.digest != digest)
                    .values(title=c.title, config=config, digest=digest, updated_at=now)
                )

    def save_accounts(self, users: Iterable[Account], *, now: datetime) -> None:
        with self.transaction() as s:
            upsert_authors(s, users, now)

    def account_by_username(self, username: str) -> Account | None:
        """A stored account by @username (case-insensitive, with or without the '@')."""
        name = username.lstrip("@").lower()
        with self.session() as s:
            row = s.scalars(
                select(AuthorRow).where(func.lower(AuthorRow.username) == name).limit(1)
            ).first()
            return user_from_row(row) if row else None

    # ------------------------------------------------------------------------------------------
    # Polling
    # ------------------------------------------------------------------------------------------

    def save_page(
        self,
        competition_id: str,
        stream: str,
        page: Page,
        *,
        now: datetime,
        cursor_update: CursorUpdate | None = None,
        marks: Sequence[str] = (),
    ) -> int:
        """Store one page of a stream in ONE transaction: its tweets (idempotent, edits mapped onto
        their entry), their authors, the competition's entries (source: the part of `stream` before
        ':', "search" or "mentions"), when given the stream's cursor, and the `marks`: streams of
        the competition stamped done now (the re-scans a run's last page completes, whose
        `updated_at` records when), and a metric snapshot of each post that is the newest version of
        its chain (the page's metrics are a reading like a look-up's: the refresh need not ask for
        them again). Returns how many entries were new to the competition. The competition must
        have been synced."""
        source = stream.split(":", 1)[0]
        with self.transaction() as s:
            upsert_authors(s, page.accounts, now)
            stored = upsert_tweets(s, page.posts, now, metrics_at=now)
            added = add_entries(s, competition_id, stored, source, now)
            add_snapshots(s, newest_versions(page.posts), now, stored)
            if cursor_update is not None:
                write_cursor(s, competition_id, stream, cursor_update, now)
            for mark in marks:
                write_cursor(s, competition_id, mark, DONE, now)
        return added

    def done_at(self, owner: str, stream: str) -> datetime | None:
        """When the stream stamped done (`save_page(marks=...)`) was last stamped, or None."""
        cursor = self.get_cursor(owner, stream)
        return cursor.updated_at if cursor is not None else None

    def get_cursor(self, competition_id: str, stream: str) -> Cursor | None:
        with self.session() as s:
            row = s.get(CursorRow, (competition_id, stream))
            if row is None:
                return None
            return Cursor(
                since_id=row.since_id,
                newest_created_at=row.newest_created_at,
                pending_next_token=row.pending_next_token,
                updated_at=row.updated_at,
            )

    def drop_cursor(self, competition_id: str, stream: str) -> None:
        with self.transaction() as s:
            s.execute(
                delete(CursorRow).where(
                    CursorRow.competition_id == competition_id, CursorRow.stream == stream
                )
            )

    def tracked_keys(self, competition_id: str) -> list[str]:
        """Keys of every entry of the competition, whatever its status, in key order."""
        with self.session() as s:
            return list(
                s.scalars(
                    select(CompetitionEntryRow.key)
                    .where(CompetitionEntryRow.competition_id == competition_id)
                    .order_by(CompetitionEntryRow.key)
                )
            )

    def refresh_targets(
        self, competition_ids: Sequence[str], *, unread_since: datetime | None = None
    ) -> list[str]:
        """Latest version ids of the entries of these competitions worth re-reading (every status
        but deleted: a protected tweet may become visible again), de-duplicated, in key order.
        With `unread_since`, only the entries without a metric snapshot taken at or after it (a
        search page of this cycle already read the others)."""
        if not competition_ids:
            return []
        query = select(TweetRow.latest_id).where(
            TweetRow.status != "deleted",
            TweetRow.key.in_(
                select(CompetitionEntryRow.key).where(
                    CompetitionEntryRow.competition_id.in_(competition_ids)
                )
            ),
        )
        if unread_since is not None:
            query = query.where(
                ~select(MetricSnapshotRow.key)
                .where(
                    MetricSnapshotRow.key == TweetRow.key,
                    MetricSnapshotRow.taken_at >= unread_since,
                )
                .exists()
            )
        with self.session() as s:
            return list(s.scalars(query.order_by(TweetRow.key)))

    def save_lookup(self, lookup: Lookup, taken_at: datetime) -> int:
        """Store one refresh batch in ONE transaction: a metric snapshot per found tweet (once per
        (entry, taken_at), so a retried refresh adds nothing), the found tweets' latest metrics, and
        the status of the problem ids (deleted/protected; other problems leave the status as is).
        Returns the number of snapshots written."""
        with self.transaction() as s:
            upsert_authors(s, lookup.accounts, taken_at)
            stored = upsert_tweets(s, lookup.posts, taken_at, metrics_at=taken_at)
            written = add_snapshots(s, lookup.posts, taken_at, stored)
            mark_problems(s, lookup.problems, taken_at)
        return written

    def record_poll(
        self,
        competition_id: str,
        *,
        finished_at: datetime,
        ok: bool,
        counts: Mapping[str, int] | None = None,
        started_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        with self.transaction() as s:
            s.add(
                PollRunRow(
                    competition_id=competition_id,
                    started_at=started_at,
                    finished_at=finished_at,
                    ok=ok,
                    counts=dict(counts or {}),
                    error=error,
                )
            )

    def search_times(self, competition_id: str) -> list[datetime]:
        """When each successful poll of the competition started, oldest first (the searches the
        uncollected spans of `bot.core.polling.uncollected_spans` are computed from)."""
        with self.session() as s:
            rows = s.execute(
                select(PollRunRow.started_at, PollRunRow.finished_at).where(
                    PollRunRow.competition_id == competition_id, PollRunRow.ok.is_(True)
                )
            ).all()
        return sorted(started or finished for started, finished in rows)

    def stalest_read(self, competition_id: str) -> datetime | None:
        """The oldest "last read" (search or look-up) among the competition's active entries, or
        None without any: from then on, X bills a re-read of every entry again (per UTC day)."""
        with self.session() as s:
            value = s.scalar(
                select(func.min(TweetRow.metrics_at))
                .join(CompetitionEntryRow, CompetitionEntryRow.key == TweetRow.key)
                .where(
                    CompetitionEntryRow.competition_id == competition_id,
                    TweetRow.status == "active",
                )
            )
        return _aware(value) if value is not None else None

    def first_snapshots_since(self, competition_id: str, since: datetime) -> dict[str, datetime]:
        """Entry key -> the time of its earliest metric snapshot at or after `since`, for the
        competition's entries that have one (the final snapshot's row, or a late entry's first)."""
        with self.session() as s:
            rows = s.execute(
                select(MetricSnapshotRow.key, func.min(MetricSnapshotRow.taken_at))
                .join(CompetitionEntryRow, CompetitionEntryRow.key == MetricSnapshotRow.key)
                .where(
                    CompetitionEntryRow.competition_id == competition_id,
                    MetricSnapshotRow.taken_at >= since,
                )
                .group_by(MetricSnapshotRow.key)
            ).all()
        return {key: _aware(at) for key, at in rows if at is not None}

    def last_poll(self, competition_id: str) -> datetime | None:
        """When the last successful poll of the competition finished."""
        with self.session() as s:
            return s.scalar(
                select(func.max(PollRunRow.finished_at)).where(
                    PollRunRow.competition_id == competition_id, PollRunRow.ok.is_(True)
                )
            )

    # ------------------------------------------------------------------------------------------
    # Reading entries
    # ------------------------------------------------------------------------------------------

    def entry_count(self, competition_id: str) -> int:
        with self.session() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(CompetitionEntryRow)
                    .where(CompetitionEntryRow.competition_id == competition_id)
                )
                or 0
            )

    def entries(self, competition_id: str) -> list[Entry]:
        """Every entry of the competition (any status) with its latest version, latest metrics,
        author and distinct repliers, in key order."""
        with self.session() as s:
            rows = s.execute(
                select(TweetRow, AuthorRow)
                .join(CompetitionEntryRow, CompetitionEntryRow.key == TweetRow.key)
                .outerjoin(AuthorRow, AuthorRow.id == TweetRow.author_id)
                .where(CompetitionEntryRow.competition_id == competition_id)
                .order_by(TweetRow.key)
            ).all()
            repliers = repliers_of(
                s,
                select(CompetitionEntryRow.key).where(
                    CompetitionEntryRow.competition_id == competition_id
                ),
            )
        return [entry_of(t, a, repliers.get(t.key, ())) for t, a in rows]

    def entry(self, tweet_id: str) -> Entry | None:
        """The stored entry that `tweet_id` (any version of it) belongs to."""
        with self.session() as s:
            key = key_of(s, tweet_id)
            if key is None:
                return None
            row = s.execute(
                select(TweetRow, AuthorRow)
                .outerjoin(AuthorRow, AuthorRow.id == TweetRow.author_id)
                .where(TweetRow.key == key)
            ).first()
            repliers = repliers_of(s, select(TweetRow.key).where(TweetRow.key == key))
        return entry_of(row[0], row[1], repliers.get(key, ())) if row else None

    def key_of_post(self, tweet_id: str) -> str | None:
        """The entry key of any version id, or None when unknown."""
        with self.session() as s:
            return key_of(s, tweet_id)

    def snapshots(self, tweet_id: str) -> list[Snapshot]:
        """The metric snapshots of the entry of `tweet_id` (key or any version id), oldest first."""
        with self.session() as s:
            key = key_of(s, tweet_id) or tweet_id
            rows = s.scalars(
                select(MetricSnapshotRow)
                .where(MetricSnapshotRow.key == key)
                .order_by(MetricSnapshotRow.taken_at)
            ).all()
        return [
            Snapshot(
                key=r.key,
                post_id=r.tweet_id,
                taken_at=r.taken_at,
                metrics=Metrics(
                    likes=r.likes,
                    replies=r.replies,
                    reposts=r.reposts,
                    quotes=r.quotes,
                    bookmarks=r.bookmarks,
                    impressions=r.impressions,
                ),
            )
            for r in rows
        ]

    # ------------------------------------------------------------------------------------------
    # Audits (read-only; scripts/crash_test.py compares two databases with these)
    # ------------------------------------------------------------------------------------------


def _aware(value: object) -> datetime:
    # Aggregates bypass the column type: SQLite hands back naive UTC, or even text.
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        raise TypeError(f"not a time: {value!r}")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
