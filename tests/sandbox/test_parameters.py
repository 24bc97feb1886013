"""Unknown query parameters and parameter values get X's 400, endpoint by endpoint, instead of
being silently ignored; the parameters tweepy (and its Paginator) really send still pass."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import tweepy
from requests_oauthlib import OAuth1

from bot.sandbox import Sandbox
from bot.sandbox.params import ALLOWED
from tests.conftest import redirect_client

INVALID = "https://api.twitter.com/2/problems/invalid-request"
SEARCH_LIST = (
    "query,start_time,end_time,since_id,until_id,max_results,next_token,pagination_token,"
    "sort_order,expansions,tweet.fields,media.fields,poll.fields,place.fields,user.fields"
)


def raw_get(sb: Sandbox, path: str, params: list[tuple[str, str]]) -> requests.Response:
    bearer = sb.credentials["bearer_token"]
    return requests.get(
        sb.base_url + path,
        params=params,
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=5,
    )


def test_search_refuses_an_unknown_parameter(sandbox: Sandbox) -> None:
    # (tweepy would send it too, after a deprecated `log.warn` that pytest turns into an error)
    response = raw_get(sandbox, "/2/tweets/search/recent", [("query", "#IGF"), ("foo", "bar")])
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "parameters": {"foo": ["bar"]},
                "message": f"The query parameter [foo] is not one of [{SEARCH_LIST}]",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID,
    }


def test_mentions_refuses_next_token_instead_of_serving_page_one(sandbox: Sandbox) -> None:
    sandbox.world.add_user("alice")
    for i in range(7):
        sandbox.world.post("alice", f"@contestbot hello {i}")
    path = f"/2/users/{sandbox.bot_user_id}/mentions"
    first = raw_get(sandbox, path, [("max_results", "5")]).json()
    token = first["meta"]["next_token"]
    wrong = raw_get(sandbox, path, [("max_results", "5"), ("next_token", token)])
    assert wrong.status_code == 400
    error = wrong.json()["errors"][0]
    assert error["parameters"] == {"next_token": [token]}
    assert error["message"] == (
        "The query parameter [next_token] is not one of [id,since_id,until_id,max_results,"
        "pagination_token,start_time,end_time,expansions,tweet.fields,media.fields,poll.fields,"
        "user.fields,place.fields]"
    )
    right = raw_get(sandbox, path, [("max_results", "5"), ("pagination_token", token)]).json()
    assert right["meta"]["result_count"] == 2
    assert not {t["id"] for t in right["data"]} & {t["id"] for t in first["data"]}


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ("tweets", "/2/tweets?ids=20"),
        ("tweet", "/2/tweets/20"),
        ("user_tweets", "/2/users/{bot}/tweets"),
        ("user_by_username", "/2/users/by/username/contestbot"),
    ],
)
def test_every_read_endpoint_lists_what_it_accepts(
    sandbox: Sandbox, endpoint: str, path: str
) -> None:
    url = path.format(bot=sandbox.bot_user_id)
    sep = "&" if "?" in url else "?"
    response = raw_get(sandbox, url + sep + "since=1&since=2", [])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "parameters": {"since": ["1", "2"]},
            "message": f"The query parameter [since] is not one of [{','.join(ALLOWED[endpoint])}]",
        }
    ]


def test_users_me_refuses_timeline_parameters(sandbox: Sandbox) -> None:
    c = sandbox.credentials
    session = redirect_client(requests.Session(), sandbox.base_url)
    auth = OAuth1(c["api_key"], c["api_secret"], c["access_token"], c["access_token_secret"])
    response = session.get(
        "https://api.twitter.com/2/users/me", params={"max_results": "5"}, auth=auth, timeout=5
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "The query parameter [max_results] is not one of [expansions,tweet.fields,user.fields]"
    )


def test_unknown_parameter_is_reported_with_the_other_errors(sandbox: Sandbox) -> None:
    body = raw_get(
        sandbox,
        "/2/tweets/search/recent",
        [("query", "x"), ("max_results", "5"), ("limit", "5"), ("tweet.fields", "likes")],
    ).json()
    assert [list(e["parameters"]) for e in body["errors"]] == [
        ["limit"],
        ["max_results"],
        ["tweet.fields"],
    ]
    assert body["errors"][2]["message"].startswith(
        "The `tweet.fields` query parameter value [likes] is not one of [article,attachments,"
    )


def test_field_values_of_every_kind_are_checked(sandbox: Sandbox, client: tweepy.Client) -> None:
    with pytest.raises(tweepy.BadRequest) as info:
        client.get_tweets(
            ["20"],
            user_fields=["followers"],
            poll_fields=["votes"],
            place_fields=["city"],
            expansions=["author"],
        )
    messages = sorted(e["message"] for e in info.value.response.json()["errors"])
    assert [m.split(" is not one of ")[0] for m in messages] == [
        "The `expansions` query parameter value [author]",
        "The `place.fields` query parameter value [city]",
        "The `poll.fields` query parameter value [votes]",
        "The `user.fields` query parameter value [followers]",
    ]
    with pytest.raises(tweepy.BadRequest) as info:
        client.get_user(username="contestbot", expansions=["author_id"])
    assert info.value.response.json()["errors"][0]["message"] == (
        "The `expansions` query parameter value [author_id] is not one of "
        "[affiliation.user_id,most_recent_tweet_id,pinned_tweet_id]"
    )
    with pytest.raises(tweepy.BadRequest) as info:
        client.search_recent_tweets("x", sort_order="popular")
    assert info.value.response.json()["errors"][0]["message"] == (
        "The `sort_order` query parameter value [popular] is not one of [recency,relevancy]"
    )


def test_everything_tweepy_sends_is_accepted(sandbox: Sandbox, client: tweepy.Client) -> None:
    world = sandbox.world
    world.add_user("alice")
    for i in range(12):
        world.post("alice", f"@contestbot entry {i} #IGFcontest")
    me = client.get_me(user_fields=["created_at", "public_metrics"]).data
    every: dict[str, Any] = {
        "expansions": ["author_id", "referenced_tweets.id"],
        "tweet_fields": ["created_at", "public_metrics", "conversation_id"],
        "user_fields": ["created_at", "public_metrics"],
        "media_fields": ["url"],
        "poll_fields": ["options"],
        "place_fields": ["country"],
    }
    searched = list(
        tweepy.Paginator(
            client.search_recent_tweets,
            "#IGFcontest",
            max_results=10,
            sort_order="recency",
            **every,
        ).flatten()
    )
    mentioned = list(
        tweepy.Paginator(client.get_users_mentions, me.id, max_results=5, **every).flatten()
    )
    timeline = list(
        tweepy.Paginator(
            client.get_users_tweets, world.user("alice").id, max_results=5, exclude=["retweets"]
        ).flatten()
    )
    assert len(searched) == len(mentioned) == len(timeline) == 12
    looked_up = client.get_tweets([t.id for t in searched], **every)
    assert len(looked_up.data) == 12 and looked_up.includes["users"][0].username == "alice"
    assert client.get_tweet(searched[0].id, **every).data.id == searched[0].id
    assert client.get_user(username="alice", user_fields=["created_at"]).data.username == "alice"
