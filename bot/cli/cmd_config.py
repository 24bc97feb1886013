"""`contestbot config check`: validate the settings and the competitions file together, touching
nothing, and print a summary (per competition: what enters it, its window in the zone it was
written in, when its results freeze; which credentials are set, naming any missing); with
problems, print one line each (settings and config alike) and exit 2. A competition whose start
lies further back than X's 7-day recent search gets one warning line on stderr (the part that
cannot be collected if the bot starts now, and the fix); warnings leave the exit code at 0.
Organisers run it after every edit, before (re)starting the bot."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.context import Context
from bot.cli.output import local_iso
from bot.config import Config, ConfigError, load_config
from bot.config.problems import Problem
from bot.core.polling import uncollectable_warnings
from bot.core.rescans import freezes_from
from bot.core.scoring import seed_commitment
from bot.core.timing import format_duration
from bot.posting.planner import events_of, posting_of
from bot.settings import DEFAULT_CONFIG, USER_CONTEXT, Settings


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "config", help="check the configuration", description="Configuration commands."
    )
    group = p.add_subparsers(
        dest="config_command", metavar="ACTION", required=True, help="what to do"
    )
    check: argparse.ArgumentParser = group.add_parser(
        "check",
        help="validate settings and the competitions file, and summarise them",
        description="Validate the environment/.env settings and the competitions config file "
        "without touching the database or the network. Prints a summary, or one line per "
        "problem (file, competition, key, value, fix) and exits 2.",
    )
    check.set_defaults(func=check_config)


def check_config(ctx: Context) -> int:
    problems: list[Problem] = []
    settings: Settings | None = None
    try:
        settings = ctx.settings()
        path = settings.config_path
    except ConfigError as exc:
        problems.extend(exc.problems)
        path = Path(ctx.args.config or ctx.environ.get("CONTESTBOT_CONFIG") or DEFAULT_CONFIG)
    config: Config | None = None
    try:
        config = load_config(path)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    assert settings is not None and config is not None
    ctx.out.write(summary(settings, config))
    now = ctx.clock.now()
    # Offline: the database is not read, so the warning assumes the bot first searches now; a
    # competition past its freeze time is frozen or freezes at the next run, nothing to plan.
    for line in uncollectable_warnings(
        config.competitions,
        now,
        first_search={},
        skip={c.id for c in config.competitions if freezes_from(c.end, c.late_grace) <= now},
        predicted=True,
    ):
        ctx.err.write(f"warning: {line}\n")
    return 0


def summary(settings: Settings, config: Config) -> str:
    def present(name: str) -> str:
        return "set" if getattr(settings, name.lower()) else "not set"

    lines = [
        f"config {config.source}: OK, {len(config.competitions)} competition(s)",
    ]
    for c in config.competitions:
        cats = ", ".join(f"{cat.id} ({cat.kind})" for cat in c.categories)
        zone = config.zone_of(c)
        mentions = (
            "mentions of " + ", ".join(f"@{a}" for a in c.accounts)
            if c.accounts
            else "hashtags only (no mentions count)"
        )
        lines.append(
            f"  {c.id}: {c.title!r}, #{' #'.join(c.hashtags)}; entries: {mentions}; "
            f"{local_iso(c.start, zone)} to {local_iso(c.end, zone)} ({zone}); "
            f"categories: {cats}"
        )
        lines.append(
            f"    results freeze from {local_iso(freezes_from(c.end, c.late_grace), zone)}, after "
            f"the final re-scan for posts indexed up to {format_duration(c.late_grace, 'en')} "
            "late (late_posts_grace)"
        )
        if c.tie_rule == "random" and c.tie_seed is not None:
            # Published before the start, the hash binds the organisers to the seed of the draw
            # without revealing it; the results certificate reveals the seed itself.
            lines.append(
                f"    tie rule: seeded random draw; publish before the start the seed's "
                f"SHA-256 commitment {seed_commitment(c.tie_seed)}"
            )
        else:
            lines.append(f"    tie rule: {c.tie_rule}")
    posting = posting_of(config)
    events = events_of(config)
    if not posting.enabled:
        lines.append(
            "posting: off (no [posting] section, or enabled = false): the bot posts nothing"
        )
    else:
        gates = ", ".join(posting.approval) or "none"
        lines.append(
            f"posting: on{' (dry run)' if posting.dry_run else ''}; {len(events)} event(s) with "
            f"reminders; approval needed for: {gates}"
        )
    bot = config.bot
    lines += [
        f"bot: @{bot.username or '(looked up from credentials)'}, "
        f"poll every {bot.poll_interval_seconds}s{', dry run' if bot.dry_run else ''}",
        "settings: OK",
        f"  DATABASE_URL      {settings.database_url_masked}",
        f"  X_API_BASE_URL    {settings.x_api_base_url}",
        f"  X_BEARER_TOKEN    {present('X_BEARER_TOKEN')}",
        f"  user credentials  {user_credentials(settings)}",
        f"  logs              {settings.log_format}"
        + (f", file {settings.log_file}" if settings.log_file else ""),
    ]
    return "\n".join(lines) + "\n"


def user_credentials(settings: Settings) -> str:
    """Whether the four OAuth 1.0a credentials are set, naming the missing ones: three of four
    set is a typo in .env, not "not set"."""
    missing = settings.missing(*USER_CONTEXT)
    if not missing:
        return "set"
    purpose = "needed to post and read mentions"
    if len(missing) == len(USER_CONTEXT):
        return f"not set ({purpose})"
    return f"incomplete: {', '.join(missing)} not set ({purpose}) — check .env for a typo"
