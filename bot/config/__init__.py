"""The organiser's TOML file -> `Config`, validated as a whole before anything touches the database.

`parse_config(text, source=...)` is pure (no I/O beyond a community CSV named by the file), so tests
feed it strings. It collects every `Problem` (bad syntax, unknown keys, wrong types, impossible
windows, duplicate ids...) and raises one `ConfigError` rendering one line each. Top-level sections
are parsed by a registry: `[bot]` and `[[competition]]` here; other modules register theirs with
`register_section` (the posting issue's `[[event]]` and `[posting]` live in `bot/config/events.py`),
and their results land in `Config.sections` under the section name.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from bot.config.competitions import parse_competition, written_zone
from bot.config.problems import MISSING, ConfigError, Problem, render_value
from bot.config.reader import (
    ParseContext,
    TableReader,
    parse_handle,
    read_text_capped,
    type_name,
)
from bot.config.sections import SECTIONS, SectionParser, register_section
from bot.core.models import Competition

__all__ = [
    "BotConfig",
    "Config",
    "ConfigError",
    "ParseContext",
    "Problem",
    "SectionParser",
    "load_config",
    "parse_config",
    "register_section",
    "render_value",
]

BOT_KEYS = ("username", "dry_run", "poll_interval_seconds")


@dataclass(frozen=True)
class BotConfig:
    """`[bot]`: the bot's own account and how it runs. `username` is the handle without '@'
    (None: looked up with GET /2/users/me when needed; it is not a default of any competition's
    `accounts`); `dry_run` keeps every post local;
    `poll_interval_seconds` is the pause between two poll cycles of `contestbot run`."""

    username: str | None = None
    dry_run: bool = False
    poll_interval_seconds: int = 300


@dataclass(frozen=True)
class Config:
    """A validated config file. `sections` holds what registered section parsers returned
    (e.g. `sections["event"]`), read-only."""

    source: str
    bot: BotConfig
    competitions: tuple[Competition, ...]
    sections: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    zones: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Per competition id, the zone its window was written in (an IANA name, `+01:00`, `UTC`)."""

    def zone_of(self, competition: Competition) -> str:
        """The zone to show `competition`'s times in: as the organiser wrote them."""
        return self.zones.get(competition.id, competition.timezone)

    def competition(self, competition_id: str) -> Competition | None:
        for c in self.competitions:
            if c.id == competition_id:
                return c
        return None

    @property
    def competition_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.competitions)


def load_config(path: str | Path) -> Config:
    """Read and validate the file at `path`; raises `ConfigError` (with every problem)."""
    p = Path(path)
    try:
        text = read_text_capped(p, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    file=str(p),
                    key=None,
                    issue="no such file",
                    fix="copy the shipped config/contestbot.toml there, or set CONTESTBOT_CONFIG "
                    "(or --config) to your file",
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            reason = f"it is not UTF-8 text: byte {exc.object[exc.start]:#04x} at {exc.start}"
        else:
            reason = exc.strerror or str(exc)
        raise ConfigError(
            [
                Problem(
                    file=str(p),
                    key=None,
                    issue=f"cannot be read ({reason})",
                    fix="check the path and its permissions; the file must be UTF-8 TOML",
                )
            ]
        ) from None
    return parse_config(text, source=str(p), base_dir=p.parent)


MAX_CONFIG_BYTES = 1024 * 1024  # 1 MiB: far above any real config; read with this cap


def parse_config(text: str, *, source: str, base_dir: str | Path | None = None) -> Config:
    """Validate TOML `text`; `source` names it in messages; relative paths inside (e.g.
    `community_file`) resolve against `base_dir` (default: the directory of `source`)."""
    ctx = ParseContext(source=source, base_dir=Path(base_dir or Path(source).parent))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [
                Problem(
                    file=source,
                    key=None,
                    issue=f"is not valid TOML: {exc}",
                    fix="fix the syntax at that line (strings need quotes, tables [name], "
                    "lists [a, b])",
                )
            ]
        ) from None
    except RecursionError:  # tomllib recurses once per nested list or inline table
        raise ConfigError(
            [
                Problem(
                    file=source,
                    key=None,
                    issue="nests lists or inline tables too deeply to read",
                    fix="write the values flat: a list of strings, or [table] sections",
                )
            ]
        ) from None

    top = TableReader(data, ctx, allowed=("bot", "competition", *sorted(SECTIONS)))
    top.finish()
    bot = _bot(top, ctx)
    competitions = _competitions(top, ctx)
    zones = _zones(data.get("competition"), competitions)
    sections: dict[str, object] = {}
    for name, parser in sorted(SECTIONS.items()):
        if name in data:
            sections[name] = parser(data[name], ctx, competitions)
    posting = sections.get("posting")
    if bot.username is None and getattr(posting, "enabled", False):
        ctx.problems.append(
            Problem(
                file=source,
                key="bot.username",
                value=MISSING,
                issue="must be set when [posting] is enabled, or the bot's own posts "
                "(leaderboard updates with the hashtags, answers to participants) could count "
                "as entries",
                fix='set username = "<the bot\'s handle>" under [bot] (the account the user '
                "credentials in .env belong to)",
            )
        )
    if not ctx.problems:
        # Only a config valid so far can be composed: every post it will make, written now.
        from bot.config.composable import post_problems
        from bot.core.events import PostingConfig

        events = sections.get("event")
        ctx.problems.extend(
            post_problems(
                source,
                competitions,
                events if isinstance(events, tuple) else (),
                posting if isinstance(posting, PostingConfig) else PostingConfig(),
            )
        )
    if ctx.problems:
        raise ConfigError(ctx.problems)
    return Config(
        source=source,
        bot=bot,
        competitions=competitions,
        sections=MappingProxyType(sections),
        zones=MappingProxyType(zones),
    )


