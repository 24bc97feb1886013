"""The same requests as tweepy's recorded cassettes give the same key structure (and the same
response header names) as the real X API did. See tests/data/x-api/samples/."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import tweepy

from bot.clock import ManualClock
from bot.sandbox import Sandbox
from tests.sandbox.conftest import key_paths, make_client, sample

# Headers of the recordings that describe the payload, not the API (or that the sandbox
# sets only when they apply: gzip is skipped for tiny bodies).
TRANSPORT = {
    "content-encoding",
    "content-length",
    "date",
    "server",
    "connection",
    "strict-transport-security",
    "x-connection-hash",
    "set-cookie",
    "x-xss-protection",
    "x-frame-options",
    "x-content-type-options",
    "location",
    "x-served-by",
}


@pytest.fixture
def populated(sandbox: Sandbox, clock: ManualClock) -> dict[str, Any]:
    w = sandbox.world
    w.add_user("Twitter")
    ids = [w.post("Twitter", f"@contestbot tweepy news {i}") for i in range(12)]
    for i in range(12):
        w.post("contestbot", f"bot post {i}")
    clock.advance(60)
    return {"ids": ids, "raw": make_client(sandbox, raw=True)}


def assert_like_sample(
    resp: requests.Response, name: str, *, extra_keys: frozenset[str] = frozenset()
) -> None:
    recorded = sample(name)["response"]
    assert resp.status_code == recorded["status"]
    assert key_paths(resp.json()) == key_paths(recorded["body"]) | extra_keys
    expected_headers = {h.lower() for h in recorded["headers"]} - TRANSPORT
    assert expected_headers <= {h.lower() for h in resp.headers}


def test_search_like_recording(populated: dict[str, Any]) -> None:
    assert_like_sample(populated["raw"].search_recent_tweets("Tweepy"), "search_recent_tweets")


def test_mentions_like_recording(sandbox: Sandbox, populated: dict[str, Any]) -> None:
    resp = populated["raw"].get_users_mentions(sandbox.bot_user_id)
    assert_like_sample(resp, "get_users_mentions")
    assert list(resp.json()["meta"]) == list(
        sample("get_users_mentions")["response"]["body"]["meta"]
    )


def test_user_tweets_like_recording(sandbox: Sandbox, populated: dict[str, Any]) -> None:
    assert_like_sample(populated["raw"].get_users_tweets(sandbox.bot_user_id), "get_users_tweets")


def test_lookups_like_recording(populated: dict[str, Any]) -> None:
    ids = populated["ids"]
    assert_like_sample(populated["raw"].get_tweet(ids[0]), "get_tweet")
    assert_like_sample(populated["raw"].get_tweets(ids[:2]), "get_tweets")


def test_users_like_recording(populated: dict[str, Any]) -> None:
    assert_like_sample(populated["raw"].get_user(username="Twitter"), "get_user")
    assert_like_sample(populated["raw"].get_me(), "get_me")


def test_create_and_delete_like_recording(populated: dict[str, Any]) -> None:
    created = populated["raw"].create_tweet(text="Test Tweet")
    # 2021 recording; since Sep 2022 the 201 body also carries edit_history_tweet_ids.
    assert_like_sample(
        created,
        "create_and_delete_tweet__01",
        extra_keys=frozenset({"data.edit_history_tweet_ids"}),
    )
    tid = created.json()["data"]["id"]
    assert created.headers["location"] == f"https://api.twitter.com/2/tweets/{tid}"
    assert_like_sample(populated["raw"].delete_tweet(tid), "create_and_delete_tweet__02")


def test_default_fields_only(populated: dict[str, Any]) -> None:
    body = populated["raw"].search_recent_tweets("Tweepy", max_results=10).json()
    assert all(set(t) == {"edit_history_tweet_ids", "id", "text"} for t in body["data"])
    assert "includes" not in body


def test_tweepy_parses_every_field_without_warnings(
    sandbox: Sandbox, populated: dict[str, Any]
) -> None:
    client = make_client(sandbox)
    r = client.search_recent_tweets(
        "Tweepy",
        tweet_fields=sorted(
            {
                "created_at",
                "edit_controls",
                "author_id",
                "conversation_id",
                "public_metrics",
                "entities",
                "lang",
                "referenced_tweets",
                "in_reply_to_user_id",
            }
        ),
        user_fields=["created_at", "public_metrics"],
        expansions=["author_id"],
    )
    assert all(isinstance(t, tweepy.Tweet) and t.created_at.tzinfo for t in r.data)
    assert r.includes["users"][0].created_at is not None
