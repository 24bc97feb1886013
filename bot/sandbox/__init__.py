"""A local X API v2 sandbox that answers a real tweepy 4.17 Client the way the X API does.

`World` holds the state (accounts, tweets, metrics, edits, deletions); `Sandbox` serves it over
HTTP on 127.0.0.1 with the real wire format, auth, rate limits and fault switches; scenarios
(`load_scenario`, `ScenarioBuilder`, `ScenarioPlayer`) script a competition's timeline; `serve`
is what `contestbot sandbox` runs. See docs/SANDBOX.md.
"""

from pathlib import Path

from bot.sandbox.api import Rules
from bot.sandbox.auth import Credentials
from bot.sandbox.faults import Fault, Faults
from bot.sandbox.httpd import LoggedRequest
from bot.sandbox.player import ScenarioPlayer, apply_event
from bot.sandbox.run import serve
from bot.sandbox.scenario import (
    Account,
    Event,
    Scenario,
    ScenarioBuilder,
    ScenarioError,
    load_scenario,
    scenario_from_dict,
)
from bot.sandbox.server import Sandbox
from bot.sandbox.world import TweetRec, UserRec, World

DEMO_SCENARIO = str(Path(__file__).with_name("scenarios") / "demo.toml")

__all__ = [
    "DEMO_SCENARIO",
    "Account",
    "Credentials",
    "Event",
    "Fault",
    "Faults",
    "LoggedRequest",
    "Rules",
    "Sandbox",
    "Scenario",
    "ScenarioBuilder",
    "ScenarioError",
    "ScenarioPlayer",
    "TweetRec",
    "UserRec",
    "World",
    "apply_event",
    "load_scenario",
    "scenario_from_dict",
    "serve",
]
