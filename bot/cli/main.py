"""`contestbot` (also `python -m bot`): builds the argparse parser and runs one subcommand.

`main(argv, clock=..., environ=...)` returns the exit code: 0 ok, 1 runtime error, 2 bad config or
usage. It loads `.env` only when no `environ` is injected (tests inject a dict and a clock). Errors
print as one clear line each (secrets masked); `--debug` shows tracebacks and debug logs instead.
`--config` and `--debug` are accepted before or after the subcommand.
Each command group lives in its own `cmd_*.py` module with `add_parser(subparsers)` and its
command functions, which import their heavy collaborators lazily so help always works.
"""

from __future__ import annotations

import argparse
import errno
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
    cmd_report,
    cmd_results,
    cmd_run,
    cmd_sandbox,
    cmd_status,
)
from bot.cli.context import Context, UsageError
from bot.clock import Clock, SystemClock
from bot.config import ConfigError
from bot.core.messages import one_line
from bot.settings import Settings

GROUPS = (
    cmd_run,
    cmd_demo,
    cmd_sandbox,
    cmd_leaderboard,
    cmd_results,
    cmd_report,
    cmd_competitions,
    cmd_config,
    cmd_db,
    cmd_decisions,
    cmd_post,
    cmd_outbox,
    cmd_status,
)


COMMON_HELP = {
    "--config": "competitions config file (default: $CONTESTBOT_CONFIG or config/contestbot.toml)",
    "--debug": "show debug logs and full tracebacks on errors",
}


def add_common_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    """`--config` and `--debug`, on the top parser (real defaults) and on every subcommand
    (`default=SUPPRESS`, so a value given before the subcommand is not reset after it)."""
    parser.add_argument("--config", metavar="FILE", default=default, help=COMMON_HELP["--config"])
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if default is None else default,
        help=COMMON_HELP["--debug"],
    )


def subcommand_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below `parser` (subcommands, their actions...), each once."""
    found: dict[int, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if isinstance(child, argparse.ArgumentParser) and id(child) not in found:
                    found[id(child)] = child
                    for grandchild in subcommand_parsers(child):
                        found.setdefault(id(grandchild), grandchild)
    return list(found.values())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contestbot",
        description="Run fair, verifiable engagement competitions on X (Twitter): poll entries, "
        "score them, and show the leaderboard.",
        epilog="Settings come from the environment or .env (see .env.example); competitions from "
        "config/contestbot.toml. Exit codes: 0 ok, 1 runtime error, 2 bad config or usage. "
        "--config and --debug work before or after the command.",
    )
    parser.add_argument("--version", action="version", version=f"contestbot {__version__}")
    add_common_options(parser, default=None)
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        required=True,
        help="what to do (COMMAND --help: details)",
    )
    for group in GROUPS:
        group.add_parser(sub)
    for child in subcommand_parsers(parser):
        option_strings = {o for a in child._actions for o in a.option_strings}
        if not option_strings & set(COMMON_HELP):  # a command's own --config would win
            add_common_options(child, default=argparse.SUPPRESS)
    parser.set_defaults(commands=tuple(sub.choices))  # what `demo` may suggest
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    try:
        return _main(argv, clock=clock, environ=environ)
    except BrokenPipeError:
        return quiet_broken_pipe()


def _main(
    argv: Sequence[str] | None, *, clock: Clock | None, environ: Mapping[str, str] | None
) -> int:
    args_text = list(sys.argv[1:] if argv is None else argv)
    for position, arg in enumerate(args_text, start=1):
        if any("\ud800" <= ch <= "\udfff" for ch in arg):
            print(
                f"error: argument {position} holds bytes that are not valid UTF-8 — type it "
                "again as UTF-8 text (check the terminal's encoding)",
                file=sys.stderr,
            )
            return 2
    parser = build_parser()
    try:
        args = parser.parse_args(args_text)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 after --help
        return exc.code if isinstance(exc.code, int) else 2
    if environ is None:
        # The .env of the directory the organiser runs from; the environment wins over it.
        # (Without a path, python-dotenv searches upwards from this module's file instead.)
        try:
            warnings = load_env_file(Path.cwd() / ".env")
        except EnvFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for line in warnings:
            print(f"warning: {line}", file=sys.stderr)
        environ = os.environ
    ctx = Context(args=args, clock=clock or SystemClock(), environ=environ)
    try:
        code = _run(ctx)
        # Output a listing left in the buffer reaches the pipe here, not at interpreter exit
        # (where a closed pipe would print "Exception ignored ... BrokenPipeError").
        sys.stdout.flush()
        return code
    finally:
        ctx.close()


BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head -1`


def quiet_broken_pipe() -> int:
    """The reader of stdout went away (`contestbot ... | head -1`): end quietly. stdout is pointed
    at /dev/null so the interpreter's final flush cannot complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout already closed or not a real file (a test's capture)
        pass
    return BROKEN_PIPE


