"""The `[reports]` table -> `ReportsConfig`: the organiser's report, the public results page and the
post analysis (issue 11).

    [reports]
    every = "1h"                 # the daemon rewrites the pages this often while a competition runs
    dir = "reports"              # where (relative to the data folder, data/ by default)
    public_texts = false         # the public page shows entrants' post texts (privacy: off)
    own_posts_every = "1h"       # how often the bot reads its own and the organisers' posts
    track_organisers = true      # read the organisers' own timelines (billed reads)
    analysis_days = 7            # keep reading own posts this many days after the end

All keys are optional; `every = "off"` (or `own_posts_every = "off"`) switches that job off.
Registered as a section parser, so `contestbot config check` validates it like every other table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath

from bot.config.problems import Problem
from bot.config.reader import ParseContext, TableReader, type_name
from bot.config.sections import register_section
from bot.core.models import Competition

REPORT_KEYS = (
    "every",
    "dir",
    "public_texts",
    "own_posts_every",
    "track_organisers",
    "analysis_days",
)
MIN_EVERY = timedelta(minutes=1)
MAX_EVERY = timedelta(days=7)
MAX_ANALYSIS_DAYS = 90


@dataclass(frozen=True)
class ReportsConfig:
    """`every` / `own_posts_every`: None when switched off. `dir` is relative to the data folder
    unless absolute."""

    every: timedelta | None = timedelta(hours=1)
    dir: str = "reports"
    public_texts: bool = False
    own_posts_every: timedelta | None = timedelta(hours=1)
    track_organisers: bool = True
    analysis_days: int = 7


def reports_of(sections: object) -> ReportsConfig:
    """The parsed section from `Config.sections` (the defaults when the file has none)."""
    get = getattr(sections, "get", None)
    section = get("reports") if get else None
    return section if isinstance(section, ReportsConfig) else ReportsConfig()


def parse_reports_section(
    raw: object, ctx: ParseContext, competitions: tuple[Competition, ...]
) -> ReportsConfig:
    if not isinstance(raw, dict):
        ctx.problems.append(
            Problem(
                ctx.source,
                "reports",
                f"is {type_name(raw)}, not a table",
                'write the settings under [reports]: every = "1h", public_texts = false',
            )
        )
        return ReportsConfig()
    r = TableReader(raw, ctx, allowed=REPORT_KEYS, prefix="reports")
    r.finish()
    default = ReportsConfig()
    return ReportsConfig(
        every=_cadence(r, "every", default.every),
        dir=_folder(r, default.dir),
        public_texts=r.boolean("public_texts", default.public_texts),
        own_posts_every=_cadence(r, "own_posts_every", default.own_posts_every),
        track_organisers=r.boolean("track_organisers", default.track_organisers),
        analysis_days=_days(r, default.analysis_days),
    )


def _cadence(r: TableReader, name: str, default: timedelta | None) -> timedelta | None:
    value = r.raw(name)
    if isinstance(value, str) and value.strip().lower() == "off":
        return None
    every = r.duration(name, default or timedelta(hours=1), example='"1h"')
    if every < MIN_EVERY or every > MAX_EVERY:
        r.problem(
            name,
            value,
            "is outside 1m..7d",
            f'write {name} = "1h" (between "1m" and "7d"), or "off"',
        )
        return default
    return every


def _folder(r: TableReader, default: str) -> str:
    if not r.has("dir"):
        return default
    value = r.string("dir", default=default, example='"reports"')
    text = value.strip()
    if not text or "\x00" in text or len(text) > 400:
        r.problem(
            "dir",
            value,
            "is not a usable folder name",
            'write dir = "reports" (relative to the data folder) or an absolute path',
        )
        return default
    if ".." in PurePath(text).parts:
        r.problem("dir", value, "climbs out with '..'", 'write dir = "reports" or an absolute path')
        return default
    return text


def _days(r: TableReader, default: int) -> int:
    days = r.integer("analysis_days", default, minimum=0)
    if days > MAX_ANALYSIS_DAYS:
        r.problem(
            "analysis_days",
            days,
            f"is above {MAX_ANALYSIS_DAYS}",
            f"use 0..{MAX_ANALYSIS_DAYS} days (own posts are read this long after the end)",
        )
        return default
    return days


register_section("reports", parse_reports_section)
