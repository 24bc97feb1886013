"""The X API over tweepy: the only module that imports tweepy.

`TweepyXClient` implements `bot.x.interface.XClient`: every method makes exactly one HTTP request
through a tweepy `Client` (never `wait_on_rate_limit`: the daemon decides when to retry), parses
the raw JSON into `bot.core.models` dataclasses, and translates every failure (tweepy HTTP errors,
requests timeouts and connection errors, bodies that are not JSON) into `bot.core.errors`, chained
with `raise ... from`. When the base URL is not https://api.twitter.com, a requests adapter mounted
on `client.session` rewrites each URL before sending (CONTRACT §9), so posting, reading and media
upload all go to the sandbox or any API-compatible server. The same adapter sets the request
timeout and reports every request to an optional `on_request(method, path, status)` hook.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import tweepy
from requests.adapters import HTTPAdapter

from bot.core.errors import InvalidRequest, Unavailable
from bot.core.models import Account, Lookup, Page, PublishedPost
from bot.x.wire import parse_lookup, parse_page, parse_user, translate_response

X_API_ORIGIN = "https://api.twitter.com"

TWEET_FIELDS = [
    "public_metrics",
    "created_at",
    "author_id",
    "conversation_id",
    "referenced_tweets",
    "entities",
    "note_tweet",
    "lang",
    "edit_history_tweet_ids",
    "in_reply_to_user_id",
]
USER_FIELDS = ["username", "name", "created_at", "public_metrics", "protected"]
EXPANSIONS = ["author_id"]

RequestHook = Callable[[str, str, int | None], None]
"""Called once per HTTP request with (method, path, status); status None when no response came."""

_LOOPBACK_NAMES = ("localhost",)


def check_base_url(base_url: str) -> str:
    """Return `base_url` without a trailing slash, or raise ValueError: https anywhere, http only on
    loopback (127.0.0.0/8, localhost, ::1), since credentials travel in every request."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(
            f"X API base URL {base_url!r} is not an http(s) URL - use e.g. https://api.twitter.com "
            "or http://127.0.0.1:8000 for the local sandbox"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(
            f"X API base URL {base_url!r} uses plain http on a non-loopback host {host!r} - "
            "use https, or http only on 127.0.0.1, localhost or ::1"
        )
    return base_url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _RoutingAdapter(HTTPAdapter):
    """Sends https://api.twitter.com requests to `base_url` (when different), with a default
    timeout, reporting each request to `hook`. OAuth 1.0a signatures were computed over the
    original URL before `send`, which is what the real API and the sandbox verify."""

    def __init__(self, base_url: str, timeout: float, hook: RequestHook) -> None:
        super().__init__()
        self.base_url = base_url
        self.default_timeout = timeout
        self.hook = hook

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        path = urlsplit(url).path
        if self.base_url != X_API_ORIGIN and url.startswith(X_API_ORIGIN):
            request.url = self.base_url + url[len(X_API_ORIGIN) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        method = request.method or "GET"
        try:
            response = super().send(request, **kwargs)
        except Exception:
            self.hook(method, path, None)
            raise
        self.hook(method, path, response.status_code)
        return response


class TweepyXClient:
    """`XClient` over tweepy 4.17. Construct once; thread-unsafe like the requests Session below.

    `on_request(method, path, status)` is called for every HTTP request made (benchmarks and cost
    accounting count them); `requests_made` counts them too.
    """

    def __init__(
        self,
        bearer_token: str,
        api_key: str,
        api_secret: str,
        access_token: str,
        access_token_secret: str,
        *,
        base_url: str = X_API_ORIGIN,
        timeout: float = 10.0,
        on_request: RequestHook | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.requests_made = 0
        self._on_request = on_request
        self._client = tweepy.Client(
            bearer_token,
            api_key,
            api_secret,
            access_token,
            access_token_secret,
            return_type=dict,
            wait_on_rate_limit=False,
        )
        self._oauth1 = tweepy.OAuth1UserHandler(
            api_key, api_secret, access_token, access_token_secret
        )
        self._client.session.mount(
            X_API_ORIGIN, _RoutingAdapter(self.base_url, timeout, self._count)
        )

    def __repr__(self) -> str:
        return f"TweepyXClient(base_url={self.base_url!r})"

    def _count(self, method: str, path: str, status: int | None) -> None:
        self.requests_made += 1
        if self._on_request is not None:
            self._on_request(method, path, status)

    # ------------------------------------------------------------------------------------------
    # Reads
    # ------------------------------------------------------------------------------------------

    def search_recent(
        self,
        query: str,
        *,
        since_id: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        next_token: str | None = None,
        max_results: int = 100,
    ) -> Page:
        params = _fields()
        params.update(
            _present(
                since_id=since_id,
                start_time=start_time,
                end_time=end_time,
                next_token=next_token,
            )
        )
        body = self._call(
            "search", self._client.search_recent_tweets, query, max_results=max_results, **params
        )
        return parse_page(body)

    def mentions(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        start_time: datetime | None = None,
        pagination_token: str | None = None,
        max_results: int = 100,
    ) -> Page:
        params = _fields()
        params.update(
            _present(since_id=since_id, start_time=start_time, pagination_token=pagination_token)
        )
        body = self._call(
            "mentions", self._client.get_users_mentions, user_id, max_results=max_results, **params
        )
        return parse_page(body)

    def user_timeline(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        pagination_token: str | None = None,
        max_results: int = 100,
    ) -> Page:
        params = _fields()
        params.update(_present(since_id=since_id, pagination_token=pagination_token))
        body = self._call(
            "user timeline",
            self._client.get_users_tweets,
            user_id,
            max_results=max_results,
            **params,
        )
        return parse_page(body)

    def lookup_tweets(self, ids: Sequence[str]) -> Lookup:
        if not ids:
            return Lookup(posts=(), accounts=())
        if len(ids) > 100:
            raise ValueError(f"lookup_tweets takes at most 100 ids, got {len(ids)} - batch them")
        body = self._call("tweet lookup", self._client.get_tweets, list(ids), **_fields())
        return parse_lookup(body)

    def get_me(self) -> Account:
        body = self._call("get me", self._client.get_me, user_fields=USER_FIELDS)
        data = body.get("data")
        if not isinstance(data, dict):
            raise Unavailable("GET /2/users/me returned no user object")
        return parse_user(data)

    def get_user(self, username: str) -> Account | None:
        try:
            body = self._call(
                "get user", self._client.get_user, username=username, user_fields=USER_FIELDS
            )
        except InvalidRequest as exc:
            if exc.status == 404:
                return None
            raise
        data = body.get("data")
        return parse_user(data) if isinstance(data, dict) else None

    # ------------------------------------------------------------------------------------------
    # Writes
    # ------------------------------------------------------------------------------------------

    def create_tweet(
        self, text: str, *, reply_to: str | None = None, media_ids: Sequence[str] = ()
    ) -> PublishedPost:
        body = self._call(
            "create tweet",
            self._client.create_tweet,
            text=text,
            in_reply_to_tweet_id=reply_to,
            media_ids=list(media_ids) or None,
        )
        data = body.get("data")
        if not isinstance(data, dict) or "id" not in data:
            raise Unavailable("POST /2/tweets returned no tweet id")
        return PublishedPost(id=str(data["id"]), text=str(data.get("text", text)))

    def delete_tweet(self, tweet_id: str) -> bool:
        body = self._call("delete tweet", self._client.delete_tweet, tweet_id)
        data = body.get("data")
        return bool(isinstance(data, dict) and data.get("deleted"))

    def upload_media(self, data: bytes, mime_type: str = "image/png") -> str:
        """POST /2/media/upload (multipart, OAuth 1.0a) through the same session, hence the same
        redirect adapter, timeout and request hook."""
        session = self._client.session
        try:
            response = session.post(
                f"{X_API_ORIGIN}/2/media/upload",
                files={"media": ("media", data, mime_type)},
                data={"media_category": "tweet_image", "media_type": mime_type},
                auth=self._oauth1.apply_auth(),
                headers={"User-Agent": self._client.user_agent},
            )
        except requests.RequestException as exc:
            raise Unavailable(f"media upload failed: {type(exc).__name__}") from exc
        if not 200 <= response.status_code < 300:
            raise translate_response("media upload", response)
        try:
            body = response.json()
        except ValueError as exc:
            raise Unavailable("media upload answered with a body that is not JSON") from exc
        media = body.get("data") if isinstance(body, dict) else None
        media_id = media.get("id") if isinstance(media, dict) else None
        if media_id is None:
            raise Unavailable("media upload answered without data.id")
        return str(media_id)

    # ------------------------------------------------------------------------------------------

    def _call(
        self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        try:
            body = method(*args, **kwargs)
        except tweepy.HTTPException as exc:
            raise translate_response(what, exc.response) from exc
        except requests.Timeout as exc:
            raise Unavailable(f"{what}: the X API did not answer in time") from exc
        except requests.ConnectionError as exc:
            raise Unavailable(f"{what}: could not connect to {self.base_url}") from exc
        except ValueError as exc:  # requests' JSONDecodeError is a ValueError
            raise Unavailable(f"{what}: the X API answered with a body that is not JSON") from exc
        except requests.RequestException as exc:
            raise Unavailable(f"{what}: request failed ({type(exc).__name__})") from exc
        if not isinstance(body, dict):
            raise Unavailable(f"{what}: the X API answered with JSON that is not an object")
        return body


def _fields() -> dict[str, Any]:
    return {"tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS, "expansions": EXPANSIONS}


def _present(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}
