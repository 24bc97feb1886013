"""Post analysis (issue 11): how a campaign did, computed from stored values only.

Pure functions of values: the competition, its entries (with their metric snapshots), the bot's and
the organisers' own posts with their snapshots, and earlier competitions' authors. Every figure
carries how it is computed (`Figure.method`), so the report can say so next to it; nothing is
estimated silently (reach, where shown, is labelled an estimate from follower counts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.audience import normalise_handle
from bot.core.models import Competition, Metrics, Post

OwnerKind = Literal["bot", "organiser"]


@dataclass(frozen=True)
class OwnPost:
    """One of the bot's or the organisers' own posts, with the metric snapshots the bot took of it
    (oldest first). `kind` is the outbox kind for the bot's posts (reminder, leaderboard,
    winners, reply...), None for the organisers' posts."""

    key: str
    post_id: str
    owner: OwnerKind
    username: str
    created_at: datetime
    text: str
    kind: str | None = None
    snapshots: tuple[tuple[datetime, Metrics], ...] = ()

    @property
    def latest(self) -> Metrics:
        return self.snapshots[-1][1] if self.snapshots else Metrics()


# --- own-posts tracking window
# Which competitions are in their tracking window, whether a tracking run is due, and what one run
# reads (issue 11). The shell (`bot.polling.own_posts`) fetches what the plan says and stores it.

OWN_POSTS_LEAD = timedelta(days=7)
"""A competition's own posts are tracked from this long before its start (the announcements)."""


@dataclass(frozen=True)
class TrackingWindow:
    """When a competition's own posts are read: [start - 7 days, end + analysis_days)."""

    competition_id: str
    start: datetime
    end: datetime

    def is_open(self, now: datetime) -> bool:
        return self.start <= now < self.end


@dataclass(frozen=True)
class TimelineRead:
    """One organiser's timeline to read: the posts `handle` created from `since` on."""

    handle: str
    since: datetime


@dataclass(frozen=True)
class OwnPostsPlan:
    """What one tracking run reads: the bot's sent posts created from `bot_since` on, and the
    organisers' timelines. `windows` are the tracking windows open at the run."""

    windows: tuple[TrackingWindow, ...]
    bot_since: datetime
    timelines: tuple[TimelineRead, ...] = ()

    @property
    def competition_ids(self) -> tuple[str, ...]:
        return tuple(w.competition_id for w in self.windows)


def tracking_window(c: Competition, analysis_days: int) -> TrackingWindow:
    return TrackingWindow(
        c.id, c.start - OWN_POSTS_LEAD, c.end + timedelta(days=max(0, analysis_days))
    )


def open_windows(
    competitions: Iterable[Competition], now: datetime, *, analysis_days: int
) -> tuple[TrackingWindow, ...]:
    """The tracking windows open at `now`, in competition id order."""
    windows = (tracking_window(c, analysis_days) for c in competitions)
    return tuple(sorted((w for w in windows if w.is_open(now)), key=lambda w: w.competition_id))


def is_own_posts_run_due(last_run: datetime | None, now: datetime, every: timedelta | None) -> bool:
    """A run is due when tracking is on (`every` not None) and `every` has passed since the last
    run (any instance's), or there was none."""
    if every is None:
        return False
    return last_run is None or now >= last_run + every


def next_own_posts_run(last_run: datetime | None, now: datetime, every: timedelta) -> datetime:
    """When the next run falls due (now, when it is due already)."""
    if last_run is None:
        return now
    return max(now, last_run + every)


def should_track_here(plan: OwnPostsPlan | None, held: Iterable[str]) -> str | None:
    """The held competition under whose lease this instance tracks (the first in id order among
    those in their window), or None: an instance holding none of them leaves it to another."""
    if plan is None:
        return None
    mine = set(held)
    return next((cid for cid in plan.competition_ids if cid in mine), None)


def authored_posts(posts: Iterable[Post], author_id: str) -> tuple[Post, ...]:
    """The posts `author_id` wrote among a timeline page: their own, not their reposts."""
    return tuple(t for t in posts if t.author_id == author_id and not t.is_repost)


def plan_own_posts(
    competitions: Iterable[Competition],
    now: datetime,
    *,
    analysis_days: int,
    track_organisers: bool,
    bot_username: str | None,
) -> OwnPostsPlan | None:
    """What a run at `now` reads, or None when no competition is in its tracking window. A post
    is read while a window holding its creation is open, so each source is read from the
    earliest start of its open windows. The bot's own handle is never read as an organiser: its
    posts come from the outbox. Handles compare as `bot.core.audience.normalise_handle` does."""
    comps = list(competitions)
    windows = open_windows(comps, now, analysis_days=analysis_days)
    if not windows:
        return None
    starts = {w.competition_id: w.start for w in windows}
    timelines: dict[str, TimelineRead] = {}
    if track_organisers:
        bot = normalise_handle(bot_username) if bot_username else None
        for c in sorted(comps, key=lambda c: c.id):
            if c.id not in starts:
                continue
            for handle in c.organisers:
                name = normalise_handle(handle)
                if not name or name == bot:
                    continue
                known = timelines.get(name)
                if known is None or starts[c.id] < known.since:
                    timelines[name] = TimelineRead(handle.lstrip("@"), starts[c.id])
    return OwnPostsPlan(
        windows=windows,
        bot_since=min(starts.values()),
        timelines=tuple(timelines[n] for n in sorted(timelines)),
    )
