"""Admin routes under /_sandbox/ and the Python observability API."""

from __future__ import annotations

import requests
import tweepy

from bot.clock import ManualClock
from bot.sandbox import Sandbox


def test_request_log_and_posted(sandbox: Sandbox, client: tweepy.Client) -> None:
    client.search_recent_tweets("#IGFcontest", max_results=10)
    client.create_tweet(text="Leaderboard: 1. @alice")
    log = requests.get(sandbox.base_url + "/_sandbox/requests", timeout=5).json()["requests"]
    assert [(r["method"], r["path"], r["status"], r["auth"]) for r in log] == [
        ("GET", "/2/tweets/search/recent", 200, "bearer"),
        ("POST", "/2/tweets", 201, "oauth1"),
    ]
    assert log[0]["query"] == {"query": "#IGFcontest", "max_results": "10"}
    posted = requests.get(sandbox.base_url + "/_sandbox/posted", timeout=5).json()["posted"]
    assert [p["text"] for p in posted] == ["Leaderboard: 1. @alice"]
    assert sandbox.posted == posted
    requests.post(sandbox.base_url + "/_sandbox/reset-log", timeout=5)
    assert sandbox.requests == []


def test_world_actions_and_state(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    base = sandbox.base_url + "/_sandbox"
    sandbox.world.add_user("alice")
    created = requests.post(
        base + "/world",
        json={"action": "post", "user": "alice", "text": "entry #IGFcontest"},
        timeout=5,
    ).json()["created"]
    requests.post(
        base + "/world", json={"action": "like", "target": created, "count": 7}, timeout=5
    )
    clock.advance(30)
    tweet = client.get_tweet(created, tweet_fields=["public_metrics"])
    assert tweet.data.public_metrics["like_count"] == 7
    bad = requests.post(base + "/world", json={"action": "explode"}, timeout=5)
    assert bad.status_code == 400 and "unknown action" in bad.json()["error"]
    state = requests.get(base + "/state", timeout=5).json()
    assert state["world"]["tweets"] == 1 and state["bot"]["username"] == "contestbot"
    now = requests.post(base + "/clock", json={"advance": 60}, timeout=5).json()["now"]
    assert now == "2026-09-01T12:01:30.000Z"
    assert requests.post(base + "/late-indexing", json={"seconds": 30}, timeout=5).json() == {
        "index_delay": 30.0
    }
    stored = requests.get(base + f"/tweets/{created}", timeout=5).json()
    assert stored["likes"] == 7 and stored["deleted"] is False
    assert requests.get(base + "/nothing", timeout=5).status_code == 404