class EnvFileError(Exception):
    """The `.env` file exists but cannot be read as UTF-8 text (exit 2)."""


def _run(ctx: Context) -> int:
    try:
        code: int = ctx.args.func(ctx)
        return code
    except BrokenPipeError:
        raise  # not an error: the reader closed the pipe (handled quietly by main)
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
        from bot.store.paths import DatabaseFileError

        if isinstance(exc, DatabaseFileError):
            return _fail(ctx, [f"error: {exc}"], 2)
        if ctx.debug:
            traceback.print_exc()
        return _fail(ctx, [f"error: {describe(exc, ctx.loaded_settings)}"], _runtime_code(exc))


def load_env_file(path: Path) -> list[str]:
    """Load `path` into os.environ (existing variables win) and return one warning per line
    python-dotenv could not parse and so skipped (it would otherwise only log a terse notice)."""
    import logging

    from dotenv import load_dotenv

    from bot.settings import env_file_error, env_file_problems

    error = env_file_error(path)
    if error is not None:
        raise EnvFileError(error)
    problems = env_file_problems(path)
    dotenv_log = logging.getLogger("dotenv.main")
    was_disabled = dotenv_log.disabled
    dotenv_log.disabled = True  # our warnings above say the same, with the fix
    try:
        load_dotenv(path, override=False)
    finally:
        dotenv_log.disabled = was_disabled
    return problems


def describe(exc: BaseException, settings: Settings | None = None) -> str:
    """One line: what failed and, for the failures organisers meet, what to do. `settings` (when
    loaded) lets database and file errors name the file to look at."""
    from bot.app import NoDatabase
    from bot.core.errors import ApiError, AuthError, CreditsDepleted, UsageCapped

    text = one_line(exc)
    if isinstance(exc, NoDatabase):
        return text
    if isinstance(exc, ApiError):
        # The X boundary's messages already end with their fix (" - check ..."); add one only
        # where it is missing.
        has_fix = " - " in text
        if isinstance(exc, AuthError):
            return "the X API refused the credentials: " + (
                text if has_fix else f"{text} — check the X_* values in .env"
            )
        if isinstance(exc, CreditsDepleted):
            return "the X API account has no credits left: " + (
                text if has_fix else f"{text} — top up in console.x.com"
            )
        if isinstance(exc, UsageCapped):
            return "the X API usage cap is reached: " + (
                text if has_fix else f"{text} — wait for the next period"
            )
        return f"X API: {text}"
    module = type(exc).__module__
    if module.startswith("sqlalchemy"):  # only the store imports SQLAlchemy
        return f"database: {database_message(text)} — {database_fix(settings)}"
    if module.startswith("alembic"):
        return (
            f"database migrations: {text} — the database may come from a newer contestbot: "
            "upgrade contestbot, or point DATABASE_URL at this version's database"
        )
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    return f"{type(exc).__name__}: {text}"


def database_message(text: str) -> str:
    """SQLAlchemy's message without the statement, its parameters (tweet text, long) and the
    "(Background on this error at: ...)" link."""
    for marker in (" [SQL: ", " (Background on this error at:"):
        text = text.split(marker, 1)[0]
    return text.strip()


def database_fix(settings: Settings | None) -> str:
    path = settings.sqlite_path if settings is not None else None
    if path is not None:
        return f"check the file {path} (permissions, disk space, not used by another program)"
    if settings is not None:
        return (
            f"check DATABASE_URL ({settings.database_url_masked}) and that the database "
            "server is running and reachable"
        )
    return "check DATABASE_URL and that the database is reachable"


def describe_os_error(exc: OSError) -> str:
    """`cannot read or write PATH: reason — fix`, for files the bot touches (database folder,
    log file, config, scenario); without a path, the reason and a fix."""
    reason = exc.strerror or one_line(exc)
    path = exc.filename
    if path is None:
        if exc.errno == errno.ENOSPC:
            return f"{reason} — free some disk space"
        return f"{reason} — check the system's resources and permissions"
    if isinstance(exc, PermissionError):
        fix = f"give this user access to {path}, or choose another path"
    elif isinstance(exc, FileNotFoundError):
        fix = "check the path; its folder must exist"
    elif isinstance(exc, IsADirectoryError):
        fix = "give a file path, not a folder"
    elif exc.errno == errno.ENOSPC:
        fix = "free some disk space"
    elif exc.errno == errno.EROFS:
        fix = "choose a path on a writable disk"
    else:
        fix = "check the path, its permissions and the free disk space"
    return f"cannot read or write {path}: {reason} — {fix}"


def _runtime_code(exc: BaseException) -> int:
    from bot.core.errors import AuthError

    # Revoked or wrong credentials need a human: exit 2 so a supervisor does not restart-loop.
    return 2 if isinstance(exc, AuthError) else 1


def _fail(ctx: Context, lines: Sequence[str], code: int) -> int:
    for line in lines:
        print(ctx.mask(line), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
