"""Admin routes under /_sandbox/ and the Python observability API."""

from __future__ import annotations

import requests
import tweepy

from bot.clock import ManualClock
from bot.sandbox import Sandbox
from tests.sandbox.conftest import admin_auth


def test_request_log_and_posted(sandbox: Sandbox, client: tweepy.Client) -> None:
    client.search_recent_tweets("#IGFcontest", max_results=10)
    client.create_tweet(text="Leaderboard: 1. @alice")
    log = requests.get(
        sandbox.base_url + "/_sandbox/requests", timeout=5, headers=admin_auth(sandbox)
    ).json()["requests"]
    assert [(r["method"], r["path"], r["status"], r["auth"]) for r in log] == [
        ("GET", "/2/tweets/search/recent", 200, "bearer"),
        ("POST", "/2/tweets", 201, "oauth1"),
    ]
    assert log[0]["query"] == {"query": "#IGFcontest", "max_results": "10"}
    posted = requests.get(
        sandbox.base_url + "/_sandbox/posted", timeout=5, headers=admin_auth(sandbox)
    ).json()["posted"]
    assert [p["text"] for p in posted] == ["Leaderboard: 1. @alice"]
    assert sandbox.posted == posted
    requests.post(sandbox.base_url + "/_sandbox/reset-log", timeout=5, headers=admin_auth(sandbox))
    assert sandbox.requests == []


def test_world_actions_and_state(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    base = sandbox.base_url + "/_sandbox"
    sandbox.world.add_user("alice")
    posted = requests.post(
        base + "/world",
        json={"action": "post", "user": "alice", "text": "entry #IGFcontest", "ref": "qa3"},
        headers=admin_auth(sandbox),
        timeout=5,
    ).json()
    created = posted["tweet_id"]
    assert posted == {
        "ok": True,
        "action": "post",
        "tweet_id": created,
        "ref": "qa3",
        "user": "alice",
    }
    liked = requests.post(
        base + "/world",
        json={"action": "like", "target": "qa3", "count": 7},
        headers=admin_auth(sandbox),
        timeout=5,
    ).json()
    assert liked == {"ok": True, "action": "like", "tweet_id": created, "target": "qa3"}
    clock.advance(30)
    tweet = client.get_tweet(created, tweet_fields=["public_metrics"])
    assert tweet.data.public_metrics["like_count"] == 7
    bad = requests.post(
        base + "/world", json={"action": "explode"}, timeout=5, headers=admin_auth(sandbox)
    )
    assert bad.status_code == 400 and "unknown action" in bad.json()["error"]
    state = requests.get(base + "/state", timeout=5, headers=admin_auth(sandbox)).json()
    assert state["world"]["tweets"] == 1 and state["bot"]["username"] == "contestbot"
    now = requests.post(
        base + "/clock", json={"advance": 60}, timeout=5, headers=admin_auth(sandbox)
    ).json()["now"]
    assert now == "2026-09-01T12:01:30.000Z"
    assert requests.post(
        base + "/late-indexing", json={"seconds": 30}, timeout=5, headers=admin_auth(sandbox)
    ).json() == {"index_delay": 30.0}
    stored = requests.get(
        base + f"/tweets/{created}", timeout=5, headers=admin_auth(sandbox)
    ).json()
    assert stored["likes"] == 7 and stored["deleted"] is False
    assert (
        requests.get(base + "/nothing", timeout=5, headers=admin_auth(sandbox)).status_code == 404
    )


def test_world_action_refs_follow_edits_and_refuse_mistakes(sandbox: Sandbox) -> None:
    base = sandbox.base_url + "/_sandbox/world"
    sandbox.world.add_user("bob")

    def act(**payload: object) -> requests.Response:
        return requests.post(base, json=payload, timeout=5, headers=admin_auth(sandbox))

    first = act(action="post", user="bob", text="v1 #IGFcontest", ref="b1").json()["tweet_id"]
    edited = act(action="edit", target="b1", text="v2 #IGFcontest", ref="b2").json()
    assert edited["tweet_id"] != first and sandbox.refs == {"b1": first, "b2": edited["tweet_id"]}
    # A ref of an edited tweet acts on its latest version, as in scenarios.
    assert act(action="like", target="b1").json()["tweet_id"] == edited["tweet_id"]
    assert sandbox.world.get(edited["tweet_id"]).likes == 1  # type: ignore[union-attr]
    protect = act(action="protect", user="bob").json()
    assert protect == {"ok": True, "action": "protect", "user": "bob"}

    unknown = act(action="like", target="qa9")
    assert unknown.status_code == 400
    assert "unknown target 'qa9'" in unknown.json()["error"] and "b1, b2" in unknown.json()["error"]
    again = act(action="post", user="bob", text="other", ref="b1")
    assert again.status_code == 409 and "already names tweet" in again.json()["error"]
    nobody = act(action="post", user="nobody", text="x")
    assert nobody.status_code == 400 and "unknown user 'nobody'" in nobody.json()["error"]
    useless = act(action="like", target="b1", ref="x")
    assert useless.status_code == 400 and "names nothing" in useless.json()["error"]


def test_server_header_has_no_trailing_space(sandbox: Sandbox, raw_client: tweepy.Client) -> None:
    response = raw_client.search_recent_tweets("x")
    assert response.headers["Server"] == "envoy"
    admin = requests.get(
        sandbox.base_url + "/_sandbox/state", timeout=5, headers=admin_auth(sandbox)
    )
    assert admin.headers["Server"] == "envoy"