def _bot(top: TableReader, ctx: ParseContext) -> BotConfig:
    table = top.table_of("bot")
    if table is None:
        return BotConfig()
    r = TableReader(table, ctx, allowed=BOT_KEYS, prefix="bot")
    r.finish()
    username: str | None = None
    raw = r.string("username", example='"igf_contestbot"')
    if raw:
        username = parse_handle(raw)
        if username is None:
            r.problem(
                "username",
                raw,
                "is not a valid X handle",
                "use the bot account's handle: 1 to 15 letters, digits or underscores",
            )
    return BotConfig(
        username=username,
        dry_run=r.boolean("dry_run", False),
        poll_interval_seconds=r.integer("poll_interval_seconds", 300, minimum=10, maximum=86_400),
    )


def _zones(raw: object, competitions: tuple[Competition, ...]) -> dict[str, str]:
    ids = {c.id for c in competitions}
    tables = raw if isinstance(raw, list) else []
    return {t["id"]: written_zone(t) for t in tables if isinstance(t, dict) and t.get("id") in ids}


def _competitions(top: TableReader, ctx: ParseContext) -> tuple[Competition, ...]:
    raw = top.raw("competition")
    if raw is MISSING:
        return ()
    if not isinstance(raw, list):
        top.problem(
            "competition",
            None,
            f"is {type_name(raw)}, not a list of tables",
            "declare each competition with [[competition]] (double brackets)",
        )
        return ()
    out: list[Competition] = []
    seen: set[str] = set()
    for i, table in enumerate(raw, start=1):
        raw_id = table.get("id") if isinstance(table, dict) else None
        duplicate = isinstance(raw_id, str) and raw_id in seen
        # A repeated id would make two competitions' problems read alike: name it by position.
        label = f"#{i}" if duplicate else None
        comp = parse_competition(table, ctx, i, label=label)
        if duplicate:
            ctx.problems.append(
                Problem(
                    file=ctx.source,
                    competition=f"#{i}",
                    key="id",
                    value=raw_id,
                    issue="is already used by another competition",
                    fix="give each competition its own id",
                )
            )
            continue
        if isinstance(raw_id, str):
            seen.add(raw_id)
        if comp is not None:
            out.append(comp)
    return tuple(out)


# Section modules register their parsers on import; importing them here means every entry point
# validates the same sections. They import the registry from bot.config.sections, never this
# package: no import circle.
from bot.config import budget as _budget  # noqa: E402, F401
from bot.config import events as _events  # noqa: E402, F401
from bot.config import posting as _posting  # noqa: E402, F401
from bot.config import reports as _reports  # noqa: E402, F401
