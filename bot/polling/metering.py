"""Cost accounting at the X API boundary: `MeteredClient` wraps an `XClient`, recording each call.

Each `XClient` call is one HTTP request; the wrapper records it (endpoint, status, the billable
resources it returned - posts and users - and its estimated cost at the `PriceTable`, CONTRACT.md
§7.3 by default) through a callback, remembers the last endpoint (for rate-limit reports), and can
run a hook before each request (the daemon renews its lease there). NUL characters in what comes
back become U+FFFD: PostgreSQL text cannot hold NUL, and a poison tweet must not block a stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from loguru import logger

from bot.clock import Clock
from bot.core.budget import read_cost
from bot.core.cost import DEFAULT_PRICES, PriceTable, estimate_post_cost
from bot.core.errors import ApiError
from bot.core.models import Account, Lookup, Page, Post, PublishedPost
from bot.store.ops import ApiCall
from bot.x.interface import XClient

Recorder = Callable[[ApiCall], None]


class MeteredClient:
    """An `XClient` that records every call (endpoint, status, billable reads, cost) through
    `record`, and remembers the endpoint of the last call (for rate-limit reports)."""

    def __init__(
        self,
        inner: XClient,
        clock: Clock,
        record: Recorder,
        pricing: PriceTable = DEFAULT_PRICES,
        *,
        before: Callable[[], None] | None = None,
    ) -> None:
        self.inner = inner
        self.before = before
        self.clock = clock
        self.record = record
        self.pricing = pricing
        self.last_endpoint: str | None = None
        self.calls = 0

    def __repr__(self) -> str:
        return f"MeteredClient({self.inner!r})"

    def _metered(self, method: str, endpoint: str, fn: Callable[[], Any]) -> Any:
        if self.before is not None:
            self.before()  # e.g. renew the lease: never call the API without one
        self.last_endpoint = endpoint
        self.calls += 1
        try:
            result = fn()
        except ApiError as exc:
            self._note(ApiCall(self.clock.now(), method, endpoint, exc.status))
            raise
        except Exception:
            self._note(ApiCall(self.clock.now(), method, endpoint, None))
            raise
        result = without_nul(result)
        posts, users = _resources(result)
        cost = read_cost(posts, users, prices=self.pricing)
        if endpoint == "create":
            cost = estimate_post_cost(getattr(result, "text", ""), prices=self.pricing)
        elif endpoint == "delete":
            cost = self.pricing.delete
        self._note(ApiCall(self.clock.now(), method, endpoint, 200, posts, users, cost))
        return result

    def _note(self, call: ApiCall) -> None:
        self.record(call)

    def search_recent(self, query: str, **kwargs: Any) -> Page:
        page: Page = self._metered(
            "GET", "search", lambda: self.inner.search_recent(query, **kwargs)
        )
        return page

    def mentions(self, user_id: str, **kwargs: Any) -> Page:
        page: Page = self._metered(
            "GET", "mentions", lambda: self.inner.mentions(user_id, **kwargs)
        )
        return page

    def lookup_tweets(self, ids: Sequence[str]) -> Lookup:
        lookup: Lookup = self._metered("GET", "lookup", lambda: self.inner.lookup_tweets(ids))
        return lookup

    def get_me(self) -> Account:
        user: Account = self._metered("GET", "me", self.inner.get_me)
        return user

    def get_user(self, username: str) -> Account | None:
        user: Account | None = self._metered(
            "GET", "user_by_username", lambda: self.inner.get_user(username)
        )
        return user

    def create_tweet(self, text: str, **kwargs: Any) -> PublishedPost:
        posted: PublishedPost = self._metered(
            "POST", "create", lambda: self.inner.create_tweet(text, **kwargs)
        )
        return posted

    def delete_tweet(self, tweet_id: str) -> bool:
        return bool(self._metered("DELETE", "delete", lambda: self.inner.delete_tweet(tweet_id)))

    def upload_media(self, data: bytes, mime_type: str = "image/png") -> str:
        return str(
            self._metered("POST", "media_upload", lambda: self.inner.upload_media(data, mime_type))
        )

    def user_timeline(self, user_id: str, **kwargs: Any) -> Page:
        page: Page = self._metered(
            "GET", "user_tweets", lambda: self.inner.user_timeline(user_id, **kwargs)
        )
        return page


NUL_REPLACEMENT = "\ufffd"


def without_nul(result: Any) -> Any:
    """Tweets and users with every NUL character replaced by U+FFFD. PostgreSQL text cannot hold
    NUL, so a tweet carrying one would fail every write of its page, forever; replacing it the same
    way on every backend keeps the rest of the text intact and the stores alike."""
    if not isinstance(result, Page | Lookup):
        return result
    if not any("\x00" in _texts(t) for t in result.posts) and not any(
        "\x00" in u.name + u.username for u in result.accounts
    ):
        return result
    tweets = tuple(
        replace(
            t,
            text=t.text.replace("\x00", NUL_REPLACEMENT),
            note_text=None if t.note_text is None else t.note_text.replace("\x00", NUL_REPLACEMENT),
        )
        for t in result.posts
    )
    users = tuple(replace(u, name=u.name.replace("\x00", NUL_REPLACEMENT)) for u in result.accounts)
    logger.warning("replaced NUL characters in API data by U+FFFD (PostgreSQL cannot store NUL)")
    return replace(result, posts=tweets, accounts=users)


def _texts(t: Post) -> str:
    return t.text + (t.note_text or "")


def _resources(result: Any) -> tuple[int, int]:
    """Billable resources in a result: posts and users returned (X bills each one read)."""
    if isinstance(result, Page | Lookup):
        return len(result.posts), len(result.accounts)
    if isinstance(result, Account):
        return 0, 1
    return 0, 0
