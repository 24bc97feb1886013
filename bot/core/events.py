"""What organisers declare for posting: events (sessions, webinars) with their reminders, and the
per-language template overrides.

Plain frozen dataclasses, built by `bot.config.events` from the `[[event]]` and `[posting]` config
sections and read by the pure posting core (`timing`, `composing`, `outbox`). Times are aware; an
event keeps the IANA zone organisers declared it in so its "event day" is the day in that zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from bot.core.cost import DEFAULT_PRICES, PriceTable

PostMode = Literal["per-language", "combined"]

# The kinds of composed post an organiser can override a template for.
TemplateKind = Literal[
    "reminder", "launch", "leaderboard", "winners", "mention_reply", "mention_help"
]
TEMPLATE_KINDS: tuple[TemplateKind, ...] = (
    "reminder",
    "launch",
    "leaderboard",
    "winners",
    "mention_reply",
    "mention_help",
)

# Languages with built-in templates, phrases and command words.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "ar", "zh", "ru")
RTL_LANGUAGES: frozenset[str] = frozenset({"ar"})


@dataclass(frozen=True)
class Event:
    """A session or webinar. `start` is aware (any offset); `zone` is the IANA zone it was declared
    in, which decides the "event day" the other zones are compared with. `reminders` are absolute
    durations before `start` (24 h before is 24 real hours, even across a daylight-saving change).
    `languages` are the languages the session is offered in (shown in the post); `post_languages`
    the languages the reminders are written in."""

    id: str
    title: str
    start: datetime
    zone: str = "UTC"
    duration: timedelta = timedelta(hours=1)
    link: str = ""
    languages: tuple[str, ...] = ("en",)
    show_zones: tuple[str, ...] = ("UTC",)
    reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    post_mode: PostMode = "per-language"
    post_languages: tuple[str, ...] = ("en",)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError(f"event {self.id!r}: start {self.start} has no offset; give one")

    @property
    def end(self) -> datetime:
        return self.start + self.duration

    @property
    def scope(self) -> str:
        """The outbox scope of this event's posts."""
        return f"event:{self.id}"


@dataclass(frozen=True)
class Templates:
    """Organiser overrides of the built-in templates: `overrides[(kind, lang)]` is a str.format
    template whose placeholders were validated against `bot.core.templates.TEMPLATE_FIELDS`."""

    overrides: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def override(self, kind: str, lang: str) -> str | None:
        return self.overrides.get((kind, lang))


@dataclass(frozen=True)
class PostingConfig:
    """`[posting]`: whether and how the bot posts. `grace` is how late a missed post may still go
    out; `approval` the post kinds that wait for `contestbot outbox approve`; leaderboard updates go
    out at `leaderboard_updates` and/or every `leaderboard_interval` while a competition runs, with
    the top `leaderboard_top` (None: the competition's own); `languages` are the languages
    competition posts are written in; `mention_reply_period` allows one reply per user per
    period."""

    enabled: bool = True
    dry_run: bool = False
    grace: timedelta = timedelta(minutes=30)
    approval: frozenset[str] = frozenset({"winners"})
    leaderboard_updates: tuple[datetime, ...] = ()
    leaderboard_interval: timedelta | None = None
    leaderboard_top: int | None = None
    chart: bool = False
    monthly_budget_usd: Decimal | None = None
    prices: PriceTable = DEFAULT_PRICES
    mention_reply_period: timedelta = timedelta(hours=1)
    languages: tuple[str, ...] = ("en",)
    templates: Templates = field(default_factory=Templates)
