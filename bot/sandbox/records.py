"""The records a sandbox `World` keeps: one account (`UserRec`) and one version of one tweet
(`TweetRec`), plus the small helpers its indexes use. `TweetRec` exposes the attributes
`bot.sandbox.query` searches on (text, hashtags, mentions, author, lang, is_retweet...)."""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from bot.sandbox.entities import URL_RE, short_text, weighted_length


@dataclass(slots=True, eq=False)
class UserRec:
    id: str
    username: str
    name: str
    created_at: datetime
    followers: int = 0
    following: int = 0
    tweet_count: int = 0
    listed: int = 0
    protected: bool = False
    suspended: bool = False
    verified: bool = False
    description: str = ""


@dataclass(slots=True, eq=False)
class TweetRec:
    """One version of one tweet. `chain` is the edit-history list shared by all versions."""

    id: str
    num: int
    author_id: str
    author_username: str
    full_text: str
    created_at: datetime
    lang: str | None
    conversation_id: str
    chain: list[str]
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    in_reply_to_tweet_id: str | None = None
    in_reply_to_user_id: str | None = None
    in_reply_to_username: str | None = None
    quote_of: str | None = None
    retweet_of: str | None = None
    media_keys: tuple[str, ...] = ()
    index_delay: float = 0.0
    likes: int = 0
    replies: int = 0
    retweets: int = 0
    quotes: int = 0
    bookmarks: int = 0
    impressions: int = 0
    deleted: bool = False
    reply_settings: str = "everyone"
    retweeted_by: set[str] = field(default_factory=set)

    # The attributes bot.sandbox.query.Query.matches reads.
    @property
    def text(self) -> str:
        return self.full_text

    @property
    def is_retweet(self) -> bool:
        return self.retweet_of is not None

    @property
    def is_reply(self) -> bool:
        return self.in_reply_to_tweet_id is not None

    @property
    def is_quote(self) -> bool:
        return self.quote_of is not None

    @property
    def has_links(self) -> bool:
        return "://" in self.full_text or bool(URL_RE.search(self.full_text))

    @property
    def is_long(self) -> bool:
        return len(self.full_text) > 140 and weighted_length(self.full_text) > 280

    @property
    def short_text(self) -> str:
        return short_text(self.full_text) if self.is_long else self.full_text

    @property
    def is_latest(self) -> bool:
        return self.chain[-1] == self.id


def tag_key(tag: str) -> str:
    """How hashtags compare in search (as bot.sandbox.query.hashtag_key): NFC, lower-case."""
    return unicodedata.normalize("NFC", tag).lower()


def add_sorted(nums: list[int], num: int) -> None:
    if not nums or nums[-1] < num:
        nums.append(num)
    else:
        bisect.insort(nums, num)
