"""The poster: sends what the outbox holds, each post exactly once, through the X client.

`run_due(now)` asks the pure `bot.core.outbox.decide` what to do with every open post and does it:
before each API call the post is committed in state "sending" (the marker); after the 201 the new
id is recorded (a thread resumes at the next part, as a reply to the previous one). A post found
in "sending" after a restart, a call whose outcome is unknown (timeout, 5xx, dropped connection)
and a duplicate-content 403 are all reconciled the same way: the bot's own timeline is searched
for our text (`match_own_post`), and the id found is recorded instead of posting again.
Reply-restriction 403s and too-long texts fail the post (recorded, not retried); 429s wait for the
reset; other transient failures back off (`on_failure`). Usage caps, depleted credits and auth
failures stop the run. The monthly budget holds posts that would exceed it.

Dry run (`dry_run=True`, `[bot].dry_run` or `[posting].dry_run`): planning still fills the outbox
(so `contestbot outbox preview` shows everything), but nothing is sent to X and no post changes
state; each post that would go out is logged with its text. Switching dry run off sends them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from loguru import logger

from bot.clock import Clock
from bot.config import Config
from bot.core.composing import compose_winners
from bot.core.cost import month_bounds
from bot.core.errors import ApiError
from bot.core.outbox import (
    Action,
    OutboxPost,
    PostState,
    decide,
    failure_from_error,
    match_own_post,
    on_failure,
    transition,
)
from bot.core.snowflake import snowflake_floor
from bot.posting.planner import Planner, ResultsSource, StoredResults, posting_of
from bot.store import Store
from bot.store.outbox import OutboxStore
from bot.x.interface import XClient

# How long before its outbox row was created a post could appear on our timeline (clock skew
# between the bot and X): the timeline search for a lost post starts there.
MAX_TIMELINE_PAGES = 32  # 3,200 tweets: as far back as X's user timeline reaches
CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class RunReport:
    """What one `run_due` did: keys per outcome."""

    sent: list[str] = field(default_factory=list)  # posts completed (every part posted)
    parts_posted: int = 0
    reconciled: list[str] = field(default_factory=list)  # parts found on the timeline
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    would_send: list[str] = field(default_factory=list)  # dry run
    stopped: str | None = None  # a failure that needs a human stopped the run


class Poster:
    """Plans and sends the bot's posts. `bot_user_id`/`bot_username` are the bot's own account
    (its timeline is where lost posts are looked for)."""

    def __init__(
        self,
        client: XClient,
        store: Store,
        clock: Clock,
        *,
        config: Config,
        dry_run: bool = False,
        bot_user_id: str,
        bot_username: str,
        results: ResultsSource | None = None,  # default: the stored frozen results
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.config = config
        self.posting = posting_of(config)
        self.dry_run = dry_run or self.posting.dry_run or config.bot.dry_run
        self.bot_user_id = bot_user_id
        self.bot_username = bot_username
        self.results = results if results is not None else StoredResults(store)
        self.outbox = OutboxStore(store, self.posting.prices)
        self.planner = Planner(
            store, config=config, results=self.results, bot_username=bot_username
        )
        self.rng = rng or random.Random()
        self._spent = Decimal(0)  # this month's spend, read at the start of each run

    # ------------------------------------------------------------------------------------------

    def plan(self, now: datetime | None = None) -> int:
        """Enqueue (by key, idempotently) every post the config calls for at `now`."""
        added = self.planner.plan(now or self.clock.now())
        if added:
            logger.info("outbox: {} new post(s) planned", added)
        return added

    def cycle(self, now: datetime | None = None) -> RunReport:
        """plan, then run_due: what the daemon calls once per loop."""
        when = now or self.clock.now()
        self.plan(when)
        return self.run_due(when)

    def run_due(self, now: datetime | None = None) -> RunReport:
        """Do what `decide` says for every open post (in due order)."""
        report = RunReport()
        if not self.posting.enabled:
            return report
        start, end = month_bounds(now or self.clock.now())
        self._spent = self.outbox.spent_between(start, end)
        for post in self.outbox.open_posts():
            self._drive(post, now or self.clock.now(), report)
            if report.stopped:
                logger.error("posting stopped: {}", report.stopped)
                break
        return report

    # ------------------------------------------------------------------------------------------

    def _decide(self, post: OutboxPost, now: datetime) -> Action:
        return decide(
            post,
            now,
            self.posting.grace,
            spent_this_month=self._spent,
            monthly_budget=self.posting.monthly_budget_usd,
            prices=self.posting.prices,
        )

    def _drive(self, post: OutboxPost, now: datetime, report: RunReport) -> None:
        current: OutboxPost | None = post
        while current is not None:
            post = current
            action = self._decide(post, now)
            kind = action.kind
            if kind in ("done", "wait", "needs-approval"):
                return
            if kind in ("skip-late", "skip-started", "fail"):
                new: PostState = "failed" if kind == "fail" else "skipped"
                self._save(post, transition(post, new, last_error=action.reason), now)
                (report.failed if kind == "fail" else report.skipped).append(post.key)
                logger.warning("outbox {} {}: {}", post.key, new, action.reason)
                return
            if kind == "hold":
                if post.last_error != action.reason:
                    self._save(post, replace(post, last_error=action.reason), now)
                report.held.append(post.key)
                logger.warning("outbox {} held: {}", post.key, action.reason)
                return
            if kind == "reconcile":
                current = self._reconcile(post, action, now, report)
            elif self.dry_run:
                self._log_dry_run(post, action, report)
                return
            else:
                current = self._send(post, action, now, report)

    def _waiting(self, post: OutboxPost) -> PostState:
        return "approved" if post.approved_at is not None else "pending"

    def _save(self, old: OutboxPost, new: OutboxPost, now: datetime, **kw: datetime) -> bool:
        ok = self.outbox.update(new, old.state, now=now, **kw)
        if not ok:
            logger.info("outbox {} changed meanwhile (cancelled?); leaving it", old.key)
        return ok

    def _log_dry_run(self, post: OutboxPost, action: Action, report: RunReport) -> None:
        report.would_send.append(post.key)
        for i in range(action.part, len(post.parts)):
            logger.info(
                "dry run: would post {} part {}/{}{}:\n{}",
                post.key,
                i + 1,
                len(post.parts),
                f" replying to {action.reply_to}" if i == action.part and action.reply_to else "",
                post.parts[i],
            )

    # ------------------------------------------------------------------------------ sending

    def _send(
        self, post: OutboxPost, action: Action, now: datetime, report: RunReport
    ) -> OutboxPost | None:
        media: list[str] = []
        try:
            if post.kind == "winners" and action.part == 0:
                checked = self._before_winners(post, now)
                if checked is None or checked != post:
                    return checked  # recomposed: decide again (it may need a new approval)
            if post.has_media and action.part == 0:
                media.append(self._upload_chart(post))
        except ApiError as exc:
            return self._failed(post, exc, now, report, outcome_known=True)
        sending = transition(post, "sending")
        if not self._save(post, sending, now, sending_at=now):
            return None
        text = post.parts[action.part]
        try:
            posted = self.client.create_tweet(text, reply_to=action.reply_to, media_ids=media)
        except ApiError as exc:
            return self._failed(sending, exc, now, report, outcome_known=False)
        return self._record(sending, posted.id, now, report)

    def _record(
        self, sending: OutboxPost, tweet_id: str, now: datetime, report: RunReport
    ) -> OutboxPost | None:
        ids = (*sending.posted_ids, tweet_id)
        done = len(ids) == len(sending.parts)
        state: PostState = "sent" if done else self._waiting(sending)
        new = transition(sending, state, posted_ids=ids, not_before=None, last_error=None)
        if not self._save(sending, new, now, **({"sent_at": now} if done else {})):
            return None
        report.parts_posted += 1
        if done:
            self._spent += sending.cost(self.posting.prices)
        logger.info(
            "posted {} part {}/{} as {}", sending.key, len(ids), len(sending.parts), tweet_id
        )
        if done:
            report.sent.append(sending.key)
            return None
        return new

    def _failed(
        self,
        post: OutboxPost,
        exc: ApiError,
        now: datetime,
        report: RunReport,
        *,
        outcome_known: bool,
    ) -> OutboxPost | None:
        """After a failed call. `post` is in "sending" unless the failure came before the
        marker (`outcome_known`: nothing can have been posted)."""
        failure = failure_from_error(exc)
        decision = on_failure(post, failure, now, self.rng.random())
        waiting = self._waiting(post)
        # A timeout or 5xx may come after X created the post, and a duplicate-content 403 may
        # mean our earlier post was never recorded: look on the timeline before anything else.
        if post.state == "sending" and (
            failure.kind == "unavailable" or decision.kind == "reconcile"
        ):
            try:
                found = self._find_on_timeline(post)
            except ApiError as read_exc:
                logger.warning(
                    "outbox {}: outcome unknown, timeline unreadable ({}); will reconcile next run",
                    post.key,
                    read_exc,
                )
                return None  # stays "sending": reconciled next run, never blindly resent
            if found is not None:
                report.reconciled.append(post.key)
                return self._record(post, found, now, report)
        if decision.kind == "reconcile":
            reason = "duplicate content, and no post of ours with this text on our timeline"
            self._save(post, transition(post, "failed", last_error=reason), now)
            report.failed.append(post.key)
            return None
        attempts = post.attempts + 1
        if decision.kind == "fail":
            failed = transition(post, "failed", attempts=attempts, last_error=decision.reason)
            self._save(post, failed, now)
            report.failed.append(post.key)
            logger.warning("outbox {} failed: {}", post.key, decision.reason)
            return None
        if post.state == "sending":
            back = transition(post, waiting, last_error=decision.reason)
        else:
            back = replace(post, last_error=decision.reason)
        if decision.kind == "retry":
            back = replace(back, attempts=attempts, not_before=decision.at)
            report.retrying.append(post.key)
            logger.warning("outbox {} will retry at {}: {}", post.key, decision.at, decision.reason)
        else:
            report.stopped = f"{post.key}: {decision.reason}"
        self._save(post, back, now)
        return None

    # ------------------------------------------------------------------------- reconciling

    def _reconcile(
        self, post: OutboxPost, action: Action, now: datetime, report: RunReport
    ) -> OutboxPost | None:
        """A post left in "sending" (the bot stopped during a call): posted, or not?"""
        try:
            found = self._find_on_timeline(post)
        except ApiError as exc:
            logger.warning("outbox {}: cannot read our timeline yet ({})", post.key, exc)
            return None  # still "sending": the next run tries again, never a blind resend
        if found is not None:
            report.reconciled.append(post.key)
            logger.info(
                "outbox {} part {} was posted before a stop: {}", post.key, action.part + 1, found
            )
            return self._record(post, found, now, report)
        back = transition(post, self._waiting(post))
        return back if self._save(post, back, now) else None

    def _find_on_timeline(self, post: OutboxPost) -> str | None:
        """The id of our tweet carrying `post`'s next part, from the bot's recent timeline."""
        entry = self.outbox.get(post.key)
        created = entry.created_at if entry is not None else post.due_at
        since = created - CLOCK_SKEW
        owned = self.outbox.posted_ids_since(since)
        candidates: list[tuple[str, str]] = []
        token: str | None = None
        # Every page since the post entered the outbox: a busy bot may have posted more than a
        # page of tweets since; the window keeps this to a page or two in practice.
        for _ in range(MAX_TIMELINE_PAGES):
            page = self.client.user_timeline(
                self.bot_user_id,
                since_id=snowflake_floor(since),
                max_results=100,
                pagination_token=token,
            )
            candidates += [(t.id, t.full_text) for t in page.posts if t.id not in owned]
            token = page.next_token
            if token is None:
                break
        return match_own_post(post.parts[post.next_part], candidates)

    # ----------------------------------------------------------------------------- winners

    def _before_winners(self, post: OutboxPost, now: datetime) -> OutboxPost | None:
        """Run the pre-announcement re-check; when it changes the text, store the new text and,
        for a gated post, ask for approval again."""
        competition = self.config.competition(post.key.split(":")[1])
        if self.results is None or competition is None:
            return post
        announcement = self.results.recheck(competition, client=self.client, clock=self.clock)
        lang = post.lang
        draft = compose_winners(
            competition, announcement.standings, announcement.digest, lang, self.posting.templates
        )
        if draft.parts == post.parts:
            return post
        reason = "the pre-announcement check changed the winners; the text was recomposed"
        changed = replace(post, parts=draft.parts, last_error=reason)
        if post.needs_approval:
            reason += "; approve it again"
            changed = replace(changed, state="pending", approved_at=None, last_error=reason)
        logger.warning("outbox {}: {}", post.key, reason)
        return changed if self._save(post, changed, now) else None

    def _upload_chart(self, post: OutboxPost) -> str:
        from bot.posting.chart import standings_chart

        competition = self.config.competition(post.key.split(":")[1])
        if competition is None or self.results is None:
            raise ValueError(f"outbox {post.key}: no frozen result to chart")
        announcement = self.results.frozen(competition)
        if announcement is None:
            raise ValueError(f"outbox {post.key}: competition {competition.id} is not frozen")
        png = standings_chart(announcement.standings, title=competition.title)
        return self.client.upload_media(png, "image/png")
