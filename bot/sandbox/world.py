"""The sandbox's state: accounts, tweets and their public metrics, edits, deletions, replies, quotes
and retweets, kept the way X keeps them so the HTTP layer can answer like the real API.

Tweet ids are snowflakes minted from `created_at` (so `since_id`, `until_id` and times agree);
an edit mints a new id and extends an edit chain shared by every version; deleting any version
deletes the chain; replies, quotes and retweets move the counters of the tweet they point at.
Tweets are kept in an id-sorted list plus inverted indexes (ascending id lists) per author,
mention, hashtag, conversation and keyword token (`bot.sandbox.query.words_of`, the tokens the
query matcher compares), so that loading 100,000 tweets stays cheap and a search reads only the
postings of the terms its query requires (`postings`, `newest_first`). Every insert (post, reply,
quote, retweet, edit: all through `_insert`) adds to every index; tweets are never removed from
them (a deleted or superseded version stays listed and search filters it), and a record's text,
author and conversation never change, so the postings stay exact. One re-entrant lock guards
everything; the HTTP layer holds it while it reads and renders.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.core.snowflake import make_snowflake
from bot.sandbox.entities import hashtags_of, mentions_of, short_text
from bot.sandbox.query import IndexTerm, words_of
from bot.sandbox.records import TweetRec, UserRec, add_sorted, tag_key


class Postings:
    """An inverted index, key -> ascending tweet nums, for keys most of which only one tweet
    carries (a word used once, a conversation without replies): such a key costs a dict entry
    and no list, about half the memory of a list per key."""

    __slots__ = ("_many", "_one")

    def __init__(self) -> None:
        self._one: dict[str, int] = {}
        self._many: dict[str, list[int]] = {}

    def add(self, key: str, num: int) -> None:
        many = self._many.get(key)
        if many is not None:
            add_sorted(many, num)
            return
        first = self._one.get(key)
        if first is None:
            self._one[key] = num
        elif first != num:
            del self._one[key]
            self._many[key] = [first, num] if first < num else [num, first]

    def get(self, key: str) -> list[int]:
        """The ascending nums under `key` ([] if none); do not modify the list."""
        many = self._many.get(key)
        if many is not None:
            return many
        one = self._one.get(key)
        return [] if one is None else [one]

    def keys(self) -> set[str]:
        return set(self._one) | set(self._many)

    def __len__(self) -> int:
        return len(self._one) + len(self._many)


class World:
    """All sandbox state. Every public method is thread-safe (one re-entrant lock, `self.lock`)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.index_delay = 0.0  # global late indexing, seconds after created_at
        self.users: dict[str, UserRec] = {}
        self._by_name: dict[str, UserRec] = {}
        self.tweets: dict[int, TweetRec] = {}
        self.order: list[int] = []  # every tweet num, ascending
        self.by_author: dict[str, list[int]] = {}
        self.by_mention: dict[str, list[int]] = {}
        self.by_hashtag: dict[str, list[int]] = {}
        self.by_word = Postings()  # keys: bot.sandbox.query.words_of tokens
        self.by_conversation = Postings()
        self._live_texts: dict[tuple[str, str], int] = {}
        self._counter = 0

    # ---------------------------------------------------------------- users
    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        created_at: datetime | None = None,
        followers: int = 0,
        following: int = 0,
        protected: bool = False,
        suspended: bool = False,
        verified: bool = False,
        description: str = "",
    ) -> str:
        with self.lock:
            if username.lower() in self._by_name:
                raise ValueError(f"user @{username} already exists in the sandbox world")
            when = created_at or (self.clock.now() - timedelta(days=400))
            uid = self._mint(when, worker=1)
            user = UserRec(
                uid,
                username,
                name or username,
                when,
                followers,
                following,
                protected=protected,
                suspended=suspended,
                verified=verified,
                description=description,
            )
            self.users[uid] = user
            self._by_name[username.lower()] = user
            return uid

    def user(self, username_or_id: str) -> UserRec:
        """The account by username (with or without '@') or id; KeyError naming it otherwise."""
        with self.lock:
            found = self.find_user(username_or_id)
            if found is None:
                raise KeyError(f"no sandbox user {username_or_id!r}: add it with World.add_user")
            return found

    def find_user(self, username_or_id: str) -> UserRec | None:
        with self.lock:
            key = username_or_id.lstrip("@")
            return self.users.get(key) or self._by_name.get(key.lower())

    def user_ids(self) -> dict[str, str]:
        """lower-case username -> id (for mention entities)."""
        return {name: u.id for name, u in self._by_name.items()}

    def set_protected(self, username: str, value: bool = True) -> None:
        with self.lock:
            self.user(username).protected = value

    def set_suspended(self, username: str, value: bool = True) -> None:
        with self.lock:
            self.user(username).suspended = value

    # ---------------------------------------------------------------- tweets
    def post(
        self,
        username: str,
        text: str,
        *,
        at: datetime | None = None,
        reply_to: str | None = None,
        quote_of: str | None = None,
        lang: str | None = "en",
        index_delay: float = 0.0,
        media_keys: tuple[str, ...] = (),
    ) -> str:
        """Create a tweet by `username` at `at` (default: now) and return its id."""
        with self.lock:
            author = self.user(username)
            when = at or self.clock.now()
            parent = self.get(reply_to) if reply_to else None
            quoted = self.get(quote_of) if quote_of else None
            if reply_to and parent is None:
                raise KeyError(f"cannot reply to unknown tweet {reply_to}")
            if quote_of and quoted is None:
                raise KeyError(f"cannot quote unknown tweet {quote_of}")
            num = int(self._mint(when))
            tid = str(num)
            t = TweetRec(
                tid,
                num,
                author.id,
                author.username,
                text,
                when,
                lang,
                conversation_id=parent.conversation_id if parent else tid,
                chain=[tid],
                hashtags=hashtags_of(text),
                mentions=mentions_of(text),
                in_reply_to_tweet_id=parent.id if parent else None,
                in_reply_to_user_id=parent.author_id if parent else None,
                in_reply_to_username=parent.author_username if parent else None,
                quote_of=quoted.id if quoted else None,
                media_keys=media_keys,
                index_delay=index_delay,
            )
            if parent:
                parent.replies += 1
            if quoted:
                quoted.quotes += 1
            self._insert(t)
            return tid

    def reply(
        self,
        username: str,
        tweet_id: str,
        text: str,
        *,
        at: datetime | None = None,
        lang: str | None = "en",
        index_delay: float = 0.0,
        mention_parent: bool = True,
    ) -> str:
        """Reply as a person would in the app: the text starts with @parent-author unless it is a
        self-reply or already starts with it (set `mention_parent=False` to keep `text` as is)."""
        with self.lock:
            parent = self.get(tweet_id)
            if parent is None:
                raise KeyError(f"cannot reply to unknown tweet {tweet_id}")
            me = self.user(username)
            prefix = f"@{parent.author_username} "
            if mention_parent and me.id != parent.author_id and not text.startswith(prefix):
                text = prefix + text
            return self.post(
                username, text, at=at, reply_to=tweet_id, lang=lang, index_delay=index_delay
            )

    def quote(
        self,
        username: str,
        tweet_id: str,
        text: str,
        *,
        at: datetime | None = None,
        lang: str | None = "en",
        index_delay: float = 0.0,
    ) -> str:
        return self.post(
            username, text, at=at, quote_of=tweet_id, lang=lang, index_delay=index_delay
        )

    def retweet(self, username: str, tweet_id: str, *, at: datetime | None = None) -> str:
        with self.lock:
            orig = self.get(tweet_id)
            if orig is None or orig.deleted:
                raise KeyError(f"cannot retweet unknown or deleted tweet {tweet_id}")
            if orig.retweet_of is not None:
                orig = self.tweets[int(orig.retweet_of)]
            me = self.user(username)
            if me.id in orig.retweeted_by:
                raise ValueError(f"@{username} already retweeted {orig.id}")
            text = f"RT @{orig.author_username}: {orig.full_text}"
            num = int(self._mint(at or self.clock.now()))
            tid = str(num)
            t = TweetRec(
                tid,
                num,
                me.id,
                me.username,
                short_text(text),
                at or self.clock.now(),
                orig.lang,
                conversation_id=tid,
                chain=[tid],
                hashtags=hashtags_of(text),
                mentions=mentions_of(text),
                retweet_of=orig.id,
            )
            orig.retweets += 1
            orig.retweeted_by.add(me.id)
            self._insert(t)
            return tid

    def like(self, tweet_id: str, n: int = 1) -> int:
        """Add `n` likes to the visible (latest) version; returns its new like count."""
        with self.lock:
            t = self._latest_or_raise(tweet_id)
            t.likes = max(0, t.likes + n)
            t.impressions += max(n, 0) * 10
            return t.likes

    def unlike(self, tweet_id: str, n: int = 1) -> int:
        return self.like(tweet_id, -n)

    def set_metrics(
        self,
        tweet_id: str,
        *,
        likes: int | None = None,
        replies: int | None = None,
        retweets: int | None = None,
        quotes: int | None = None,
        bookmarks: int | None = None,
        impressions: int | None = None,
    ) -> None:
        """Overwrite counters of this exact version (metrics are per version on X)."""
        with self.lock:
            t = self.get(tweet_id)
            if t is None:
                raise KeyError(f"unknown tweet {tweet_id}")
            for name, value in (
                ("likes", likes),
                ("replies", replies),
                ("retweets", retweets),
                ("quotes", quotes),
                ("bookmarks", bookmarks),
                ("impressions", impressions),
            ):
                if value is not None:
                    setattr(t, name, value)

    def delete(self, tweet_id: str) -> bool:
        """Delete the whole edit chain of `tweet_id` (and retweets of it). False if unknown."""
        with self.lock:
            t = self.get(tweet_id)
            if t is None or t.deleted:
                return False
            for vid in list(t.chain):
                self._delete_one(self.tweets[int(vid)])
            return True

    def edit(self, tweet_id: str, new_text: str, *, at: datetime | None = None) -> str:
        """Edit the latest version: a new id joins the shared chain; metrics start at zero."""
        with self.lock:
            old = self.get(tweet_id)
            if old is None or old.deleted:
                raise KeyError(f"cannot edit unknown or deleted tweet {tweet_id}")
            if not old.is_latest:
                raise ValueError(f"tweet {tweet_id} was already edited; edit {old.chain[-1]}")
            if old.retweet_of is not None:
                raise ValueError("a retweet cannot be edited")
            num = int(self._mint(at or self.clock.now()))
            tid = str(num)
            t = TweetRec(
                tid,
                num,
                old.author_id,
                old.author_username,
                new_text,
                at or self.clock.now(),
                old.lang,
                old.conversation_id,
                old.chain,
                hashtags_of(new_text),
                mentions_of(new_text),
                old.in_reply_to_tweet_id,
                old.in_reply_to_user_id,
                old.in_reply_to_username,
                old.quote_of,
                None,
                old.media_keys,
                old.index_delay,
            )
            old.chain.append(tid)
            self._insert(t, count_author=False)
            return tid

    # ---------------------------------------------------------------- reads
    def get(self, tweet_id: str | int | None) -> TweetRec | None:
        """Any version, deleted or not (None if the id was never minted here)."""
        if tweet_id is None:
            return None
        try:
            return self.tweets.get(int(tweet_id))
        except ValueError:
            return None

    def latest(self, tweet_id: str) -> str:
        t = self.get(tweet_id)
        if t is None:
            raise KeyError(f"unknown tweet {tweet_id}")
        return t.chain[-1]

    def is_searchable(self, t: TweetRec, now: datetime) -> bool:
        delay = max(t.index_delay, self.index_delay)
        return t.created_at + timedelta(seconds=delay) <= now if delay else t.created_at <= now

    def scan(
        self,
        nums: list[int],
        *,
        since: int | None = None,
        until: int | None = None,
        newest_first: bool = True,
    ) -> Iterator[TweetRec]:
        """Tweets of `nums` (an ascending index) with since < num < until, in id order."""
        lo = bisect.bisect_right(nums, since) if since is not None else 0
        hi = bisect.bisect_left(nums, until) if until is not None else len(nums)
        rng = range(hi - 1, lo - 1, -1) if newest_first else range(lo, hi)
        tweets = self.tweets
        for i in rng:
            yield tweets[nums[i]]

    def collect(
        self,
        nums: list[int],
        keep: Callable[[TweetRec], bool],
        limit: int,
        *,
        since: int | None = None,
        until: int | None = None,
        newest_first: bool = True,
    ) -> tuple[list[TweetRec], bool]:
        """Up to `limit` tweets passing `keep`, and whether at least one more exists."""
        out: list[TweetRec] = []
        for t in self.scan(nums, since=since, until=until, newest_first=newest_first):
            if keep(t):
                if len(out) == limit:
                    return out, True
                out.append(t)
        return out, False

    def postings(self, term: IndexTerm) -> list[int]:
        """The ascending nums of the tweets carrying `term` (see bot.sandbox.query.IndexTerm):
        every version ever inserted, deleted and superseded ones included (search filters them).
        Do not modify the list. An unknown kind answers every tweet, which loses nothing."""
        kind, key = term
        if kind == "word":
            return self.by_word.get(key)
        if kind == "hashtag":
            return self.by_hashtag.get(key, [])
        if kind == "mention":
            return self.by_mention.get(key, [])
        if kind == "from":  # usernames never change, so a tweet's author_username is its author's
            user = self._by_name.get(key)
            return self.by_author.get(user.id, []) if user is not None else []
        if kind == "author_id":
            return self.by_author.get(key, [])
        if kind == "conversation_id":
            return self.by_conversation.get(key)
        return self.order

    def newest_first(
        self, lists: Sequence[list[int]], *, since: int | None = None, until: int | None = None
    ) -> Iterator[int]:
        """The union of ascending `lists` (postings, `order`) with since < num < until, newest
        first and without repeats, produced lazily: a page that fills early reads no further."""
        runs = [_descending(nums, since, until) for nums in lists]
        if len(runs) == 1:
            return runs[0]
        return _distinct(heapq.merge(*runs, reverse=True))

    def candidates(
        self,
        union: Sequence[list[int]],
        checks: Sequence[Sequence[list[int]]] = (),
        *,
        since: int | None = None,
        until: int | None = None,
    ) -> Iterator[int]:
        """Newest first, lazily: the nums of the union of `union` (ascending lists) with
        since < num < until that are also, for each group of `checks`, in one of its lists: an
        intersection of posting unions. Worked out in chunks that double from 256 (a page that
        fills early costs one chunk), each checked with set operations over the part of every
        checked list inside the chunk's range, or by binary search when that part is larger."""
        nums = self.newest_first(union, since=since, until=until)
        if not checks:
            yield from nums
            return
        size = 256
        while chunk := list(itertools.islice(nums, size)):
            newest, oldest = chunk[0], chunk[-1]
            alive = set(chunk)
            for lists in checks:
                found: set[int] = set()
                for posting in lists:
                    lo = bisect.bisect_left(posting, oldest)
                    hi = bisect.bisect_right(posting, newest)
                    if hi - lo <= 4 * len(alive):
                        found.update(posting[lo:hi])
                    else:
                        found.update(num for num in alive if _holds(posting, num))
                alive &= found
                if not alive:
                    break
            if alive:
                yield from (num for num in chunk if num in alive)
            size = min(size * 2, 1 << 16)

    def take(
        self, nums: Iterable[int], keep: Callable[[TweetRec], bool], limit: int
    ) -> tuple[list[TweetRec], bool]:
        """Up to `limit` tweets of `nums` (in that order) passing `keep`, and whether at least
        one more exists."""
        out: list[TweetRec] = []
        tweets = self.tweets
        for num in nums:
            t = tweets[num]
            if keep(t):
                if len(out) == limit:
                    return out, True
                out.append(t)
        return out, False

    def summary(self) -> dict[str, object]:
        with self.lock:
            live = sum(1 for t in self.tweets.values() if not t.deleted)
            return {
                "now": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "users": len(self.users),
                "tweets": len(self.tweets),
                "live_tweets": live,
                "index_delay": self.index_delay,
            }

    def has_live_text(self, author_id: str, text: str) -> bool:
        return self._live_texts.get((author_id, text), 0) > 0

    # ---------------------------------------------------------------- internals
    def _mint(self, when: datetime, worker: int = 0) -> str:
        if when.tzinfo is None:
            raise ValueError(f"naive datetime {when!r}: sandbox times must be timezone-aware UTC")
        when = when.astimezone(UTC)
        while True:
            self._counter += 1
            sid = make_snowflake(when, self._counter & 0xFFF, worker)
            if int(sid) not in self.tweets and sid not in self.users:
                return sid

    def _insert(self, t: TweetRec, count_author: bool = True) -> None:
        self.tweets[t.num] = t
        add_sorted(self.order, t.num)
        add_sorted(self.by_author.setdefault(t.author_id, []), t.num)
        for name in {m.lower() for m in t.mentions}:
            add_sorted(self.by_mention.setdefault(name, []), t.num)
        for tag in {tag_key(h) for h in t.hashtags}:
            add_sorted(self.by_hashtag.setdefault(tag, []), t.num)
        for word in set(words_of(t.full_text)):
            self.by_word.add(word, t.num)
        self.by_conversation.add(t.conversation_id, t.num)
        key = (t.author_id, t.full_text)
        self._live_texts[key] = self._live_texts.get(key, 0) + 1
        if count_author:
            self.users[t.author_id].tweet_count += 1

    def _delete_one(self, t: TweetRec) -> None:
        if t.deleted:
            return
        t.deleted = True
        key = (t.author_id, t.full_text)
        self._live_texts[key] = self._live_texts.get(key, 1) - 1
        if t.is_latest:
            self.users[t.author_id].tweet_count -= 1
        parent = self.get(t.in_reply_to_tweet_id)
        if parent is not None and t.is_latest and parent.replies > 0:
            parent.replies -= 1
        quoted = self.get(t.quote_of)
        if quoted is not None and t.is_latest and quoted.quotes > 0:
            quoted.quotes -= 1
        orig = self.get(t.retweet_of)
        if orig is not None:
            orig.retweets = max(0, orig.retweets - 1)
            orig.retweeted_by.discard(t.author_id)
        if t.retweets:
            for num in self.by_mention.get(t.author_username.lower(), []):
                rt = self.tweets[num]
                if rt.retweet_of == t.id:
                    self._delete_one(rt)

    def _latest_or_raise(self, tweet_id: str) -> TweetRec:
        t = self.get(tweet_id)
        if t is None:
            raise KeyError(f"unknown tweet {tweet_id}")
        return self.tweets[int(t.chain[-1])]


def _descending(nums: list[int], since: int | None, until: int | None) -> Iterator[int]:
    """The items of the ascending list `nums` with since < num < until, newest first."""
    lo = bisect.bisect_right(nums, since) if since is not None else 0
    hi = bisect.bisect_left(nums, until) if until is not None else len(nums)
    return itertools.islice(reversed(nums), len(nums) - hi, len(nums) - lo)


def _distinct(nums: Iterator[int]) -> Iterator[int]:
    last = None
    for num in nums:
        if num != last:
            yield num
            last = num


def _holds(nums: list[int], num: int) -> bool:
    """Whether the ascending list `nums` contains `num` (binary search)."""
    i = bisect.bisect_left(nums, num)
    return i < len(nums) and nums[i] == num


__all__ = ["Postings", "TweetRec", "UserRec", "World"]
