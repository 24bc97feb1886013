"""`contestbot` (also `python -m bot`): builds the argparse parser and runs one subcommand.

`main(argv, clock=..., environ=...)` returns the exit code: 0 ok, 1 runtime error, 2 bad config or
usage. It loads `.env` only when no `environ` is injected (tests inject a dict and a clock). Errors
print as one clear line each (secrets masked); `--debug` shows tracebacks and debug logs instead.
Each command group lives in its own `cmd_*.py` module with `add_parser(subparsers)` and its
command functions, which import their heavy collaborators lazily so help always works.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot import __version__
from bot.cli import (
    cmd_competitions,
    cmd_config,
    cmd_db,
    cmd_decisions,
    cmd_demo,
    cmd_leaderboard,
    cmd_outbox,
    cmd_post,
    cmd_results,
    cmd_run,
    cmd_sandbox,
    cmd_status,
)
from bot.cli.context import Context, UsageError
from bot.clock import Clock, SystemClock
from bot.config import ConfigError

GROUPS = (
    cmd_run,
    cmd_demo,
    cmd_sandbox,
    cmd_leaderboard,
    cmd_results,
    cmd_competitions,
    cmd_config,
    cmd_db,
    cmd_decisions,
    cmd_post,
    cmd_outbox,
    cmd_status,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contestbot",
        description="Run fair, verifiable engagement competitions on X (Twitter): poll entries, "
        "score them, and show the leaderboard.",
        epilog="Settings come from the environment or .env (see .env.example); competitions from "
        "config/contestbot.toml. Exit codes: 0 ok, 1 runtime error, 2 bad config or usage.",
    )
    parser.add_argument("--version", action="version", version=f"contestbot {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="competitions config file (default: $CONTESTBOT_CONFIG or config/contestbot.toml)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show debug logs and full tracebacks on errors"
    )
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        required=True,
        help="what to do (COMMAND --help: details)",
    )
    for group in GROUPS:
        group.add_parser(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 after --help
        return exc.code if isinstance(exc.code, int) else 2
    if environ is None:
        from dotenv import load_dotenv

        # The .env of the directory the organiser runs from; the environment wins over it.
        # (Without a path, python-dotenv searches upwards from this module's file instead.)
        load_dotenv(Path.cwd() / ".env", override=False)
        environ = os.environ
    ctx = Context(args=args, clock=clock or SystemClock(), environ=environ)
    try:
        code: int = args.func(ctx)
        return code
    except ConfigError as exc:
        return _fail(ctx, exc.lines(), 2)
    except UsageError as exc:
        return _fail(ctx, exc.lines, 2)
    except KeyboardInterrupt:
        return _fail(ctx, ["interrupted"], 1)
    except Exception as exc:
        from bot.app import MissingCredentials

        if isinstance(exc, MissingCredentials):
            return _fail(ctx, [f"error: {exc}"], 2)
        if ctx.debug:
            traceback.print_exc()
        return _fail(ctx, [f"error: {describe(exc)}"], _runtime_code(exc))


def describe(exc: BaseException) -> str:
    """One line: what failed and, for the failures organisers meet, what to do."""
    from bot.app import NoDatabase
    from bot.x.errors import AuthError, CreditsDepleted, UsageCapped, XApiError

    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, NoDatabase):
        return text
    if isinstance(exc, AuthError):
        return f"the X API refused our credentials: {text} — check the X_* values in .env"
    if isinstance(exc, CreditsDepleted):
        return f"the X API account has no credits left: {text} — top up in console.x.com"
    if isinstance(exc, UsageCapped):
        return f"the X API usage cap is reached: {text} — wait for the next period"
    if isinstance(exc, XApiError):
        return f"X API: {text}"
    if type(exc).__module__.startswith("sqlalchemy"):  # only the store imports SQLAlchemy
        return f"database: {text} — check DATABASE_URL and that the database server is running"
    return f"{type(exc).__name__}: {text}"


def _runtime_code(exc: BaseException) -> int:
    from bot.x.errors import AuthError

    # Revoked or wrong credentials need a human: exit 2 so a supervisor does not restart-loop.
    return 2 if isinstance(exc, AuthError) else 1


def _fail(ctx: Context, lines: Sequence[str], code: int) -> int:
    for line in lines:
        print(ctx.mask(line), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
