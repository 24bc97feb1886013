"""The X API as the rest of the bot sees it: a handful of methods returning our own dataclasses.

`bot.x.tweepy_client.TweepyXClient` implements it over tweepy (the only tweepy importer). Each call
is one HTTP request, so callers control pagination, cursors and crash safety. Failures raise the
`bot.core.errors` hierarchy; partial errors inside 200 responses are returned, not raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.models import Account, Lookup, Page, PublishedPost


class XClient(Protocol):
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
        """One page of GET /2/tweets/search/recent with the fields and expansions scoring needs."""
        ...

    def mentions(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        start_time: datetime | None = None,
        pagination_token: str | None = None,
        max_results: int = 100,
    ) -> Page:
        """One page of GET /2/users/:id/mentions."""
        ...

    def lookup_tweets(self, ids: Sequence[str]) -> Lookup:
        """GET /2/tweets?ids= for at most 100 ids; problems (deleted, protected) come back in
        `Lookup.problems`, not as exceptions."""
        ...

    def get_me(self) -> Account:
        """GET /2/users/me (user context)."""
        ...

    def get_user(self, username: str) -> Account | None:
        """GET /2/users/by/username/:username; None when no such user."""
        ...

    def create_tweet(
        self, text: str, *, reply_to: str | None = None, media_ids: Sequence[str] = ()
    ) -> PublishedPost:
        """POST /2/tweets (user context)."""
        ...

    def delete_tweet(self, tweet_id: str) -> bool:
        """DELETE /2/tweets/:id (user context)."""
        ...

    def upload_media(self, data: bytes, mime_type: str = "image/png") -> str:
        """POST /2/media/upload (simple image upload); returns the media id."""
        ...

    def user_timeline(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        pagination_token: str | None = None,
        max_results: int = 100,
    ) -> Page:
        """One page of the account's own recent tweets (GET /2/users/:id/tweets), used to recognise
        a post that was created but not recorded before a crash; `Page.next_token` is the
        `pagination_token` of the next (older) page."""
        ...
