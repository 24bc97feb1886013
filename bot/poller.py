"""The poller: search + mentions + metric refresh -> store, losing nothing and wasting no request.

One cycle, for each competition that still needs polling (`bot.core.polling.should_poll`): search
its hashtag queries (`bot.core.queries`), `max_results=100`, paginating to exhaustion, then the
mentions of each of its accounts; then re-read the metrics of every tracked entry through
`lookup_tweets`, 100 ids per request, storing one snapshot per entry per refresh. Each page is
stored as it arrives; the stream's cursor only moves in the transaction of the run's last page, so
a crash mid-pagination re-reads from the committed window. Windows, cursor moves and fallbacks are
decided by the pure functions of `bot.core.polling`; this module fetches, calls them, and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.core.models import Competition, Page
from bot.core.polling import (
    Cursor,
    CursorUpdate,
    SearchWindow,
    advance_cursor,
    batched,
    mentions_stream,
    search_stream,
    search_window,
    should_poll,
    stale_fallback_window,
)
from bot.core.queries import build_search_queries
from bot.store import Store
from bot.x.errors import ForbiddenForTarget, InvalidRequest, StaleCursor, XApiError
from bot.x.interface import XClient

MAX_RESULTS = 100


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


class Poller:
    """Polls competitions into the store. `overlap` is how far before the newest tweet seen each
    search re-reads (late indexing), and how long after a competition's end the last poll waits."""

    def __init__(
        self,
        client: XClient,
        store: Store,
        clock: Clock,
        *,
        overlap: timedelta = timedelta(minutes=2),
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.overlap = overlap
        self._user_ids: dict[str, str | None] = {}

    def run_cycle(self, competitions: Sequence[Competition]) -> CycleReport:
        """Poll every due competition, then refresh their entries' metrics. Failures that concern
        one competition (a rejected query, a forbidden target) are recorded in its report and the
        others go on; failures that would hit every request (rate limit, caps, credentials, outage)
        are recorded and re-raised for the daemon to back off."""
        started = self.clock.now()
        report = CycleReport(started_at=started)
        self.store.sync_competitions(competitions, now=started)
        due: list[Competition] = []
        for c in competitions:
            poll = CompetitionPoll(competition_id=c.id)
            report.competitions.append(poll)
            if not should_poll(
                c.start, c.end, started, self.store.last_poll(c.id), settle=self.overlap
            ):
                continue
            poll.polled = True
            try:
                self._ingest(c, poll, report)
            except (ForbiddenForTarget, InvalidRequest) as exc:
                poll.error = str(exc)
                self.store.record_poll(
                    c.id,
                    started_at=started,
                    finished_at=self.clock.now(),
                    ok=False,
                    counts=_counts(poll),
                    error=poll.error,
                )
                continue
            except XApiError as exc:
                self._fail(report, [c], exc)
                raise
            due.append(c)
        try:
            self.refresh([c.id for c in due], report)
        except XApiError as exc:
            self._fail(report, due, exc)
            raise
        finished = self.clock.now()
        for c in due:
            poll = next(p for p in report.competitions if p.competition_id == c.id)
            self.store.record_poll(
                c.id, started_at=started, finished_at=finished, ok=True, counts=_counts(poll)
            )
        report.finished_at = finished
        return report

    def refresh(self, competition_ids: Sequence[str], report: CycleReport) -> None:
        """Re-read the latest version of every tracked, not-deleted entry, 100 per request, and
        store a snapshot per entry (all with one `taken_at`) plus deleted/protected marks."""
        targets = self.store.refresh_targets(competition_ids)
        taken_at = self.clock.now()
        for ids in batched(targets):
            lookup = self.client.lookup_tweets(ids)
            report.requests += 1
            report.lookups += 1
            report.refreshed += len(lookup.tweets)
            report.problems += len(lookup.problems)
            report.snapshots += self.store.save_lookup(lookup, taken_at)

    # ------------------------------------------------------------------------------------------

    def _fail(self, report: CycleReport, comps: Sequence[Competition], exc: Exception) -> None:
        now = self.clock.now()
        for c in comps:
            poll = next(p for p in report.competitions if p.competition_id == c.id)
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

    def _ingest(self, c: Competition, poll: CompetitionPoll, report: CycleReport) -> None:
        for index, query in enumerate(build_search_queries(c.hashtags)):
            self._search(c, search_stream(index), query, poll, report)
        unknown: list[str] = []
        for account in c.accounts:
            user_id = self._user_id(account, report)
            if user_id is None:
                unknown.append(account)
                continue
            self._mentions(c, user_id, poll, report)
        poll.unknown_accounts = tuple(unknown)

    def _search(
        self, c: Competition, stream: str, query: str, poll: CompetitionPoll, report: CycleReport
    ) -> None:
        now = self.clock.now()
        cursor = self.store.get_cursor(c.id, stream)
        window = search_window(c.start, c.end, cursor, now, overlap=self.overlap)
        if window is None:
            return

        def fetch(w: SearchWindow) -> Callable[[str | None], Page]:
            return lambda token: self.client.search_recent(
                query,
                since_id=w.since_id,
                start_time=w.start_time,
                end_time=w.end_time,
                next_token=token,
                max_results=MAX_RESULTS,
            )

        try:
            self._paginate(c.id, stream, cursor, fetch(window), poll, report)
        except StaleCursor:
            if window.since_id is None:
                raise
            # The 7-day horizon passed our since_id (e.g. a week offline): what lies beyond it
            # can no longer be read; read everything still readable from the start_time floor.
            self.store.drop_cursor(c.id, stream)
            fallback = stale_fallback_window(window, c.start, self.clock.now())
            self._paginate(c.id, stream, None, fetch(fallback), poll, report)

    def _mentions(
        self, c: Competition, user_id: str, poll: CompetitionPoll, report: CycleReport
    ) -> None:
        now = self.clock.now()
        stream = mentions_stream(user_id)
        cursor = self.store.get_cursor(c.id, stream)
        window = search_window(c.start, c.end, cursor, now, overlap=self.overlap)
        if window is None:
            return

        def fetch(w: SearchWindow) -> Callable[[str | None], Page]:
            return lambda token: self.client.mentions(
                user_id,
                since_id=w.since_id,
                start_time=w.start_time,
                pagination_token=token,
                max_results=MAX_RESULTS,
            )

        try:
            self._paginate(c.id, stream, cursor, fetch(window), poll, report)
        except StaleCursor:
            if window.since_id is None:
                raise
            self.store.drop_cursor(c.id, stream)
            fallback = stale_fallback_window(window, c.start, self.clock.now())
            self._paginate(c.id, stream, None, fetch(fallback), poll, report)

    def _paginate(
        self,
        competition_id: str,
        stream: str,
        cursor: Cursor | None,
        fetch: Callable[[str | None], Page],
        poll: CompetitionPoll,
        report: CycleReport,
    ) -> None:
        """Read every page of one run. Intermediate pages are stored with the OLD cursor (plus
        the pending token, for the record); the last page moves the cursor past all the run saw."""
        progress = cursor
        token: str | None = None
        while True:
            page = fetch(token)
            report.requests += 1
            poll.pages += 1
            poll.tweets += len(page.tweets)
            moved = advance_cursor(progress, page.tweets)
            progress = Cursor(since_id=moved.since_id, newest_created_at=moved.newest_created_at)
            if page.next_token:
                keep = CursorUpdate(
                    since_id=cursor.since_id if cursor else None,
                    newest_created_at=cursor.newest_created_at if cursor else None,
                    pending_next_token=page.next_token,
                )
                poll.new_entries += self.store.save_page(
                    competition_id, stream, page, now=self.clock.now(), cursor_update=keep
                )
                token = page.next_token
                continue
            poll.new_entries += self.store.save_page(
                competition_id, stream, page, now=self.clock.now(), cursor_update=moved
            )
            return

    def _user_id(self, account: str, report: CycleReport) -> str | None:
        handle = account.lstrip("@")
        if handle.lower() in self._user_ids:
            return self._user_ids[handle.lower()]
        user = self.store.user_by_username(handle)
        if user is None:
            user = self.client.get_user(handle)
            report.requests += 1
            if user is not None:
                self.store.save_users([user], now=self.clock.now())
        self._user_ids[handle.lower()] = user.id if user else None
        return user.id if user else None


def _counts(poll: CompetitionPoll) -> dict[str, int]:
    return {"pages": poll.pages, "tweets": poll.tweets, "new_entries": poll.new_entries}
