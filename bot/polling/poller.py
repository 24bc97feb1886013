"""The poller: search + mentions + metric refresh -> store, losing nothing and wasting no request.

One cycle (`ingest`, then `refresh`): for each competition that still needs polling (started, and
its collection not complete: `bot.core.polling.should_poll`), search its hashtag queries
(`bot.x.queries`), `max_results=100`, paginating to exhaustion; then read the mentions of each
tracked account ONCE, whatever the number of competitions listing it (one cursor per account, not
per competition): the raw mentions are kept in the store (the mention responder reads the bot's
from there) and each becomes an entry of every listing competition whose window holds it. Each
stream makes one run per cycle: its regular window, widened by start_time when a re-scan for
late-indexed posts is due (`bot.core.rescans`: recent every 15 minutes, wide once per UTC day,
final `late_grace` after the end); the re-scans a run covers are stamped done with its last page.
A page's posts are readings too: each newest version it returns is stored with a metric snapshot.
Then `refresh` re-reads the metrics of every tracked entry the cycle's pages did not return, 100
ids per request, following edits to the newest version (`bot.x.lookups`), storing one snapshot
per entry: a cold cycle costs its search pages and no look-up. Pages are stored while the next
ones are fetched (`bot.polling.pipeline`: in order, in one worker thread, those that waited stored
together); a stream's cursor (and its re-scan stamps) only move in the transaction of the run's
last page, so a crash mid-pagination re-reads from the committed window. Windows, re-scans, cursor
moves and fallbacks are decided by the pure functions of `bot.core.polling` and
`bot.core.rescans`; this module fetches, calls them, and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.core.errors import ApiError, ForbiddenForTarget, InvalidRequest, StaleCursor
from bot.core.models import Competition, Page, Post
from bot.core.polling import (
    Cursor,
    CursorUpdate,
    SearchWindow,
    advance_cursor,
    batched,
    mentions_stream,
    merge_pages,
    search_stream,
    search_window,
    should_poll,
    stale_fallback_window,
    window_from,
)
from bot.core.rescans import (
    DEFAULT_RESCANS,
    RESCAN_KINDS,
    Rescan,
    RescanPolicy,
    SearchRun,
    covered,
    final_rescan,
    is_collection_complete,
    is_wide_pending,
    plan_run,
    recent_rescan,
    rescan_stream,
    search_rescans,
    wide_rescan,
)
from bot.polling.pipeline import StoreBehind
from bot.store import ACCOUNTS, Store
from bot.x.interface import XClient
from bot.x.lookups import lookup_newest
from bot.x.queries import build_search_queries

MAX_RESULTS = 100
FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)  # a reader's span has no end

Acting = Callable[[str], AbstractContextManager[object]]
"""Wraps the requests made for a unit (a competition id, or a reader's unit): the daemon renews
that unit's lease around them. The default does nothing."""


@dataclass(frozen=True)
class MentionsReader:
    """A reader of an account's mentions besides the competitions (the mention responder): the
    account's mentions are read at least from `since` on, the requests made as `unit`."""

    account_id: str
    since: datetime
    unit: str


@dataclass
class _Account:
    """One tracked account in a cycle: the due competitions listing it and its other readers."""

    user_id: str
    competitions: list[Competition] = field(default_factory=list)
    readers: list[MentionsReader] = field(default_factory=list)


@dataclass
class CompetitionPoll:
    """What one cycle did for one competition. `polled` is False when it was not due (not
    started, or already polled after its end); `error` names the failure that stopped it."""

    competition_id: str
    polled: bool = False
    pages: int = 0
    tweets: int = 0
    new_entries: int = 0
    unknown_accounts: tuple[str, ...] = ()
    error: str | None = None
    rescans: list[str] = field(default_factory=list)  # the widened runs: "recent", "wide", "final"


@dataclass
class CycleReport:
    """What a cycle did: per competition, and the refresh shared by all of them."""

    started_at: datetime
    finished_at: datetime | None = None
    competitions: list[CompetitionPoll] = field(default_factory=list)
    requests: int = 0
    lookups: int = 0
    refreshed: int = 0
    snapshots: int = 0
    problems: int = 0

    @property
    def ok(self) -> bool:
        return all(c.error is None for c in self.competitions)

    def describe(self) -> str:
        """One log line: what was polled, found and asked, and the re-scans for late-indexed
        posts."""
        polled = [c for c in self.competitions if c.polled]
        parts = [
            f"{len(polled)} competition(s) polled",
            f"{sum(c.tweets for c in polled)} tweets",
            f"{sum(c.new_entries for c in polled)} new entries",
            f"{self.requests} requests",
        ]
        rescans = [f"{c.competition_id} {kind}" for c in polled for kind in c.rescans]
        if rescans:
            parts.append("re-scans for late-indexed posts: " + ", ".join(rescans))
        return ", ".join(parts)


class Poller:
    """Polls competitions into the store. `overlap` is how far before the newest tweet seen each
    regular search re-reads; `rescans` how the re-scans for late-indexed posts are planned."""

    def __init__(
        self,
        client: XClient,
        store: Store,
        clock: Clock,
        *,
        overlap: timedelta = timedelta(minutes=2),
        rescans: RescanPolicy = DEFAULT_RESCANS,
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.overlap = overlap
        self.rescans = rescans
        self._user_ids: dict[str, str | None] = {}

    def is_complete(self, c: Competition, now: datetime | None = None) -> bool:
        """Whether the competition's collection is complete, so it may freeze and polling stops:
        its late grace has passed and every stream (each search query, each listed account's
        mentions) has run its final re-scan since (`bot.core.rescans.is_collection_complete`)."""
        at = now or self.clock.now()
        if at < c.end + c.late_grace:
            return False  # no need to ask the store
        streams = [search_stream(i) for i, _ in enumerate(build_search_queries(c.hashtags))]
        streams += [mentions_stream(uid) for uid in self._known_accounts(c)]
        finals = [self.store.done_at(c.id, rescan_stream("final", st)) for st in streams]
        return is_collection_complete(c.end, c.late_grace, at, finals)

    def run_cycle(self, competitions: Sequence[Competition]) -> CycleReport:
        """Poll every due competition, then refresh their entries' metrics. Failures that concern
        one competition (a rejected query, a forbidden target) are recorded in its report and the
        others go on; failures that would hit every request (rate limit, caps, credentials, outage)
        are recorded and re-raised for the daemon to back off."""
        self.store.sync_competitions(competitions, now=self.clock.now())
        report = self.ingest(competitions)
        due = [c for c in competitions if _poll_of(report, c.id).polled and _ok(report, c.id)]
        try:
            self.refresh([c.id for c in due], report, skip_read_since=report.started_at)
        except ApiError as exc:
            self._fail(report, due, exc)
            raise
        finished = self.clock.now()
        for c in due:
            self.store.record_poll(
                c.id,
                started_at=report.started_at,
                finished_at=finished,
                ok=True,
                counts=_counts(_poll_of(report, c.id)),
            )
        report.finished_at = finished
        return report

    def ingest(
        self,
        competitions: Sequence[Competition],
        *,
        readers: Sequence[MentionsReader] = (),
        acting: Acting | None = None,
    ) -> CycleReport:
        """Search and mentions of every due competition, without the metric refresh (the daemon
        refreshes at its own cadence). Each tracked account's mentions are read once, for every
        competition listing it and every reader. A competition whose own request is refused (a
        rejected query, a forbidden account) gets `error` and a failed poll record, the others go
        on; failures that concern every request are recorded for the competitions concerned and
        re-raised. Successful polls are NOT recorded here: the caller records them (`run_cycle`
        after its refresh, the daemon after this call)."""
        act: Acting = acting or _no_acting
        report = CycleReport(started_at=self.clock.now())
        due: list[Competition] = []
        for c in competitions:
            poll = CompetitionPoll(competition_id=c.id)
            report.competitions.append(poll)
            now = report.started_at
            if not should_poll(c.start, now, complete=self.is_complete(c, now)):
                continue
            poll.polled = True
            try:
                with act(c.id):
                    for index, query in enumerate(build_search_queries(c.hashtags)):
                        self._search(c, search_stream(index), query, poll, report)
            except (ForbiddenForTarget, InvalidRequest) as exc:
                self._reject(report, [c], exc)
                continue
            except ApiError as exc:
                self._fail(report, [c], exc)
                raise
            due.append(c)
        accounts = self._accounts(due, readers, act, report)
        for account in accounts.values():
            unit = account.competitions[0].id if account.competitions else account.readers[0].unit
            try:
                with act(unit):
                    self._mentions(account, report)
            except (ForbiddenForTarget, InvalidRequest) as exc:
                self._reject(report, account.competitions, exc)
            except ApiError as exc:
                self._fail(report, account.competitions, exc)
                raise
        report.finished_at = self.clock.now()
        return report

    def refresh(
        self,
        competition_ids: Sequence[str],
        report: CycleReport,
        *,
        skip_read_since: datetime | None = None,
    ) -> None:
        """Re-read the latest version of every tracked, not-deleted entry, 100 per request (plus
        one per batch holding posts edited since: their newest versions), and store a snapshot
        per entry (all with one `taken_at`) plus deleted/protected marks. With `skip_read_since`
        (`run_cycle`: its start), the entries with a reading since then are left out: a search or
        mentions page stores a snapshot of each post it returned, so they need no look-up."""
        targets = self.store.refresh_targets(competition_ids, unread_since=skip_read_since)
        taken_at = self.clock.now()
        for ids in batched(targets):
            looked = lookup_newest(self.client, ids)
            lookup = looked.lookup
            report.requests += looked.requests
            report.lookups += looked.requests
            report.refreshed += len(lookup.posts)
            report.problems += len(lookup.problems)
            report.snapshots += self.store.save_lookup(lookup, taken_at)

    # ------------------------------------------------------------------------------------------

    def _fail(self, report: CycleReport, comps: Sequence[Competition], exc: Exception) -> None:
        now = self.clock.now()
        for c in comps:
            poll = _poll_of(report, c.id)
            poll.error = str(exc)
            self.store.record_poll(
                c.id,
                started_at=report.started_at,
                finished_at=now,
                ok=False,
                counts=_counts(poll),
                error=poll.error,
            )
        report.finished_at = now

    def _reject(self, report: CycleReport, comps: Sequence[Competition], exc: Exception) -> None:
        for c in comps:
            if _poll_of(report, c.id).error is None:
                self._fail(report, [c], exc)

    def _accounts(
        self,
        due: Sequence[Competition],
        readers: Sequence[MentionsReader],
        act: Acting,
        report: CycleReport,
    ) -> dict[str, _Account]:
        """The accounts to read this cycle, by user id, each with its competitions and readers
        (handles resolved once per process: the store knows them after the first look-up)."""
        accounts: dict[str, _Account] = {}
        for c in due:
            unknown: list[str] = []
            with act(c.id):
                for handle in dict.fromkeys(a.lstrip("@").lower() for a in c.accounts):
                    user_id = self._user_id(handle, report)
                    if user_id is None:
                        unknown.append(handle)
                        continue
                    accounts.setdefault(user_id, _Account(user_id)).competitions.append(c)
            _poll_of(report, c.id).unknown_accounts = tuple(unknown)
        for r in readers:
            accounts.setdefault(r.account_id, _Account(r.account_id)).readers.append(r)
        return accounts

    def _known_accounts(self, c: Competition) -> list[str]:
        """User ids of the competition's accounts the bot has resolved (an unknown handle has no
        mentions stream)."""
        ids: list[str] = []
        for handle in dict.fromkeys(a.lstrip("@").lower() for a in c.accounts):
            user_id = self._user_ids.get(handle)
            if user_id is None:
                user = self.store.account_by_username(handle)
                user_id = user.id if user else None
            if user_id is not None:
                ids.append(user_id)
        return ids

    def _search(
        self, c: Competition, stream: str, query: str, poll: CompetitionPoll, report: CycleReport
    ) -> None:
        now = self.clock.now()
        cursor = self.store.get_cursor(c.id, stream)
        regular = search_window(c.start, c.end, cursor, now, overlap=self.overlap)
        if regular is None:
            return
        marks = {k: self.store.done_at(c.id, rescan_stream(k, stream)) for k in RESCAN_KINDS}
        stalest = self.store.stalest_read(c.id) if is_wide_pending(marks["wide"], now) else None
        rescans = search_rescans(
            c.start,
            c.end,
            now,
            marks,
            late_grace=c.late_grace,
            stalest_read=stalest,
            policy=self.rescans,
        )
        run = plan_run(regular, rescans)
        if run.widened:
            poll.rescans.append(run.label)
        done: list[SearchRun] = [run]  # the run whose last page stamps its re-scans

        def fetch(w: SearchWindow) -> Callable[[str | None], Page]:
            def read(token: str | None) -> Page:
                page = self.client.search_recent(
                    query,
                    since_id=w.since_id,
                    start_time=w.start_time,
                    end_time=w.end_time,
                    next_token=token,
                    max_results=MAX_RESULTS,
                )
                poll.pages += 1
                poll.tweets += len(page.posts)
                return page

            return read

        def save(page: Page, update: CursorUpdate) -> None:
            last = update.pending_next_token is None
            poll.new_entries += self.store.save_page(
                c.id,
                stream,
                page,
                now=self.clock.now(),
                cursor_update=update,
                marks=[rescan_stream(r.kind, stream) for r in done[0].covers] if last else (),
            )

        try:
            self._paginate(cursor, fetch(run.window), save, report)
        except StaleCursor:
            if run.window.since_id is None:
                raise
            # The 7-day horizon passed our since_id (e.g. a week offline): what lies beyond it
            # can no longer be read; read everything still readable from the start_time floor.
            self.store.drop_cursor(c.id, stream)
            done[0] = _fallback(run, c.start, now, rescans)
            self._paginate(None, fetch(done[0].window), save, report)

    def _mentions(self, account: _Account, report: CycleReport) -> None:
        """One paginated run of the account's mentions for all its competitions and readers. A
        competition not yet marked as read on this stream (new, or added to the config later)
        makes the run start from the earliest start instead of the account's cursor."""
        now = self.clock.now()
        stream = mentions_stream(account.user_id)
        comps = account.competitions
        start = min([c.start for c in comps] + [r.since for r in account.readers])
        end = max([c.end for c in comps] + [FAR_FUTURE if account.readers else start])
        cursor = self.store.get_cursor(ACCOUNTS, stream)
        fresh = [c.id for c in comps if self.store.get_cursor(c.id, stream) is None]
        regular = search_window(start, end, None if fresh else cursor, now, overlap=self.overlap)
        if regular is None:
            return
        rescans = self._mention_rescans(account, stream, now)
        run = plan_run(regular, rescans)
        for c in comps if run.widened else ():
            _poll_of(report, c.id).rescans.append(f"mentions {run.label}")
        done: list[SearchRun] = [run]
        joined = [c.id for c in comps]

        def fetch(w: SearchWindow) -> Callable[[str | None], Page]:
            def read(token: str | None) -> Page:
                page = self.client.mentions(
                    account.user_id,
                    since_id=w.since_id,
                    start_time=w.start_time,
                    pagination_token=token,
                    max_results=MAX_RESULTS,
                )
                for c in comps:
                    _poll_of(report, c.id).pages += 1
                return page

            return read

        def save(page: Page, update: CursorUpdate) -> None:
            last = update.pending_next_token is None
            entries: dict[str, list[Post]] = {
                c.id: [t for t in page.posts if c.start <= t.created_at < c.end] for c in comps
            }
            marks = [(r.owner or ACCOUNTS, rescan_stream(r.kind, stream)) for r in done[0].covers]
            added = self.store.save_mentions(
                account.user_id,
                stream,
                page.posts,
                page.accounts,
                now=self.clock.now(),
                entries=entries,
                cursor_update=update,
                # Only the run's last page marks the competitions as read from their start.
                joined=joined if last else (),
                marks=marks if last else (),
            )
            for c in comps:
                poll = _poll_of(report, c.id)
                poll.tweets += len(entries[c.id])
                poll.new_entries += added.get(c.id, 0)

        try:
            self._paginate(cursor if not fresh else None, fetch(run.window), save, report)
        except StaleCursor:
            if run.window.since_id is None:
                raise
            self.store.drop_cursor(ACCOUNTS, stream)
            done[0] = _fallback(run, start, now, rescans)
            self._paginate(None, fetch(done[0].window), save, report)

    def _mention_rescans(self, account: _Account, stream: str, now: datetime) -> list[Rescan]:
        """The re-scans an account's mentions stream owes its competitions: recent and wide over
        their combined window (stamped under `ACCOUNTS`), and each competition's final re-scan
        (stamped under the competition). The responder's reading needs none."""
        comps = account.competitions
        if not comps:
            return []
        start, end = min(c.start for c in comps), max(c.end for c in comps)
        last_wide = self.store.done_at(ACCOUNTS, rescan_stream("wide", stream))
        stalest: datetime | None = None
        if is_wide_pending(last_wide, now):
            reads = [r for r in (self.store.stalest_read(c.id) for c in comps) if r is not None]
            stalest = min(reads, default=None)
        found = [
            recent_rescan(
                start,
                end,
                now,
                self.store.done_at(ACCOUNTS, rescan_stream("recent", stream)),
                policy=self.rescans,
            ),
            wide_rescan(start, end, now, last_wide, stalest_read=stalest, policy=self.rescans),
        ]
        found += [
            final_rescan(
                c.start,
                c.end,
                now,
                self.store.done_at(c.id, rescan_stream("final", stream)),
                late_grace=c.late_grace,
                owner=c.id,
            )
            for c in comps
        ]
        return [r for r in found if r is not None]

    def _paginate(
        self,
        cursor: Cursor | None,
        fetch: Callable[[str | None], Page],
        save: Callable[[Page, CursorUpdate], None],
        report: CycleReport,
    ) -> None:
        """Read every page of one run. Intermediate pages are stored with the OLD cursor (plus
        the pending token, for the record); the last page moves the cursor past all the run saw.
        Pages are stored while the next ones are fetched (`StoreBehind`: in order, those waiting
        together in one transaction, a failed store raised before anything after it is stored).
        """
        progress = cursor
        token: str | None = None

        def store(item: tuple[Page, CursorUpdate]) -> None:
            save(*item)

        def combine(items: Sequence[tuple[Page, CursorUpdate]]) -> tuple[Page, CursorUpdate]:
            return merge_pages([page for page, _ in items]), items[-1][1]

        with StoreBehind(store, combine) as behind:
            while True:
                page = fetch(token)
                report.requests += 1
                moved = advance_cursor(progress, page.posts)
                progress = Cursor(
                    since_id=moved.since_id, newest_created_at=moved.newest_created_at
                )
                if page.next_token:
                    behind.store(
                        (
                            page,
                            CursorUpdate(
                                since_id=cursor.since_id if cursor else None,
                                newest_created_at=cursor.newest_created_at if cursor else None,
                                pending_next_token=page.next_token,
                            ),
                        )
                    )
                    token = page.next_token
                    continue
                behind.store((page, moved))
                return

    def _user_id(self, handle: str, report: CycleReport) -> str | None:
        if handle in self._user_ids:
            return self._user_ids[handle]
        user = self.store.account_by_username(handle)
        if user is None:
            user = self.client.get_user(handle)
            report.requests += 1
            if user is not None:
                self.store.save_accounts([user], now=self.clock.now())
        self._user_ids[handle] = user.id if user else None
        return user.id if user else None


def _fallback(
    run: SearchRun, start: datetime, now: datetime, rescans: Sequence[Rescan]
) -> SearchRun:
    """The run to retry with after the API called `run`'s since_id stale: from the start_time
    floor (as of the planning instant, so it covers the re-scans planned from that floor)."""
    window = stale_fallback_window(run.window, start, now)
    read_from = window_from(window)
    return SearchRun(window, read_from, covered(read_from, rescans), widened=True)


def _no_acting(unit: str) -> AbstractContextManager[object]:
    return nullcontext()


def _poll_of(report: CycleReport, competition_id: str) -> CompetitionPoll:
    return next(p for p in report.competitions if p.competition_id == competition_id)


def _ok(report: CycleReport, competition_id: str) -> bool:
    return _poll_of(report, competition_id).error is None


def _counts(poll: CompetitionPoll) -> dict[str, int]:
    return {"pages": poll.pages, "tweets": poll.tweets, "new_entries": poll.new_entries}
