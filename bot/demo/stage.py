"""The demo's stage: its competition config, timeline and constants, and `DemoBot`, the real
daemon driven one full cycle at a time. `bot.demo.run` wires the sandbox and the bot on it;
`bot.demo.show` plays the timeline against them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import AcceleratedClock
from bot.core.messages import one_line
from bot.core.models import Competition, Entry, Standings
from bot.core.timefmt import iso
from bot.daemon.loop import Daemon
from bot.freezer import live_standings
from bot.polling.poller import Poller
from bot.sandbox.scenario import Scenario
from bot.store import Store
from bot.store.outbox import OutboxStore

COMPETITION_ID = "igf-demo"
BOT = "contestbot"
COMPETITION_LENGTH = timedelta(hours=2)
WEBINAR_AFTER_END = timedelta(minutes=30)  # its "1h" reminder falls at +1h30m, inside the demo
POLL_EVERY = timedelta(minutes=2)  # simulated time between two bot cycles
BOARD_EVERY = timedelta(minutes=15)  # simulated time between two leaderboard prints
REPLIES_EVERY = timedelta(minutes=10)  # simulated time between two reads of the entries' replies
# How long after the end the freeze waits for posts X indexes late (`late_posts_grace`; 6 h by
# default, which the accelerated demo would spend waiting); the scenario's late likes come after.
LATE_GRACE = timedelta(minutes=10)
# Entrants' minimum account age, which repliers must pass too: spam_sam's 1-day account does not.
MIN_ACCOUNT_AGE_DAYS = 2
TAIL = timedelta(minutes=1)  # played after the scenario's last event, so the bot sees it
ZONES = ("UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Singapore", "Africa/Nairobi")


class DemoFailed(Exception):
    """The demo could not run or its final self-check failed; the message says what."""


def demo_config_text(start: datetime) -> str:
    """The demo competition (matching the shipped scenario) as the organiser's TOML file."""
    end = start + COMPETITION_LENGTH
    webinar = end + WEBINAR_AFTER_END
    zones = ", ".join(f'"{z}"' for z in ZONES)
    return f"""# Written by `contestbot demo` for its run against the sandbox: not a real contest.
[bot]
username = "{BOT}"
dry_run = false
poll_interval_seconds = {int(POLL_EVERY.total_seconds())}

[[competition]]
id = "{COMPETITION_ID}"
title = "IGF demo contest"
hashtags = ["IGFcontest", "InternetGov"]
accounts = ["{BOT}"]
start = "{iso(start)}"
end = "{iso(end)}"
timezone = "UTC"
organisers = ["igf_org"]
tie_rule = "earliest"
leaderboard_top = 10
late_posts_grace = "{int(LATE_GRACE.total_seconds()) // 60}m"

[competition.eligibility]
allow_replies = false
allow_quotes = true
min_account_age_days = {MIN_ACCOUNT_AGE_DAYS}

[[competition.categories]]
id = "most-liked"
kind = "likes"
title = "Most liked"
winners = 3

[[competition.categories]]
id = "most-comments"
kind = "replies"
title = "Most comments"
winners = 1
replies_mode = "distinct"

[[competition.categories]]
id = "best-question"
kind = "jury"
title = "Best question"
winners = 1
questions_only = true
shortlist = 5

[[event]]
id = "igf-webinar"
title = "IGF webinar: meet the winners"
start = "{iso(webinar)}"
duration = "1h"
link = "https://example.org/igf-webinar"
languages = ["en", "fr", "es"]
show_zones = [{zones}]
reminders = ["1h"]
post_languages = ["en", "fr"]

[posting]
enabled = true
dry_run = false
approval = ["winners"]
languages = ["en"]
"""


@dataclass
class Timeline:
    """Where the demo stands: simulated start/end, the speed, and the real start."""

    start: datetime
    end: datetime
    speed: float
    real_start: float = field(default_factory=time.monotonic)

    def real_elapsed(self) -> float:
        return time.monotonic() - self.real_start


def demo_speed(scenario: Scenario, speed: float | None, seconds: float | None) -> float:
    """`speed` if given; else the whole scenario fitted into `seconds`; else its own speed."""
    if speed is not None:
        return speed
    if seconds is not None:
        return (scenario.duration + TAIL.total_seconds()) / seconds
    return scenario.speed


# ------------------------------------------------------------------------------------------ bot


@dataclass
class DemoBot:
    """The bot as `contestbot run` runs it: the daemon, one full cycle (leases, poll with its
    re-scans, replies every `REPLIES_EVERY`, refresh and the freeze, posts and mention replies)
    per `cycle()`."""

    competition: Competition
    store: Store
    clock: AcceleratedClock
    daemon: Daemon
    warnings: list[str] = field(default_factory=list)

    @property
    def poller(self) -> Poller:
        return self.daemon.poller

    def cycle(self) -> None:
        errors = self.daemon.run_once()
        # As in `contestbot run`: logged, and the next cycle tries again. The demo shows them.
        self.warnings += [
            f"{type(e).__name__}: {one_line(e, 160)}; retried next cycle" for e in errors
        ]

    def approve_winners(self) -> list[str]:
        """Approve the winners posts waiting for an organiser, as `contestbot outbox approve`
        does; returns the keys approved."""
        outbox = OutboxStore(self.store)
        approved = []
        for entry in outbox.entries(states=("pending",), kinds=("winners",)):
            if entry.post.needs_approval and entry.post.approved_at is None:
                outbox.approve(entry.post.key, by="contestbot demo", now=self.clock.now())
                approved.append(entry.post.key)
        return approved

    def standings(self) -> Standings:
        """What the leaderboard shows: live, then the frozen standings once frozen."""
        return live_standings(self.store, self.competition, self.clock.now(), bot_username=BOT)

    def entries(self) -> list[Entry]:
        return self.store.entries(self.competition.id)
