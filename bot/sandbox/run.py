"""`contestbot sandbox`: run the sandbox in the foreground, optionally playing a scenario in
accelerated time, until Ctrl-C. Prints the base URL and the bot's credentials to use; a scenario
event that fails at play time is printed to stderr and listed in GET /_sandbox/state."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from typing import TextIO

from bot.clock import AcceleratedClock
from bot.sandbox.player import ScenarioPlayer
from bot.sandbox.scenario import Scenario, load_scenario
from bot.sandbox.server import LOOPBACK, Sandbox
from bot.sandbox.world import World


def serve(
    scenario_path: str | None,
    host: str = "127.0.0.1",
    port: int = 0,
    speed: float | None = None,
    *,
    allow_non_loopback: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Serve until Ctrl-C (or `stop` is set). Returns the exit code (0; 2 for a refused host).
    `speed` overrides the scenario's own speed; `ScenarioError` propagates for a bad file."""
    out = out or sys.stdout
    errors = err or sys.stderr
    if host not in LOOPBACK and not allow_non_loopback:
        print(
            f"refusing to listen on {host}: the sandbox hands out test credentials to anyone; "
            "use --host 127.0.0.1, or allow it explicitly",
            file=errors,
        )
        return 2
    scenario = load_scenario(scenario_path) if scenario_path else Scenario(start=None)
    rate = speed if speed is not None else scenario.speed
    clock = AcceleratedClock(scenario.start or datetime.now(UTC), rate)
    world = World(clock)
    sandbox = Sandbox(
        world,
        clock=clock,
        host=host,
        port=port,
        bot_username=scenario.bot_username,
        allow_non_loopback=allow_non_loopback,
    )

    def report(message: str) -> None:
        sandbox.report_error(message)
        print(f"scenario error: {message}", file=errors, flush=True)

    player = ScenarioPlayer(
        scenario, world, clock, strict=False, refs=sandbox.refs, on_error=report
    )
    stop = stop or threading.Event()
    with sandbox:
        player.start()
        print(f"X API sandbox listening on {sandbox.base_url}", file=out)
        print(
            f"  scenario: {scenario_path or '(none)'}; {len(scenario.events)} events; "
            f"speed x{rate:g}; simulated start {player.start_time:%Y-%m-%dT%H:%M:%SZ}",
            file=out,
        )
        print(f"  bot account: @{sandbox.bot_username} (id {sandbox.bot_user_id})", file=out)
        for key, value in sandbox.credentials.items():
            print(f"  X_{key.upper()}={value}", file=out)
        print(f"  X_API_BASE_URL={sandbox.base_url}", file=out)
        print(f"  admin token: {sandbox.admin_token}", file=out)
        print(
            "  admin: GET /_sandbox/state, /_sandbox/requests, /_sandbox/posted "
            "(send 'Authorization: Bearer <admin token>'); Ctrl-C stops",
            file=out,
        )
        print(
            f"  curl -H 'Authorization: Bearer {sandbox.admin_token}' "
            f"{sandbox.base_url}/_sandbox/state",
            file=out,
        )
        out.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            print("stopping the sandbox", file=out)
        finally:
            player.stop()
    return 0
