"""The long-running daemon behind `contestbot run`: jobs on a `schedule` scheduler, leases, backoff.

`Daemon(config, client, store, clock, instance_id=...)` owns one `ClockedScheduler` (never
`schedule`'s module default) with these jobs: `leases` (heartbeat, then acquire, renew or release
the competition leases `bot.core.lease.assign` gives this instance), `poll` (search and mentions of
each held competition into the store, with the re-scans for late-indexed posts of
`bot.core.rescans`, until the final re-scan `late_grace` after the end), `refresh` (re-read entries
at the adaptive cadence of `bot.core.cadence`, stretched by the budget factor of `bot.core.budget`,
and collect the replies of distinct-repliers competitions every `REPLIES_EVERY`, stretched
likewise; after the end: the final snapshot, first readings of posts found late, and once the final
re-scan is done `bot.freezer.freeze_if_due` freezes), `post` (the poster and the mention responder,
under the pseudo-competition lease `POSTING`), `own_posts` (every `[reports] own_posts_every`,
unless "off": metric snapshots of the bot's sent posts and the organisers' timeline posts while a
held competition is in its tracking window, `bot.polling.own_posts`), `reports` (every `[reports]
every`, unless "off": the organiser's report and the public results page of each held competition
that runs, rewritten into the data folder's `reports/`, `bot.report.job`; store reads only) and
`housekeeping`. An instance only acts on competitions whose lease it holds, renewed before every
API request of a step and recorded as an acting interval (`job_runs`). Every failure is caught per
job, logged, recorded for `contestbot status`, and delays that job as `bot.core.backoff` decides
(`bot.daemon.failures`): until the reset of a rate limit, exponentially with jitter for outages,
slowly for persistent failures (credits, credentials, usage caps: those pause every API job). Job
bodies live in `bot.daemon.jobs`, options in `bot.daemon.options`. The loop sleeps until the next
job, capped, on the injected clock. SIGTERM/SIGINT finish the current step and exit; a second
signal forces the exit.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import FrameType

from loguru import logger

from bot.clock import Clock
from bot.config import Config
from bot.config.reports import reports_of
from bot.core.lease import Lease, assign, should_renew
from bot.core.messages import one_line
from bot.core.models import Competition
from bot.core.status import InstanceStatus
from bot.daemon import failures, jobs
from bot.daemon.options import (
    BadOption,
    DaemonOptions,
    build_options,
    data_dir,
    default_instance_id,
    heartbeat_path,
)
from bot.daemon.scheduling import ClockedJob, ClockedScheduler, capped_sleep
from bot.daemon.state import API_JOBS, POSTING, DaemonState, Gate, LeaseLost
from bot.polling.metering import MeteredClient
from bot.polling.own_posts import OwnPostsTracker
from bot.polling.poller import Poller
from bot.store import Store
from bot.store.ops import ApiCall, OpsStore
from bot.x.interface import XClient

__all__ = [
    "POSTING",
    "BadOption",
    "Daemon",
    "DaemonOptions",
    "LeaseLost",
    "build_options",
    "data_dir",
    "heartbeat_path",
]


class Daemon:
    def __init__(
        self,
        config: Config,
        client: XClient,
        store: Store,
        clock: Clock,
        *,
        instance_id: str | None = None,
        dry_run: bool = False,
        options: DaemonOptions | None = None,
        user_context: bool = True,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.me = instance_id or default_instance_id()
        self.dry_run = dry_run or config.bot.dry_run
        self.options = options or DaemonOptions()
        self.ops = OpsStore(store)
        self.rand = random.Random(self.options.seed)
        self.client = MeteredClient(
            client, clock, self._record_call, self.options.pricing, before=self._before_request
        )
        self.poller = Poller(self.client, store, clock, rescans=self.options.rescans)
        self.competitions = {c.id: c for c in config.competitions}
        self.own_posts_tracker = OwnPostsTracker(self.client, store, config)
        self.state = DaemonState()
        self.user_context = user_context
        self.started_at = clock.now()
        self.stop_event = threading.Event()
        self.scheduler = ClockedScheduler(clock)
        self._schedule()

    def __repr__(self) -> str:
        return f"Daemon(instance_id={self.me!r}, competitions={list(self.competitions)})"

    # ------------------------------------------------------------------------------------------
    # Schedule and loop
    # ------------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        o = self.options
        every = self.scheduler.every
        lease_every = max(0.5, o.lease_ttl.total_seconds() / 4)
        every(lease_every).named("leases").do(self._guard, "leases", self.renew_leases).run_now()
        poll_s = o.poll_interval.total_seconds()
        every(poll_s).named("poll").do(self._guard, "poll", self.poll).run_now()
        every(poll_s).named("refresh").do(self._guard, "refresh", self.refresh).run_now()
        if self.posting_enabled():
            every(o.posting_interval.total_seconds()).named("post").do(
                self._guard, "post", self.post
            ).run_now()
        if self.own_posts_enabled():
            own_every = self.own_posts_tracker.every
            assert own_every is not None
            every(own_every.total_seconds()).named("own_posts").do(
                self._guard, "own_posts", self.own_posts
            ).run_now()
        reports_every = self.reports_every()
        if reports_every is not None:
            every(reports_every.total_seconds()).named("reports").do(
                self._guard, "reports", self.reports
            )
        every(6 * 3600).named("housekeeping").do(self._guard, "housekeeping", self.housekeeping)

    def job(self, name: str) -> ClockedJob:
        return self.scheduler.job(name)

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def stop(self) -> None:
        self.stop_event.set()

    def run_once(self) -> list[Exception]:
        """One full cycle whatever the schedule (what `run --once` does): leases, poll, refresh
        (and freeze), own posts (when a run is due: the interval counts between runs of any
        instance), post. Returns the failures met (also logged and recorded for `status`)."""
        self.state.cycle_errors = []
        self.state.open_gates()  # --once means: try now
        self.state.once = True
        try:
            for name, fn in (
                ("leases", self.renew_leases),
                ("poll", self.poll),
                ("refresh", self.refresh),
                ("own_posts", self.own_posts),
                ("post", self.post),
                ("reports", self.reports),
            ):
                if name == "post" and not self.posting_enabled():
                    continue
                if name == "own_posts" and not self.own_posts_enabled():
                    continue
                if name == "reports" and self.reports_every() is None:
                    continue
                self._guard(name, fn)
        finally:
            self.state.once = False
        self.write_heartbeat()
        return list(self.state.cycle_errors)

    def run_forever(self) -> int:
        """Run until stopped (SIGTERM/SIGINT, or `stop()`); returns the exit code (0)."""
        with self._signals():
            while not self.stopping:
                self.scheduler.run_pending()
                self.write_heartbeat()
                if self.stopping:
                    break
                self._sleep(capped_sleep(self.scheduler.idle_seconds, cap=self.options.max_sleep))
        self.shutdown()
        return 0

    def _sleep(self, seconds: float) -> None:
        # Slices of at most a clock second, so a stop request is seen within about a second.
        remaining = seconds
        while remaining > 0 and not self.stopping:
            step = min(self.options.sleep_slice, remaining)
            self.clock.sleep(step)
            remaining -= step

    def shutdown(self) -> None:
        """Release the leases (another instance takes over at once) and mark this one stopped."""
        now = self.clock.now()
        for cid in list(self.state.held):
            try:
                self.ops.release(cid, self.me, now=now)
            except Exception as exc:  # the database may be the reason we stop
                logger.warning("could not release the lease of {}: {}", cid, one_line(exc))
        self.state.held.clear()
        if self.state.stopped:
            return
        self.state.stopped = True
        try:
            self.ops.stop_instance(self.me, now=now)
        except Exception as exc:
            logger.warning("could not mark instance {} stopped: {}", self.me, one_line(exc))
        self.write_heartbeat(stopped=True)

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handle(signum: int, frame: FrameType | None) -> None:
            if self.stopping:
                raise KeyboardInterrupt  # a second signal: leave now
            logger.info(
                "{} received: finishing the current step, then stopping",
                signal.Signals(signum).name,
            )
            self.stop()

        previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    # ------------------------------------------------------------------------------------------
    # Failure handling
    # ------------------------------------------------------------------------------------------

    def _guard(self, name: str, fn: Callable[[], datetime | None]) -> datetime | None:
        """Run one job; never raise. Returns when the job should run next (None: its interval)."""
        gate = self.state.gates[name]
        now = self.clock.now()
        if gate.until is not None and now < gate.until:
            return gate.until
        if self.stopping:
            return None
        try:
            result = fn()
        except Exception as exc:
            return self._failed(name, exc)
        if gate.failures:
            logger.info(
                "{}: the X API answers again after {} failure(s); catching up", name, gate.failures
            )
            if name in API_JOBS:
                self._catch_up(except_job=name)
        self.state.gates[name] = Gate()
        return result

    def _failed(self, name: str, exc: Exception) -> datetime:
        competition = self.state.acting[0] if self.state.acting else None
        return failures.fail(self, name, exc, competition=competition)

    def _catch_up(self, *, except_job: str) -> None:
        failures.catch_up(self, except_job=except_job)

    # ------------------------------------------------------------------------------------------
    # Leases and acting
    # ------------------------------------------------------------------------------------------

    def renew_leases(self) -> None:
        now = self.clock.now()
        ttl = self.options.lease_ttl
        if not self.state.synced:
            # Entries reference their competition row. Idempotent under concurrency (insert or
            # nothing): two instances starting together both pass.
            self.store.sync_competitions(list(self.competitions.values()), now=now)
            self.state.synced = True
        self.ops.heartbeat(
            self.me,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            started_at=self.started_at,
            now=now,
            state=self.status().to_json(),
        )
        live = self.ops.live_instances(now=now, within=ttl)
        units = sorted(self.competitions) + ([POSTING] if self.posting_enabled() else [])
        mine = set(assign(units, live, self.me))
        for cid in units:
            if cid in mine or cid in self.state.held:
                if cid not in mine:
                    # Assigned elsewhere now: hand it over between steps.
                    self.ops.release(cid, self.me, now=now)
                    del self.state.held[cid]
                    logger.info("lease of {} handed over (rebalancing)", cid)
                    continue
                if cid in self.state.held and not should_renew(
                    _lease(cid, self.me, self.state.held[cid]), now, ttl
                ):
                    continue
                if self.ops.acquire(cid, self.me, now=now, ttl=ttl):
                    if cid not in self.state.held:
                        logger.info("holding the lease of {}", cid)
                    self.state.held[cid] = now + ttl
                elif cid in self.state.held:
                    logger.warning("lost the lease of {} to another instance", cid)
                    del self.state.held[cid]

    def _renew(self, cid: str) -> datetime:
        now = self.clock.now()
        if not self.ops.acquire(cid, self.me, now=now, ttl=self.options.lease_ttl):
            self.state.lost_at = self.state.held.pop(cid, None)
            raise LeaseLost(f"lost the lease of {cid}; another instance acts on it now")
        self.state.held[cid] = now + self.options.lease_ttl
        return self.state.held[cid]

    def _before_request(self) -> None:
        # Called before every API request: a step never talks to X without a live lease.
        if self.state.acting is None:
            return
        cid, run_id = self.state.acting
        expiry = self.state.held.get(cid)
        if expiry is None or should_renew(
            _lease(cid, self.me, expiry), self.clock.now(), self.options.lease_ttl
        ):
            self.ops.extend_job(run_id, lease_expires_at=self._renew(cid))

    @contextmanager
    def acting(self, cid: str, job: str) -> Iterator[None]:
        """Renew `cid`'s lease, record the acting interval, run the step, close the interval."""
        expires = self._renew(cid)
        run_id = self.ops.start_job(
            self.me, cid, job, now=self.clock.now(), lease_expires_at=expires
        )
        self.state.acting = (cid, run_id)
        try:
            yield
        except BaseException as exc:
            self.state.acting = None
            end = self.clock.now()
            if isinstance(exc, LeaseLost) and self.state.lost_at is not None:
                # We stopped acting when the lease ran out, before the failed renewal.
                end = min(end, self.state.lost_at)
            self.ops.finish_job(run_id, now=end, ok=False, detail=one_line(exc))
            raise
        self.state.acting = None
        self.ops.finish_job(run_id, now=self.clock.now(), ok=True, detail=None)

    def held_competitions(self) -> list[Competition]:
        return [self.competitions[c] for c in sorted(self.state.held) if c in self.competitions]

    # Job steps (bodies in bot.daemon.jobs)

    def poll(self) -> None:
        jobs.poll(self)

    def refresh(self) -> datetime | None:
        return jobs.refresh(self)

    def post(self) -> None:
        jobs.post(self)

    def own_posts(self) -> datetime | None:
        return jobs.own_posts(self)

    def status(self) -> InstanceStatus:
        return jobs.status(self)

    def write_heartbeat(self, *, stopped: bool = False) -> None:
        jobs.write_heartbeat(self, stopped=stopped)

    def reports(self) -> None:
        """Rewrite the report pages of the held competitions that run (`bot.report.job`): store
        reads only, no API request."""
        from bot.report.job import refresh_reports, reports_root

        assert self.options.data_dir is not None
        root = reports_root(self.config, self.options.data_dir)
        written = refresh_reports(
            self.store, self.config, held=self.state.held, now=self.clock.now(), root=root
        )
        for w in written:
            logger.info("reports: {} rewritten in {}", w.competition_id, w.folder)

    def housekeeping(self) -> None:
        removed = self.ops.prune(now=self.clock.now())
        if removed:
            logger.info("housekeeping: {} old ledger/error/job rows removed", removed)

    # ------------------------------------------------------------------------------------------

    def reports_every(self) -> timedelta | None:
        """The `reports` job's interval; None when `[reports] every = "off"` or the daemon was
        built without a data folder (tests, the demo's own wiring)."""
        if self.options.data_dir is None:
            return None
        return reports_of(self.config.sections).every

    def own_posts_enabled(self) -> bool:
        return reports_of(self.config.sections).own_posts_every is not None

    def posting_enabled(self) -> bool:
        from bot.posting.planner import posting_of

        return self.user_context and posting_of(self.config).enabled

    def _record_call(self, call: ApiCall) -> None:
        try:
            self.ops.record_calls(self.me, [call])
        except Exception as exc:
            logger.warning("could not record an API call in the ledger: {}", one_line(exc))


def _lease(cid: str, me: str, expires: datetime) -> Lease:
    return Lease(cid, me, expires)
