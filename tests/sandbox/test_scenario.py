"""Scenarios: the TOML format, the Python builder, and playing them with a ManualClock."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import tweepy

from bot.clock import AcceleratedClock, ManualClock
from bot.sandbox import (
    DEMO_SCENARIO,
    Sandbox,
    ScenarioBuilder,
    ScenarioError,
    ScenarioPlayer,
    World,
    load_scenario,
    serve,
)
from bot.sandbox.scenario import parse_offset
from tests.conftest import START

TOML = """
[sandbox]
start = "2026-09-01T10:00:00Z"
speed = 60
bot_username = "contestbot"

[[account]]
username = "alice"
followers = 10

[[account]]
username = "bob"

[[event]]
at = "+5m"
action = "post"
user = "alice"
ref = "a"
text = "entry #IGFcontest"

[[event]]
at = "+10m"
action = "like"
target = "a"
count = 2
repeat = 3
every = "10m"

[[event]]
at = "+12m"
action = "reply"
user = "bob"
target = "a"
text = "nice"

[[event]]
at = "+20m"
action = "edit"
target = "a"
ref = "a2"
text = "entry #IGFcontest (edited)"

[[event]]
at = "+1h"
action = "protect"
user = "alice"
"""


def test_offsets() -> None:
    assert parse_offset("+5m") == 300
    assert parse_offset("+1h30m") == 5400
    assert parse_offset("-10m") == -600
    assert parse_offset("90") == 90 and parse_offset(45) == 45
    assert parse_offset("2d") == 172800
    with pytest.raises(ScenarioError, match="is not like"):
        parse_offset("soon")


def test_toml_loads_and_plays_step_by_step(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(TOML)
    scenario = load_scenario(path)
    assert scenario.speed == 60 and len(scenario.events) == 7  # like repeated 3 times
    clock = ManualClock(scenario.start)  # type: ignore[arg-type]
    world = World(clock)
    player = ScenarioPlayer(scenario, world, clock)
    assert player.advance_to(clock.now() + timedelta(minutes=4)) == []
    applied = player.advance_to(clock.now() + timedelta(minutes=11))
    assert [e.action for e in applied] == ["post", "like"]
    first = world.get(player.refs["a"])
    assert first is not None and first.likes == 2
    assert first.created_at == scenario.start + timedelta(minutes=5)  # type: ignore[operator]
    player.advance_to(clock.now() + timedelta(minutes=30))
    assert player.ref("a") == player.refs["a2"]  # the latest version
    edited = world.get(player.refs["a2"])
    # likes at +10m and +20m (before the edit, same minute, file order) then +30m on the edit
    assert edited is not None and edited.likes == 2 and first.likes == 4 and first.replies == 1
    player.advance_to(clock.now() + timedelta(hours=2))
    assert player.done and world.user("alice").protected


def test_builder_produces_the_same_as_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(TOML)
    from_file = load_scenario(path)
    built = (
        ScenarioBuilder(start=from_file.start, speed=60)
        .account("alice", followers=10)
        .account("bob")
        .post("+5m", "alice", "entry #IGFcontest", ref="a")
        .like("+10m", "a", 2, repeat=3, every="10m")
        .reply("+12m", "bob", "a", "nice")
        .edit("+20m", "a", "entry #IGFcontest (edited)", ref="a2")
        .protect("+1h", "alice")
        .build()
    )
    assert built == from_file


def test_errors_name_the_place_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[event]]\nat = "+1m"\naction = "lik"\ntarget = "a"\n')
    with pytest.raises(ScenarioError, match=r"event 1 \(lik at \+1m\): unknown action 'lik'"):
        load_scenario(path)
    path.write_text('[[event]]\nat = "+1m"\naction = "reply"\nuser = "bob"\n')
    with pytest.raises(ScenarioError, match="needs `target`"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match="`target` = 'nope' names no tweet"):
        ScenarioBuilder().account("bob").reply("+1m", "bob", "nope", "hi").build()
    # a raw tweet id can only be checked when it plays
    scenario = ScenarioBuilder().account("bob").reply("+1m", "bob", "123", "hi").build()
    clock = ManualClock(START)
    player = ScenarioPlayer(scenario, World(clock), clock)
    with pytest.raises(ScenarioError, match=r"event 1 \(reply at \+60s\): unknown tweet 123"):
        player.advance_to(clock.now() + timedelta(minutes=2))


def test_demo_scenario_plays_with_a_tie_and_late_likes() -> None:
    scenario = load_scenario(DEMO_SCENARIO)
    clock = ManualClock(START)
    world = World(clock)
    player = ScenarioPlayer(scenario, world, clock)
    player.advance_to(clock.now() + timedelta(hours=2))
    likes = {r: world.get(player.ref(r)).likes for r in "cg"}  # type: ignore[union-attr]
    assert likes == {"c": 15, "g": 15}
    assert world.get(player.refs["i"]).deleted  # type: ignore[union-attr]
    assert world.get(player.refs["k"]).replies == 8  # type: ignore[union-attr]
    assert {world.get(player.refs[r]).lang for r in "df"} == {"es", "fr"}  # type: ignore[union-attr]
    assert len(player.applied) < len(scenario.events)  # the late likes are still to come
    player.advance_to(clock.now() + timedelta(hours=3))
    assert player.done
    late = world.get(player.ref("c"))
    assert late is not None and late.likes == 17


def test_demo_through_the_sandbox_search(clock: ManualClock) -> None:
    world = World(clock)
    player = ScenarioPlayer(load_scenario(DEMO_SCENARIO), world, clock)
    with Sandbox(world, clock=clock) as sb:
        from tests.sandbox.conftest import make_client

        client = make_client(sb)
        clock.advance(timedelta(hours=1, minutes=30).total_seconds())
        player.advance_to()
        entries = list(
            tweepy.Paginator(
                client.search_recent_tweets, "#IGFcontest -is:retweet -is:reply", max_results=10
            ).flatten()
        )
        authors = {world.get(str(t.id)).author_username for t in entries}  # type: ignore[union-attr]
        assert "ivan_p" not in authors and "igf_org" in authors and len(authors) == 12
        mentions = client.get_users_mentions(sb.bot_user_id, max_results=100)
        assert mentions.meta["result_count"] >= 3


def test_background_player_follows_an_accelerated_clock() -> None:
    scenario = ScenarioBuilder().account("alice").post("+60s", "alice", "hi", ref="x").build()
    clock = AcceleratedClock(START, speed=600)
    world = World(clock)
    player = ScenarioPlayer(scenario, world, clock).start(tick=0.01)
    try:
        for _ in range(200):
            if player.done:
                break
            threading.Event().wait(0.01)
        assert player.done and "x" in player.refs
    finally:
        player.stop()


def test_serve_prints_credentials_and_refuses_public_hosts() -> None:
    stop, out = threading.Event(), io.StringIO()
    worker = threading.Thread(
        target=lambda: serve(DEMO_SCENARIO, "127.0.0.1", 0, 500.0, out=out, stop=stop)
    )
    worker.start()
    try:
        for _ in range(200):
            if "X_API_BASE_URL" in out.getvalue():
                break
            threading.Event().wait(0.01)
    finally:
        stop.set()
        worker.join(5)
    text = out.getvalue()
    assert "X API sandbox listening on http://127.0.0.1:" in text
    assert "X_ACCESS_TOKEN=" in text and "X_BEARER_TOKEN=" in text
    assert serve(None, "0.0.0.0", 0, 1.0) == 2
