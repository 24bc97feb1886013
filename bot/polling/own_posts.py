"""Shell: the own-posts tracking run (issue 11): a metric snapshot of every post the bot sent and
of every post the organisers wrote on their own timelines, while a competition is in its tracking
window (`bot.core.analysis.plan_own_posts` decides what to read; this module fetches and stores).

One run (`OwnPostsTracker.run(now)`) reads:
- the bot's posts sent from the outbox since the earliest open window's start, 100 ids per
  GET /2/tweets?ids= (edits followed to their newest version by `bot.x.lookups.lookup_newest`);
  a deleted or protected post comes back as a problem and is recorded nothing for;
- with `track_organisers`, each organiser's timeline (GET /2/users/:id/tweets) from their
  windows' start on, page after page; the pages carry public metrics, so nothing is looked up
  again. A handle is resolved once (GET /2/users/by/username, then remembered in memory and in
  the store's authors); an organiser X refuses (unknown, forbidden) is skipped and reported.
Each answer is stored as it comes (`OwnPostsStore.save`: one transaction each, one snapshot per
post and run), and the run is stamped at the end, so every instance sees when it last ran.
Requests go through the client it is given: in the daemon the metered client, so they are billed
and ledgered like every other read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.config import Config
from bot.config.reports import ReportsConfig, reports_of
from bot.core.analysis import (
    OwnPostsPlan,
    authored_posts,
    is_own_posts_run_due,
    next_own_posts_run,
    plan_own_posts,
)
from bot.core.audience import normalise_handle
from bot.core.errors import ForbiddenForTarget, InvalidRequest
from bot.core.messages import one_line
from bot.core.models import Account
from bot.core.snowflake import snowflake_floor
from bot.store import Store
from bot.store.own_posts import OwnPostsStore, SentPost
from bot.x.interface import XClient
from bot.x.lookups import lookup_newest

LOOKUP_BATCH = 100  # GET /2/tweets?ids= takes at most 100 ids
MAX_TIMELINE_PAGES = 32  # X serves a user's 3,200 most recent posts: 32 pages of 100


@dataclass(frozen=True)
class OwnPostsReport:
    """What one tracking run did. `missing`: the bot's posts that came back as problems
    (deleted, protected); `refused`: (handle, why) of the organisers not read."""

    competitions: tuple[str, ...] = ()
    bot_posts: int = 0
    missing: int = 0
    organiser_posts: int = 0
    snapshots: int = 0
    requests: int = 0
    refused: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        parts = [
            f"{self.bot_posts} bot post(s)",
            f"{self.organiser_posts} organiser post(s)",
            f"{self.snapshots} snapshot(s)",
            f"{self.requests} request(s)",
        ]
        if self.missing:
            parts.append(f"{self.missing} bot post(s) gone (deleted or protected)")
        return ", ".join(parts)


class OwnPostsTracker:
    """Reads the bot's and the organisers' own posts into the store, for `config`'s
    competitions and `[reports]` settings. Keeps the organisers' resolved ids between runs."""

    def __init__(self, client: XClient, store: Store, config: Config) -> None:
        self.client = client
        self.store = store
        self.config = config
        self.settings: ReportsConfig = reports_of(config.sections)
        self.own = OwnPostsStore(store)
        self.user_ids: dict[str, Account] = {}  # normalised handle -> the account

    def __repr__(self) -> str:
        return f"OwnPostsTracker(every={self.settings.own_posts_every})"

    @property
    def every(self) -> timedelta | None:
        """How often a run is due; None when tracking is off."""
        return self.settings.own_posts_every

    def plan(self, now: datetime) -> OwnPostsPlan | None:
        """What a run at `now` reads; None when no competition is in its tracking window."""
        return plan_own_posts(
            self.config.competitions,
            now,
            analysis_days=self.settings.analysis_days,
            track_organisers=self.settings.track_organisers,
            bot_username=self.config.bot.username,
        )

    def is_due(self, now: datetime) -> bool:
        return is_own_posts_run_due(self.own.last_run(), now, self.every)

    def next_due(self, now: datetime) -> datetime | None:
        """When the next run falls due (None when tracking is off)."""
        every = self.every
        return None if every is None else next_own_posts_run(self.own.last_run(), now, every)

    def run(self, now: datetime, plan: OwnPostsPlan | None = None) -> OwnPostsReport:
        """One tracking run at `now` (the snapshots' time) over `plan` (default: `self.plan`).
        Does not look at whether a run is due: the caller decided."""
        plan = plan if plan is not None else self.plan(now)
        if plan is None:
            return OwnPostsReport()
        report = self._bot_posts(plan, now)
        for read in plan.timelines:
            report = self._timeline(report, read.handle, read.since, now)
        self.own.record_run(now)
        return replace(report, competitions=plan.competition_ids)

    # ------------------------------------------------------------------------------------------

    def _bot_posts(self, plan: OwnPostsPlan, now: datetime) -> OwnPostsReport:
        sent = self.own.sent_bot_posts(plan.bot_since)
        report = OwnPostsReport()
        for i in range(0, len(sent), LOOKUP_BATCH):
            batch: list[SentPost] = sent[i : i + LOOKUP_BATCH]
            looked = lookup_newest(self.client, [p.tweet_id for p in batch])
            written = self.own.save(
                looked.lookup,
                owner="bot",
                taken_at=now,
                sent=batch,
                username=self.config.bot.username,
            )
            report = replace(
                report,
                bot_posts=report.bot_posts + len(looked.lookup.posts),
                missing=report.missing + len(looked.lookup.problems),
                snapshots=report.snapshots + written,
                requests=report.requests + looked.requests,
            )
        return report

    def _timeline(
        self, report: OwnPostsReport, handle: str, since: datetime, now: datetime
    ) -> OwnPostsReport:
        requests = report.requests
        try:
            user, asked = self._user(handle, now)
            requests += asked
            if user is None:
                return replace(
                    report,
                    requests=requests,
                    refused=(*report.refused, (handle, "no such account on X")),
                )
            posts = snapshots = 0
            token: str | None = None
            for _ in range(MAX_TIMELINE_PAGES):
                page = self.client.user_timeline(
                    user.id, since_id=snowflake_floor(since), pagination_token=token
                )
                requests += 1
                mine = authored_posts(page.posts, user.id)
                snapshots += self.own.save(
                    replace(page, posts=mine),
                    owner="organiser",
                    taken_at=now,
                    username=user.username,
                )
                posts += len(mine)
                token = page.next_token
                if token is None:
                    break
        except (ForbiddenForTarget, InvalidRequest) as exc:
            # About this account only (forbidden, rejected): the other organisers are still read.
            why = one_line(exc)
            return replace(report, requests=requests, refused=(*report.refused, (handle, why)))
        return replace(
            report,
            organiser_posts=report.organiser_posts + posts,
            snapshots=report.snapshots + snapshots,
            requests=requests,
        )

    def _user(self, handle: str, now: datetime) -> tuple[Account | None, int]:
        """The organiser's account and the requests it took (0 when remembered)."""
        name = normalise_handle(handle)
        known = self.user_ids.get(name) or self.store.account_by_username(handle)
        if known is not None:
            self.user_ids[name] = known
            return known, 0
        user = self.client.get_user(handle.lstrip("@"))
        if user is not None:
            self.store.save_accounts([user], now=now)
            self.user_ids[name] = user
        return user, 1
