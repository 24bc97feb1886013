"""Each validation error, with the X API's real status and message, as tweepy sees it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import tweepy

from bot.clock import ManualClock
from bot.core.snowflake import make_snowflake
from bot.sandbox import Sandbox

INVALID = "https://api.twitter.com/2/problems/invalid-request"


def bad_request(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(tweepy.BadRequest) as info:
        call()
    body: dict[str, Any] = info.value.response.json()
    return body


def test_search_max_results_bounds(client: tweepy.Client) -> None:
    body = bad_request(lambda: client.search_recent_tweets("x", max_results=5))
    assert body["type"] == INVALID
    assert body["title"] == "Invalid Request"
    assert body["detail"] == "One or more parameters to your request was invalid."
    assert body["errors"] == [
        {
            "parameters": {"max_results": ["5"]},
            "message": "The `max_results` query parameter value [5] is not between 10 and 100",
        }
    ]
    body = bad_request(lambda: client.search_recent_tweets("x", max_results=101))
    assert "[101] is not between 10 and 100" in body["errors"][0]["message"]


def test_mentions_max_results_bounds(sandbox: Sandbox, client: tweepy.Client) -> None:
    body = bad_request(lambda: client.get_users_mentions(sandbox.bot_user_id, max_results=4))
    assert body["errors"][0]["message"] == (
        "The `max_results` query parameter value [4] is not between 5 and 100"
    )
    assert client.get_users_mentions(sandbox.bot_user_id, max_results=5).meta == {"result_count": 0}


def test_ids_at_most_100(client: tweepy.Client) -> None:
    body = bad_request(lambda: client.get_tweets([str(i + 1) for i in range(101)]))
    assert body["errors"][0]["message"] == (
        "The number of values in the `ids` query parameter list [101] is not between 1 and 100"
    )
    body = bad_request(lambda: client.get_tweets(["12a"]))
    assert body["errors"][0]["message"] == (
        "The `ids` query parameter value [12a] does not match ^[0-9]{1,19}$"
    )


def test_query_at_most_512_characters(client: tweepy.Client) -> None:
    client.search_recent_tweets("a" * 512)
    body = bad_request(lambda: client.search_recent_tweets("a" * 513))
    assert "exceeds the max allowed query length of 512" in body["errors"][0]["message"]


def test_start_time_older_than_seven_days(client: tweepy.Client, clock: ManualClock) -> None:
    old = clock.now() - timedelta(days=8)
    body = bad_request(lambda: client.search_recent_tweets("x", start_time=old))
    cutoff = (clock.now() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%MZ")
    assert body["errors"][0]["message"] == (
        f"Invalid 'start_time':'{old:%Y-%m-%dT%H:%MZ}'. 'start_time' must be on or after {cutoff}"
    )


def test_stale_since_id_gets_the_real_400_body(client: tweepy.Client, clock: ManualClock) -> None:
    stale = make_snowflake(clock.now() - timedelta(days=7, minutes=1))
    body = bad_request(lambda: client.search_recent_tweets("x", since_id=stale))
    cutoff = clock.now() - timedelta(days=7)
    assert body == {
        "errors": [
            {
                "parameters": {"since_id": [stale]},
                "message": f"'since_id' must be a tweet id created after "
                f"{cutoff:%Y-%m-%dT%H:%MZ}. Please use a 'since_id' that is "
                f"larger than {make_snowflake(cutoff)}",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID,
    }


def test_end_time_must_be_ten_seconds_old(client: tweepy.Client, clock: ManualClock) -> None:
    body = bad_request(
        lambda: client.search_recent_tweets("x", end_time=clock.now() - timedelta(seconds=5))
    )
    assert (
        "'end_time' must be a minimum of 10 seconds prior to the request time."
        in body["errors"][0]["message"]
    )
    client.search_recent_tweets("x", end_time=clock.now() - timedelta(seconds=11))


def test_since_id_with_start_time_can_be_rejected(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    sandbox.rules.reject_since_id_with_start_time = True
    since = make_snowflake(clock.now() - timedelta(hours=1))
    body = bad_request(
        lambda: client.search_recent_tweets(
            "x", since_id=since, start_time=clock.now() - timedelta(hours=2)
        )
    )
    assert body["errors"][0]["message"] == "At most one of `start_time`, `since_id` may be given"


def test_unknown_fields_and_expansions(client: tweepy.Client) -> None:
    body = bad_request(
        lambda: client.search_recent_tweets("x", tweet_fields=["likes"], expansions=["author"])
    )
    messages = [e["message"] for e in body["errors"]]
    assert messages[0].startswith(
        "The `tweet.fields` query parameter value [likes] is not one of "
        "[article,attachments,author_id,"
    )
    assert messages[1].startswith("The `expansions` query parameter value [author] is not one of")


def test_bad_page_token(client: tweepy.Client) -> None:
    body = bad_request(lambda: client.search_recent_tweets("x", next_token="garbage"))
    assert body["errors"][0]["message"] == (
        "The `next_token` query parameter value [garbage] is not valid"
    )


def test_post_too_long(client: tweepy.Client) -> None:
    with pytest.raises(tweepy.BadRequest) as info:
        client.create_tweet(text="x" * 281)
    assert info.value.response.json() == {
        "title": "Bad Request",
        "status": 400,
        "type": "about:blank",
        "detail": "Your Tweet text is too long. For more information on how Twitter determines "
        "text length see https://github.com/twitter/twitter-text.",
    }
    client.create_tweet(text="x" * 280)
    client.create_tweet(text="漢" * 140)  # CJK weighs 2
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="漢" * 141)


def test_post_too_long_switch(sandbox: Sandbox, client: tweepy.Client) -> None:
    sandbox.rules.enforce_length = False
    assert client.create_tweet(text="y" * 400).data["text"] == "y" * 400


def test_duplicate_content_is_403(sandbox: Sandbox, client: tweepy.Client) -> None:
    client.create_tweet(text="Results are in!")
    with pytest.raises(tweepy.Forbidden) as info:
        client.create_tweet(text="Results are in!")
    assert str(info.value) == (
        "403 Forbidden\nYou are not allowed to create a Tweet with duplicate content."
    )
    sandbox.rules.enforce_duplicates = False
    client.create_tweet(text="Results are in!")


def test_reply_restriction(sandbox: Sandbox, client: tweepy.Client) -> None:
    w = sandbox.world
    w.add_user("alice")
    plain = w.post("alice", "my entry #IGFcontest")
    summoned = w.post("alice", "@contestbot what is my rank?")
    bot_post = w.post("contestbot", "Leaderboard")
    quoting = w.quote("alice", bot_post, "look, I'm third")
    with pytest.raises(tweepy.Forbidden) as info:
        client.create_tweet(text="thanks", in_reply_to_tweet_id=plain)
    assert info.value.response.json()["detail"] == (
        "Reply to this conversation is not allowed because you have not been mentioned or "
        "otherwise engaged by the author of the post you are replying to."
    )
    client.create_tweet(text="you are first", in_reply_to_tweet_id=summoned)
    client.create_tweet(text="congrats", in_reply_to_tweet_id=quoting)
    client.create_tweet(text="thread 2/2", in_reply_to_tweet_id=bot_post)
    sandbox.rules.reply_restriction = False
    client.create_tweet(text="thanks", in_reply_to_tweet_id=plain)
    w.delete(plain)
    with pytest.raises(tweepy.Forbidden) as info:
        client.create_tweet(text="again", in_reply_to_tweet_id=plain)
    assert "deleted or not visible" in info.value.response.json()["detail"]
