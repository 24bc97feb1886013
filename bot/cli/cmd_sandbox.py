"""`contestbot sandbox`: serve the local X API v2 sandbox (bot.sandbox) with a scenario, so the bot
(X_API_BASE_URL=http://127.0.0.1:PORT) or any tweepy program can be tried without X. Binds loopback
unless `--allow-non-loopback` is given. A port in use, a bad host or a broken scenario file is a
usage error (exit 2) with one line naming the value and the fix."""

from __future__ import annotations

import argparse
import errno
import socket
from importlib import resources
from pathlib import Path
from typing import Any

from bot.cli.args import port_number, speed
from bot.cli.context import Context, UsageError
from bot.core.messages import one_line

SCENARIO_LIMIT = 8 * 2**20  # the shipped scenario is 10 KiB; /dev/zero-sized files are refused


def default_scenario() -> Path:
    return Path(str(resources.files("bot.sandbox") / "scenarios" / "demo.toml"))


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "sandbox",
        help="serve a local X API v2 sandbox for trying the bot without X",
        description="Serve the X API v2 sandbox on HOST:PORT, playing SCENARIO (tweets, likes, "
        "replies, deletions over time). Point the bot at it with "
        "X_API_BASE_URL=http://127.0.0.1:PORT. Stop with Ctrl-C.",
    )
    p.add_argument(
        "--scenario",
        metavar="FILE",
        type=Path,
        help="scenario TOML file (default: the shipped demo scenario)",
    )
    p.add_argument(
        "--port", type=port_number, default=8000, help="port to listen on (default 8000)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument(
        "--speed",
        type=speed,
        default=None,
        help="simulated seconds per real second when playing the scenario (default: the "
        "scenario's own speed)",
    )
    p.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow binding a non-loopback address (the sandbox has no real security)",
    )
    p.set_defaults(func=sandbox)


def sandbox(ctx: Context) -> int:
    from bot.sandbox import serve
    from bot.sandbox.scenario import ScenarioError, load_scenario

    scenario: Path = ctx.args.scenario or default_scenario()
    if not scenario.is_file():
        raise UsageError(f"sandbox: no scenario file at {scenario} — give --scenario FILE")
    if scenario.stat().st_size > SCENARIO_LIMIT:
        raise UsageError(
            f"sandbox: the scenario {scenario} is larger than {SCENARIO_LIMIT // 2**20} MiB — "
            "give a scenario TOML file (see bot/sandbox/scenarios/demo.toml)"
        )
    try:
        load_scenario(scenario)  # checked first, so a bad file is a usage line, not a traceback
    except (ValueError, TypeError) as exc:  # ScenarioError, and a bad value it let through
        raise UsageError(scenario_problem(scenario, exc)) from None
    host, port = ctx.args.host, ctx.args.port
    try:
        code: int = serve(
            str(scenario),
            host,
            port,
            ctx.args.speed,
            allow_non_loopback=ctx.args.allow_non_loopback,
        )
    except ScenarioError as exc:
        raise UsageError(scenario_problem(scenario, exc)) from None
    except OSError as exc:
        line = bind_problem(exc, host, port)
        if line is None:
            raise
        raise UsageError(line) from None
    return code


def scenario_problem(path: Path, exc: Exception) -> str:
    text = one_line(exc)
    # Its messages name the file mostly, not always (an event's problem names the event).
    head = "" if str(path) in text else f"{path}: "
    kind = "" if type(exc).__name__ == "ScenarioError" else f"{type(exc).__name__}: "
    return (
        f"sandbox: {head}{kind}{text} — fix the scenario file (see bot/sandbox/scenarios/demo.toml)"
    )


def bind_problem(exc: OSError, host: str, port: int) -> str | None:
    """The usage line for a socket that cannot listen on `host`:`port`, or None for another
    OSError."""
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use — pick another --port (0 picks a free one)"
    if exc.errno == errno.EACCES:
        return (
            f"port {port} on {host} needs privileges to listen on — pick a --port above 1023 "
            "(0 picks a free one)"
        )
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(exc, socket.gaierror):
        return f"cannot listen on {host}: {exc.strerror or exc} — use --host 127.0.0.1"
    return None
