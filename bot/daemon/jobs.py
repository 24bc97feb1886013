"""What the daemon does, job by job.

The job bodies take the daemon as a `bot.daemon.state.Runtime` (its leases, store, metered client
and clock) and its typed `DaemonState`: `poll` (search and mentions of each held competition, with
the re-scans for late-indexed posts), `refresh` (the adaptive cadence of `bot.core.cadence`,
stretched by the budget factor, every look-up following edits to the newest version; ended
competitions go to `freeze`: the final snapshot at the end, a first reading of each post found late
during the late grace, and the freeze through `bot.freezer` once the final re-scan is done), `post`
(the poster and the mention responder), `own_posts` (metric snapshots of the bot's and the
organisers' own posts for the post analysis, `bot.polling.own_posts`), `status` (what `contestbot
status` shows, a `bot.core.status.InstanceStatus`) and the heartbeat file (`write_heartbeat`). Each
step runs inside `Daemon.acting`, so it holds a live lease and leaves an acting interval in
`job_runs`. The daemon's options (`DaemonOptions`, `build_options`) live in `bot.daemon.options`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import datetime, timedelta

from loguru import logger

from bot.core.analysis import is_own_posts_run_due, next_own_posts_run, should_track_here
from bot.core.audience import account_mismatch
from bot.core.budget import Usage, budget_factor, projection, warning
from bot.core.cadence import Tracked, plan_refresh
from bot.core.mentions import MAX_AGE
from bot.core.models import Competition
from bot.core.phases import freeze_wait, next_refresh_run, refresh_phase
from bot.core.polling import REPLIES_STREAM, should_collect_replies
from bot.core.status import BlockedJob, Heartbeat, InstanceStatus
from bot.core.timefmt import iso_z
from bot.daemon import failures
from bot.daemon.scheduling import ClockedJob
from bot.daemon.state import POSTING, PostingStopped, Runtime
from bot.polling.poller import MentionsReader
from bot.posting.planner import StoredResults
from bot.posting.poster import Poster
from bot.posting.responder import Responder
from bot.store.ops import OpsError
from bot.x.lookups import lookup_newest

# ----------------------------------------------------------------------------------------------
# Jobs
# ----------------------------------------------------------------------------------------------


def poll(d: Runtime) -> None:
    """Search of every held competition that still needs polling, and the mentions of their
    accounts (plus the bot's own, for the responder, while this instance holds the posting lease),
    each account read once (`bot.polling.poller.Poller.ingest`). Pages and cursors commit as they
    go; each
    request is made under the lease of the competition (or of posting) it serves."""
    comps = d.held_competitions()
    readers = mention_readers(d)
    if not comps and not readers:
        return
    report = d.poller.ingest(comps, readers=readers, acting=lambda unit: d.acting(unit, "poll"))
    finished = d.clock.now()
    for p in report.competitions:
        if not p.polled:
            continue
        if p.error is not None:
            # Refused for this competition only (a rejected query, a forbidden account): the
            # others went on; status shows it, and the next poll tries again.
            logger.warning("poll of {} refused: {}", p.competition_id, p.error)
            record_error(d, "poll", p.competition_id, p.error, finished)
            continue
        d.store.record_poll(
            p.competition_id,
            started_at=report.started_at,
            finished_at=finished,
            ok=True,
            counts={"pages": p.pages, "tweets": p.tweets, "new_entries": p.new_entries},
        )
    if any(p.polled for p in report.competitions):
        logger.info("poll cycle done: {}", report.describe())
    keep_leaderboards(d, comps)


def keep_leaderboards(d: Runtime, comps: Sequence[Competition]) -> None:
    """Apply what the store just wrote to each competition's live leaderboard rows
    (`bot.leaderboard.keep`), so the leaderboard command and the posts read them ready."""
    from bot.leaderboard import keep
    from bot.store.live import LiveStore

    for c in comps:
        if d.stopping:
            return
        keep(d.store, c, d.clock.now(), bot_username=d.config.bot.username)
    # A competition taken out of the config is read no more: its rows would hold the log back.
    gone = LiveStore(d.store).release_others(c.id for c in d.config.competitions)
    if gone:
        logger.info("live leaderboard rows dropped for competitions no longer configured: {}", gone)


def mention_readers(d: Runtime) -> list[MentionsReader]:
    """The bot's account, read for the mention responder, while this instance posts."""
    if POSTING not in d.state.held or not d.posting_enabled():
        return []
    try:
        _, responder = posting(d)
    except PostingStopped:
        return []  # posting cannot start (the post job says why); the competitions still poll
    return [MentionsReader(responder.bot_user_id, d.clock.now() - MAX_AGE, POSTING)]


def record_error(d: Runtime, job: str, competition_id: str, message: str, at: datetime) -> None:
    """Record a refusal about one competition (the others went on) for `status`."""
    failures.record(
        d,
        OpsError(
            at=at,
            instance_id=d.me,
            job=job,
            competition_id=competition_id,
            kind="rejected",
            persistent=False,
            message=message[:2000],
        ),
    )


def refresh(d: Runtime) -> datetime | None:
    """Re-read the entries due at the adaptive cadence; freeze ended competitions whose final
    poll is done. Returns when the next entry falls due."""
    now = d.clock.now()
    update_budget(d, now)
    next_due: list[datetime] = []
    refreshed = 0
    for c in d.held_competitions():
        if d.stopping:
            break
        phase = refresh_phase(c, now)
        if phase == "waiting":
            next_due.append(c.start)
            continue
        if phase == "ended":
            again = freeze(d, c, now)
            if again is not None:
                next_due.append(again)
            continue
        plan = plan_refresh(
            tracked(d, c, now),
            end=c.end,
            now=now,
            factor=d.state.factor,
            policy=d.options.policy,
        )
        if plan.batches:
            with d.acting(c.id, "refresh"):
                for batch in plan.batches:
                    lookup = lookup_newest(d.client, batch).lookup
                    d.store.save_lookup(lookup, now)
                    refreshed += len(lookup.posts)
        if plan.next_due is not None:
            next_due.append(min(plan.next_due, c.end))
        else:
            next_due.append(c.end)
        collect_replies_if_due(d, c, now)
    if refreshed:
        logger.info("refreshed {} entr(ies) (cadence factor {:.2f})", refreshed, d.state.factor)
    keep_leaderboards(d, d.held_competitions())
    return next_refresh_run(next_due, now=now, poll_interval=d.options.poll_interval)


def collect_replies_if_due(d: Runtime, c: Competition, now: datetime) -> None:
    """While a distinct-repliers competition runs, read its new replies every
    `DaemonOptions.replies_every`, stretched by the budget factor, so its leaderboard is live
    (each run reads only what is new; the freezer reads the rest at the deadline)."""
    from bot.polling.replies import collect_replies, needs_repliers

    if not needs_repliers(c):
        return
    last = d.state.replies_at.get(c.id)
    if last is None:
        cursor = d.store.get_cursor(c.id, REPLIES_STREAM)
        last = cursor.updated_at if cursor else None
    if not should_collect_replies(last, now, every=d.options.replies_every, factor=d.state.factor):
        return
    with d.acting(c.id, "replies"):
        report = collect_replies(
            c, client=d.client, store=d.store, clock=d.clock, bot_username=d.config.bot.username
        )
    d.state.replies_at[c.id] = now
    if report.requests:
        logger.info(
            "{}: {} new repl(ies) in {} conversation(s), {} request(s)",
            c.id,
            report.new_replies,
            report.conversations,
            report.requests,
        )


def freeze(d: Runtime, c: Competition, now: datetime) -> datetime | None:
    """The two-phase freeze of an ended competition, on every tick after its end: the final
    snapshot at the first chance (its time recorded); during the late grace, a first reading of
    every post found since (the poll job keeps searching for late-indexed ones); then, once the
    final re-scan is done, the standings frozen from those readings. Returns when to look again
    (the end of the grace), or None."""
    from bot.freezer import freeze_if_due, late_entries, snapshot_late_entries, take_final_snapshot
    from bot.store.rules import RulesStore

    rules = RulesStore(d.store)
    if rules.is_frozen(c.id):
        return None
    if rules.final_snapshot(c.id) is None:
        with d.acting(c.id, "final-snapshot"):
            snap = take_final_snapshot(c, client=d.client, store=d.store, clock=d.clock)
        if snap is not None:
            logger.info(
                "{} final snapshot of {} entr(ies) at {} ({} s after the end, {})",
                c.id,
                snap.entries,
                iso_z(snap.taken_at),
                snap.delay_seconds,
                snap.reason,
            )
    late = late_entries(c, store=d.store)
    if late:
        with d.acting(c.id, "late-snapshot"):
            written = snapshot_late_entries(c, late, client=d.client, store=d.store, clock=d.clock)
        logger.info("{}: first reading of {} entr(ies) indexed late", c.id, written)
    if not d.poller.is_complete(c, now):
        return freeze_wait(c, now)  # the final re-scan (late-indexed) comes first
    with d.acting(c.id, "freeze"):
        stored = freeze_if_due(
            c,
            client=d.client,
            store=d.store,
            clock=d.clock,
            bot_username=d.config.bot.username,
        )
    if stored is not None:
        logger.info("{} frozen: digest {}", c.id, stored.digest)
    return None


def tracked(d: Runtime, c: Competition, now: datetime) -> list[Tracked]:
    """The entries to keep fresh, with their best rank where it leads (`CadencePolicy.lead_k` or
    better: no other rank changes their cadence), read from the live leaderboard's first lines
    rather than from standings computed whole."""
    from bot.leaderboard import board

    states = d.ops.refresh_states(c.id)
    best: dict[str, int] = {}
    lead = d.options.policy.lead_k
    if states and lead > 0:
        shown = board(
            d.store, c, now, top=lead, through_rank=lead, bot_username=d.config.bot.username
        )
        for cat in shown.standings.categories:
            for r in cat.entries:
                if r.rank <= lead:
                    best[r.key] = min(best.get(r.key, r.rank), r.rank)
    return [Tracked(s.latest_id, s.last_refreshed, best.get(s.key)) for s in states]


def update_budget(d: Runtime, now: datetime) -> None:
    budget = d.options.budget
    if budget.month_reads is None and budget.month_spend is None:
        return
    u = d.ops.usage(now)
    running = [c for c in d.competitions.values() if c.start <= now < c.end]
    active_until = max((c.end for c in running), default=None)
    reserve = sum(len(d.ops.refresh_states(c.id)) for c in running)
    proj = projection(
        Usage(u.day_reads, u.month_reads, u.month_spend, u.day_spend),
        now,
        active_until=active_until,
    )
    d.state.factor = budget_factor(
        proj,
        budget,
        current=d.state.factor,
        reserve_reads=reserve,
        reserve_spend=reserve * d.options.pricing.post_read,
    )
    text = warning(proj, budget, factor=d.state.factor)
    last_at, last_factor = d.state.warned
    if text is not None and (
        last_at is None
        or abs(d.state.factor - last_factor) >= 0.1
        or now - last_at >= timedelta(hours=1)
    ):
        # Warn when it starts, when the slow-down changes markedly, and hourly: not per step.
        logger.warning("budget: {}", text)
        d.state.warned = (now, d.state.factor)
    d.state.budget_warning = text


def own_posts(d: Runtime) -> datetime | None:
    """Snapshot the bot's sent posts and the organisers' timeline posts (`[reports]
    own_posts_every`), under the lease of the first held competition in its tracking window; an
    instance holding none leaves it to another. Every instance reads the last run's stamp from
    the store, so one run happens per interval whichever instance makes it. Paused like the other
    API jobs by a persistent failure (credits, credentials, usage cap). Returns when to look
    again."""
    tracker = d.own_posts_tracker
    every = tracker.every
    if every is None:
        return None
    now = d.clock.now()
    paused = persistent_pause(d, now)
    if paused is not None:
        return paused
    plan = tracker.plan(now)
    acting_for = should_track_here(plan, d.state.held)
    if plan is None or acting_for is None:
        return None
    last = tracker.own.last_run()
    if not is_own_posts_run_due(last, now, every):
        return next_own_posts_run(last, now, every)
    with d.acting(acting_for, "own_posts"):
        report = tracker.run(now, plan)
    for handle, why in report.refused:
        logger.warning("own posts: @{} not read: {}", handle, why)
        record_error(d, "own_posts", acting_for, f"@{handle} not read: {why}", d.clock.now())
    logger.info("own posts tracked: {}", report.describe())
    return now + every


def persistent_pause(d: Runtime, now: datetime) -> datetime | None:
    """Until when a persistent failure of another job pauses the API jobs, or None."""
    untils = [
        g.until
        for name, g in d.state.gates.items()
        if name != "own_posts"
        and g.decision is not None
        and g.decision.persistent
        and g.until is not None
        and g.until > now
    ]
    return min(untils) if untils else None


def post(d: Runtime) -> None:
    if POSTING not in d.state.held:
        return
    poster, responder = posting(d)
    with d.acting(POSTING, "post"):
        now = d.clock.now()
        responder.poll(now)
        report = poster.cycle(now)
    if report.stopped:
        raise PostingStopped(report.stopped)


def posting(d: Runtime) -> tuple[Poster, Responder]:
    """The poster and the mention responder, built on the first posting step: they need the
    bot's account (GET /2/users/me), which must be the one the config names."""
    if d.state.poster is None or d.state.responder is None:
        me = d.client.get_me()
        mismatch = account_mismatch(d.config.bot.username, me.username)
        if mismatch is not None:
            raise PostingStopped(mismatch)
        d.state.poster = Poster(
            d.client,
            d.store,
            d.clock,
            config=d.config,
            dry_run=d.dry_run,
            bot_user_id=me.id,
            bot_username=me.username,
            results=StoredResults(d.store),  # winners are announced from frozen results
        )
        d.state.responder = Responder(
            d.client,
            d.store,
            d.clock,
            config=d.config,
            bot_user_id=me.id,
            bot_username=me.username,
        )
    return d.state.poster, d.state.responder


def status(d: Runtime) -> InstanceStatus:
    """What `status` shows about this instance (stored with its heartbeat)."""
    now = d.clock.now()
    return InstanceStatus(
        jobs={j.name: j.next_run_utc for j in d.scheduler.jobs if isinstance(j, ClockedJob)},
        held=tuple(sorted(d.state.held)),
        blocked={
            name: BlockedJob(
                until=g.until,
                reason=g.decision.reason if g.decision else None,
                persistent=bool(g.decision and g.decision.persistent),
            )
            for name, g in d.state.gates.items()
            if g.until is not None and g.until > now
        },
        budget_factor=round(d.state.factor, 4),
        budget_warning=d.state.budget_warning,
        poll_interval_seconds=d.options.poll_interval.total_seconds(),
        dry_run=d.dry_run,
    )


def write_heartbeat(d: Runtime, *, stopped: bool = False) -> None:
    path = d.options.heartbeat_file
    if path is None:
        return
    beat = Heartbeat(
        instance_id=d.me,
        pid=os.getpid(),
        at=d.clock.now(),
        stopped=stopped,
        poll_interval_seconds=d.options.poll_interval.total_seconds(),
        held=tuple(sorted(d.state.held)),
        persistent=tuple(
            sorted(
                {
                    g.decision.reason
                    for g in d.state.gates.values()
                    if g.decision and g.decision.persistent
                }
            )
        ),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(beat.to_json(), indent=1), encoding="utf-8")
        tmp.replace(path)  # atomic: health never reads half a file
    except OSError as exc:
        logger.warning("could not write the heartbeat {}: {}", path, exc.strerror or exc)
