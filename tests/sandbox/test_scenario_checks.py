"""A scenario that would silently skip an event is refused when it loads, naming the file, the
event, the key and the fix; what can only fail while playing is reported, never dropped."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from bot.clock import ManualClock
from bot.sandbox import (
    Sandbox,
    ScenarioBuilder,
    ScenarioError,
    ScenarioPlayer,
    World,
    load_scenario,
    serve,
)
from tests.conftest import START
from tests.sandbox.conftest import admin_auth

HEAD = '[sandbox]\nstart = "2026-09-01T10:00:00Z"\n\n[[account]]\nusername = "alice"\n\n'


def write(tmp_path: Path, events: str) -> Path:
    path = tmp_path / "cup.toml"
    path.write_text(HEAD + events)
    return path


def test_unknown_user_names_the_file_the_event_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, '[[event]]\nat = "+1m"\naction = "post"\nuser = "bob"\ntext = "hi"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == (
        f"{path}: event 1 (post at +1m): `user` = 'bob' is not an account of the scenario; "
        'add [[account]] username = "bob" (accounts: alice, contestbot)'
    )


def test_missing_target_ref(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[event]]\nat = "+1m"\naction = "post"\nuser = "alice"\ntext = "hi"\nref = "a"\n\n'
        '[[event]]\nat = "+2m"\naction = "like"\ntarget = "b"\n',
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == (
        f"{path}: event 2 (like at +2m): `target` = 'b' names no tweet created by an earlier "
        'event; add ref = "b" to the event that creates the tweet, or use a raw numeric tweet id '
        "(refs so far: a)"
    )


def test_target_created_later_says_to_move_the_event(tmp_path: Path) -> None:
    # file order does not matter, time order does: the like at +1m comes before the post at +5m
    path = write(
        tmp_path,
        '[[event]]\nat = "+5m"\naction = "post"\nuser = "alice"\ntext = "hi"\nref = "a"\n\n'
        '[[event]]\nat = "+1m"\naction = "like"\ntarget = "a"\n',
    )
    with pytest.raises(
        ScenarioError,
        match=r"event 2 \(like at \+1m\): .*created later "
        r"\(.*event 1 \(post at \+5m\)\); move this event after it",
    ):
        load_scenario(path)


def test_events_out_of_file_order_are_sorted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[event]]\nat = "+9m"\naction = "like"\ntarget = "a"\n\n'
        '[[event]]\nat = "+5m"\naction = "post"\nuser = "alice"\ntext = "hi"\nref = "a"\n',
    )
    assert [e.action for e in load_scenario(path).events] == ["post", "like"]


def test_refs_are_unique_and_only_on_created_tweets() -> None:
    b = ScenarioBuilder(name="cup").account("alice").post("+1m", "alice", "one", ref="a")
    with pytest.raises(
        ScenarioError,
        match=r"event 2 \(post at \+2m\): `ref` = 'a' is already "
        r"used \(cup: event 1 \(post at \+1m\)\)",
    ):
        b.post("+2m", "alice", "two", ref="a").build()
    b = ScenarioBuilder(name="cup").account("alice").post("+1m", "alice", "one", ref="a")
    with pytest.raises(ScenarioError, match="`ref` = 'x' on a 'like' event names nothing"):
        b.like("+2m", "a", ref="x").build()


def test_deleted_targets_including_other_versions_of_an_edit() -> None:
    b = (
        ScenarioBuilder(name="cup")
        .account("alice")
        .post("+1m", "alice", "one", ref="a")
        .edit("+2m", "a", "one, edited", ref="a2")
        .delete("+3m", "a2")
    )
    with pytest.raises(ScenarioError, match=r"`target` = 'a' was deleted earlier \(cup: event 3"):
        b.like("+4m", "a").build()


def test_repeat_and_offsets_are_checked() -> None:
    with pytest.raises(ScenarioError, match="repeat = 0 must be 1 or more"):
        ScenarioBuilder().account("alice").post("+1m", "alice", "x", repeat=0)
    with pytest.raises(ScenarioError, match="must be a finite number"):
        ScenarioBuilder().account("alice").post(float("nan"), "alice", "x")
    with pytest.raises(ScenarioError, match=r"event 1 \(like at \+1m\): unknown keys \['x'\]"):
        from bot.sandbox import scenario_from_dict

        scenario_from_dict({"event": [{"at": "+1m", "action": "like", "target": "1", "x": 1}]})


def test_play_time_errors_are_kept_and_sent_to_on_error(clock: ManualClock) -> None:
    scenario = (
        ScenarioBuilder(start=START)
        .account("alice")
        .account("bob")
        .post("+1m", "alice", "entry", ref="a")
        .retweet("+2m", "bob", "a")
        .retweet("+3m", "bob", "a")  # only the world knows that bob already did
        .post("+4m", "alice", "still played", ref="p")
        .build()
    )
    seen: list[str] = []
    player = ScenarioPlayer(scenario, World(clock), clock, strict=False, on_error=seen.append)
    player.advance_to(START + timedelta(minutes=5))
    assert seen == player.errors
    assert len(seen) == 1 and seen[0].startswith("event 3 (retweet at +180s): @bob already")
    assert "p" in player.refs


def test_serve_prints_play_time_errors_and_lists_them_in_state(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(
        json.dumps(
            {
                "sandbox": {"start": "2026-09-01T10:00:00Z"},
                "account": [{"username": "alice"}],
                "event": [{"at": "1s", "action": "like", "target": "4242", "count": 3}],
            }
        )
    )
    stop, out, err = threading.Event(), io.StringIO(), io.StringIO()
    worker = threading.Thread(
        target=lambda: serve(str(path), "127.0.0.1", 0, 500.0, out=out, err=err, stop=stop)
    )
    worker.start()
    try:
        for _ in range(300):
            if "scenario error" in err.getvalue():
                break
            threading.Event().wait(0.01)
        base = next(
            line.split("=", 1)[1]
            for line in out.getvalue().splitlines()
            if "X_API_BASE_URL" in line
        )
        token = next(
            line.split(": ", 1)[1] for line in out.getvalue().splitlines() if "admin token:" in line
        )
        state = requests.get(
            base + "/_sandbox/state", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).json()
    finally:
        stop.set()
        worker.join(5)
    message = "event 1 (like at +1s): unknown tweet 4242"
    assert err.getvalue() == f"scenario error: {message}\n"
    assert state["scenario_errors"] == [message]


def test_world_actions_can_target_the_scenario_refs(clock: ManualClock) -> None:
    scenario = ScenarioBuilder(start=START).account("alice").post("+1m", "alice", "hi", ref="a")
    world = World(clock)
    with Sandbox(world, clock=clock) as sb:
        player = ScenarioPlayer(scenario.build(), world, clock, refs=sb.refs)
        player.advance_to(START + timedelta(minutes=2))
        liked = requests.post(
            sb.base_url + "/_sandbox/world",
            json={"action": "like", "target": "a"},
            headers=admin_auth(sb),
            timeout=5,
        ).json()
    assert liked["tweet_id"] == player.refs["a"]
    assert world.get(player.refs["a"]).likes == 1  # type: ignore[union-attr]
