"""`contestbot sandbox`: serve the local X API v2 sandbox (bot.sandbox) with a scenario, so the bot
(X_API_BASE_URL=http://127.0.0.1:PORT) or any tweepy program can be tried without X. Binds loopback
unless `--allow-non-loopback` is given."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path
from typing import Any

from bot.cli.context import Context, UsageError


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0-65535; 0 picks a free one)")
    return value


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
        type=positive_float,
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

    scenario = ctx.args.scenario or default_scenario()
    if not scenario.is_file():
        raise UsageError(f"sandbox: no scenario file at {scenario} — give --scenario FILE")
    code: int = serve(
        str(scenario),
        ctx.args.host,
        ctx.args.port,
        ctx.args.speed,
        allow_non_loopback=ctx.args.allow_non_loopback,
    )
    return code
