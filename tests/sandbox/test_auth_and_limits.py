"""Auth (Bearer, OAuth 1.0a signatures over api.twitter.com) and rate-limit buckets."""

from __future__ import annotations

import pytest
import requests
import tweepy

from bot.clock import ManualClock
from bot.sandbox import Sandbox, World
from tests.conftest import redirect_client
from tests.sandbox.conftest import make_client

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}


def test_wrong_or_missing_bearer_is_401(sandbox: Sandbox) -> None:
    for token in ("nope", None):
        client = make_client(sandbox, bearer_token=token)
        with pytest.raises(tweepy.Unauthorized) as info:
            client.search_recent_tweets("x")
        assert info.value.response.json() == UNAUTHORIZED
    assert [r.auth for r in sandbox.requests] == ["invalid", "invalid"]  # "Bearer None"


def test_bad_oauth_signature_is_401(sandbox: Sandbox) -> None:
    client = make_client(sandbox, consumer_secret="not-the-secret")
    with pytest.raises(tweepy.Unauthorized):
        client.create_tweet(text="hello")
    client = make_client(sandbox, access_token=sandbox.bot_user_id + "-forged")
    with pytest.raises(tweepy.Unauthorized):
        client.get_me()
    assert sandbox.posted == []


def test_oauth_signature_covers_query_parameters(sandbox: Sandbox) -> None:
    client = make_client(sandbox)
    me = client.get_me(user_fields=["created_at", "public_metrics"])
    assert me.data.created_at is not None
    # Tamper with the query after signing: the signature no longer verifies.
    session = requests.Session()
    redirect_client(session, sandbox.base_url)
    prepared = client.session.prepare_request(
        requests.Request(
            "GET",
            "https://api.twitter.com/2/users/me?user.fields=created_at",
            auth=tweepy.OAuth1UserHandler(**_oauth_keys(sandbox)).apply_auth(),
        )
    )
    prepared.url = prepared.url.replace("created_at", "protected")
    assert session.send(prepared).status_code == 401


def _oauth_keys(sb: Sandbox) -> dict[str, str]:
    c = sb.credentials
    return {
        "consumer_key": c["api_key"],
        "consumer_secret": c["api_secret"],
        "access_token": c["access_token"],
        "access_token_secret": c["access_token_secret"],
    }


def test_app_only_on_user_endpoints_is_the_real_403(sandbox: Sandbox) -> None:
    app = make_client(
        sandbox,
        consumer_key=None,
        consumer_secret=None,
        access_token=None,
        access_token_secret=None,
    )
    with pytest.raises(tweepy.Forbidden) as info:
        app.create_tweet(text="hi", user_auth=False)
    assert info.value.response.json() == {
        "title": "Unsupported Authentication",
        "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
        "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User "
        "Context].",
        "type": "https://api.twitter.com/2/problems/unsupported-authentication",
        "status": 403,
    }
    with pytest.raises(tweepy.Forbidden):
        app.get_me(user_auth=False)


def test_user_context_reads_work_and_access_level_header(sandbox: Sandbox) -> None:
    raw = make_client(sandbox, raw=True)
    user = raw.search_recent_tweets("x", user_auth=True)
    app = raw.search_recent_tweets("x")
    assert user.headers["x-access-level"] == "read-write"
    assert app.headers["x-access-level"] == "read"
    # separate buckets per token, with the §7.1 limits
    assert user.headers["x-rate-limit-limit"] == "300"
    assert app.headers["x-rate-limit-limit"] == "450"


def test_rate_limit_headers_count_down_then_429_with_reset(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    raw = make_client(sandbox, raw=True)
    sandbox.limits.overrides["search"] = 3
    seen = [raw.search_recent_tweets("x").headers["x-rate-limit-remaining"] for _ in range(3)]
    assert seen == ["2", "1", "0"]
    client = make_client(sandbox)
    with pytest.raises(tweepy.TooManyRequests) as info:
        client.search_recent_tweets("x")
    assert info.value.response.json() == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    reset = int(clock.now().timestamp()) + 900
    assert info.value.reset_time == reset
    assert info.value.response.headers["x-rate-limit-remaining"] == "0"
    # other endpoints have their own buckets
    assert client.get_users_mentions(sandbox.bot_user_id).meta == {"result_count": 0}
    clock.advance(900)
    assert raw.search_recent_tweets("x").headers["x-rate-limit-remaining"] == "2"


def test_headers_of_every_response(sandbox: Sandbox) -> None:
    raw = make_client(sandbox, raw=True)
    resp = raw.search_recent_tweets("x")
    for name in (
        "api-version",
        "x-transaction-id",
        "x-response-time",
        "cache-control",
        "content-disposition",
        "x-rate-limit-reset",
    ):
        assert name in resp.headers
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    bad = make_client(sandbox, bearer_token="wrong", raw=True)
    with pytest.raises(tweepy.Unauthorized) as info:
        bad.search_recent_tweets("x")
    assert "x-rate-limit-limit" in info.value.response.headers


def test_non_loopback_host_is_refused(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="allow_non_loopback"):
        Sandbox(World(clock), host="0.0.0.0")


def test_unknown_route_is_404(sandbox: Sandbox) -> None:
    resp = requests.get(sandbox.base_url + "/2/spaces/search", timeout=5)
    assert resp.status_code == 404 and resp.json()["title"] == "Not Found Error"
