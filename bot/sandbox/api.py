"""The X API v2 read endpoints of the sandbox: recent search, mentions, user timeline, tweet
lookups and user lookups, answered from a `World` in the real wire format.

Search evaluates the query with `bot.sandbox.query` and returns the latest version of each
matching, indexed, non-deleted tweet of a non-protected author, newest first, reading only the
World's postings of the terms the query requires when it requires any (`Reads._candidates`);
pages hold `max_results` items and a `next_token` only when one more exists. Lookups answer 200
with partial errors for deleted, unknown and protected tweets. Writes (posting, deleting, media)
live in `bot.sandbox.writes`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import bot.sandbox.params as P
from bot.sandbox.auth import Caller
from bot.sandbox.pages import includes_of, page_body
from bot.sandbox.params import Fields
from bot.sandbox.query import Query, QueryError, parse_query
from bot.sandbox.wire import not_authorized, not_found, render_tweet, render_user
from bot.sandbox.world import TweetRec, UserRec, World

# At most this many postings of a query's further clauses (each clause whole or not at all) are
# intersected with the candidates of its cheapest clause.
_MAX_CHECKED_TERMS = 16


@dataclass
class Rules:
    """Validation switches (all on by default, as on the real API)."""

    enforce_length: bool = True
    enforce_duplicates: bool = True
    reply_restriction: bool = True
    seven_day_window: bool = True
    end_time_margin: bool = True
    reject_since_id_with_start_time: bool = False  # legacy: since_id wins over start_time
    max_query_length: int = 512
    search_returns_retweets: bool = False  # since 2026-05-04 keyword search drops retweets
    mentions_cap: int = 800


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query_list: list[tuple[str, str]]
    body: bytes
    content_type: str
    caller: Caller
    now: datetime
    user_id: str | None = None  # the authenticated user for OAuth 1.0a calls


@dataclass
class Result:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class Reads:
    def __init__(self, world: World, rules: Rules, media: dict[str, dict[str, Any]]) -> None:
        self.world = world
        self.rules = rules
        self.media = media

    # ------------------------------------------------------------------ search
    def search(self, req: Request) -> Result:
        p = req.params
        errs: P.Problems = []
        P.known(req.query_list, "search", errs)
        q = p.get("query", "")
        if not q:
            errs.append(("query", [], "The `query` query parameter can not be empty"))
            P.check(errs)
        if len(q) > self.rules.max_query_length:
            errs.append(
                (
                    "query",
                    [q],
                    f"There were errors processing your request: Query "
                    f"length ({len(q)}) exceeds the max allowed query length of "
                    f"{self.rules.max_query_length} characters.",
                )
            )
        limit = P.max_results(p, errs, 10, 100, 10)
        P.one_of(p, "sort_order", P.SORT_ORDERS, errs)
        f = P.fields(p, errs)
        win = P.window(
            p,
            errs,
            req.now,
            seven_days=self.rules.seven_day_window,
            end_margin=self.rules.end_time_margin,
            reject_since_with_start=self.rules.reject_since_id_with_start_time,
        )
        if "next_token" in p and "pagination_token" in p:
            errs.append(
                (
                    "pagination_token",
                    [p["pagination_token"]],
                    "At most one of `next_token`, `pagination_token` may be given",
                )
            )
        token_name = "next_token" if "next_token" in p else "pagination_token"
        query = self._parse_query(q, errs)
        P.check(errs)
        assert query is not None  # a query that did not parse left an error: P.check raised
        until = win.until
        if token_name in p:
            _, num = P.decode_token(token_name, p[token_name])
            until = num if until is None else min(until, num)
        world, now, rules = self.world, req.now, self.rules

        def keep(t: TweetRec) -> bool:
            if t.deleted or not t.is_latest or not world.is_searchable(t, now):
                return False
            if t.retweet_of is not None and not rules.search_returns_retweets:
                return False
            if win.start is not None and t.created_at < win.start:
                return False
            if win.end is not None and t.created_at >= win.end:
                return False
            author = world.users[t.author_id]
            if author.protected or author.suspended:
                return False
            return query.matches(t)

        with world.lock:
            tweets, more = world.take(self._candidates(query, win.since, until), keep, limit)
            return Result(
                200, page_body(self.world, self.media, tweets, f, more, None, "search", req.user_id)
            )

    def _candidates(self, query: Query, since: int | None, until: int | None) -> Iterator[int]:
        """Tweet nums, newest first, with since < num < until, among which lie all the matches:
        the union of the postings of the query's cheapest index clause (by posting lengths),
        intersected with the next-cheapest clauses' while at most _MAX_CHECKED_TERMS postings
        are checked; every tweet when the query guarantees no index term
        (`Query.index_clauses` is None). `query.matches` still decides, in `keep`."""
        world = self.world
        clauses = query.index_clauses(lambda term: len(world.postings(term)))
        if clauses is None:
            return world.newest_first([world.order], since=since, until=until)
        first, *rest = clauses
        checks: list[list[list[int]]] = []
        budget = _MAX_CHECKED_TERMS
        for clause in rest:
            if len(clause) > budget:
                break
            budget -= len(clause)
            checks.append([world.postings(t) for t in clause])
        union = [world.postings(t) for t in first]
        return world.candidates(union, checks, since=since, until=until)

    @staticmethod
    def _parse_query(q: str, errs: P.Problems) -> Query | None:
        try:
            return parse_query(q)
        except QueryError as exc:
            message = str(exc.args[0]) if exc.args else str(exc)
            if not message.startswith("There were errors"):
                message = f"There were errors processing your request: {message}"
            errs.append(("query", [q], message))
            return None

    # ---------------------------------------------------------------- timelines
    def mentions(self, req: Request, user_id: str) -> Result:
        return self._timeline(req, user_id, mentions=True)

    def user_tweets(self, req: Request, user_id: str) -> Result:
        return self._timeline(req, user_id, mentions=False)

    def _timeline(self, req: Request, user_id: str, *, mentions: bool) -> Result:
        p = req.params
        errs: P.Problems = []
        P.known(req.query_list, "mentions" if mentions else "user_tweets", errs)
        P.path_id(user_id)
        limit = P.max_results(p, errs, 5, 100, 10)
        f = P.fields(p, errs)
        win = P.window(
            p, errs, req.now, seven_days=False, end_margin=False, reject_since_with_start=False
        )
        excluded = set(p.get("exclude", "").split(",")) - {""}
        for v in excluded - {"retweets", "replies"}:
            errs.append(
                (
                    "exclude",
                    [v],
                    f"The `exclude` query parameter value [{v}] is not one of [replies,retweets]",
                )
            )
        token = (
            P.decode_token("pagination_token", p["pagination_token"])
            if "pagination_token" in p
            else None
        )
        P.check(errs)
        world, now = self.world, req.now
        with world.lock:
            user = world.users.get(user_id)
            if user is None:
                return Result(200, {"errors": [not_found("user", "id", user_id)]})
            if (user.protected and req.user_id != user.id) or user.suspended:
                return Result(200, {"errors": [not_authorized("user", "id", user_id)]})
            nums = (
                world.by_mention.get(user.username.lower(), [])
                if mentions
                else world.by_author.get(user.id, [])
            )

            def keep(t: TweetRec) -> bool:
                if t.deleted or not t.is_latest:
                    return False
                # Mentions are served from the search index (CONTRACT.md): late indexing applies.
                if not (world.is_searchable(t, now) if mentions else t.created_at <= now):
                    return False
                if win.start is not None and t.created_at < win.start:
                    return False
                if win.end is not None and t.created_at >= win.end:
                    return False
                if "retweets" in excluded and t.retweet_of is not None:
                    return False
                if "replies" in excluded and t.in_reply_to_tweet_id is not None:
                    return False
                author = world.users[t.author_id]
                return not author.suspended and (not author.protected or author.id == req.user_id)

            if mentions:  # only the 800 most recent mentions are reachable
                reachable, _ = world.collect(nums, keep, self.rules.mentions_cap)
                nums = sorted(t.num for t in reachable)
                if win.since is not None and nums and win.since < nums[0]:
                    win = P.Window(None, win.until, win.start, win.end)
            since, until = win.since, win.until
            if token is not None and token[0] == "p":
                since = token[1] if since is None else max(since, token[1])
                page, more_newer = world.collect(
                    nums, keep, limit, since=since, until=until, newest_first=False
                )
                page.reverse()
                older = bool(page) and any(True for _ in world.scan(nums, until=page[-1].num))
                more = older
                previous = more_newer
            else:
                if token is not None:
                    until = token[1] if until is None else min(until, token[1])
                page, more = world.collect(nums, keep, limit, since=since, until=until)
                previous = token is not None
            kind = "mentions" if mentions else "user_tweets"
            return Result(
                200, page_body(self.world, self.media, page, f, more, previous, kind, req.user_id)
            )

    # ----------------------------------------------------------------- lookups
    def lookup_many(self, req: Request) -> Result:
        p = req.params
        errs: P.Problems = []
        P.known(req.query_list, "tweets", errs)
        raw = p.get("ids", "")
        ids = [i for i in raw.split(",") if i]
        if not ids:
            errs.append(("ids", [], "The `ids` query parameter can not be empty"))
        elif len(ids) > 100:
            errs.append(
                (
                    "ids",
                    [raw],
                    "The number of values in the `ids` query parameter list "
                    f"[{len(ids)}] is not between 1 and 100",
                )
            )
        for i in ids:
            if not P.ID_RE.match(i):
                errs.append(
                    (
                        "ids",
                        [i],
                        f"The `ids` query parameter value [{i}] does not match ^[0-9]{{1,19}}$",
                    )
                )
        f = P.fields(p, errs)
        P.check(errs)
        return self._lookup(req, ids, f, "ids", many=True)

    def lookup_one(self, req: Request, tweet_id: str) -> Result:
        errs: P.Problems = []
        P.known(req.query_list, "tweet", errs)
        P.path_id(tweet_id)
        f = P.fields(req.params, errs)
        P.check(errs)
        return self._lookup(req, [tweet_id], f, "id", many=False)

    def _lookup(
        self, req: Request, ids: Sequence[str], f: Fields, param: str, many: bool
    ) -> Result:
        world = self.world
        with world.lock:
            found: list[TweetRec] = []
            errors: list[dict[str, Any]] = []
            for i in ids:
                t = world.get(i)
                if t is None or t.deleted or t.created_at > req.now:
                    errors.append(not_found("tweet", param, i))
                    continue
                author = world.users[t.author_id]
                if author.suspended or (author.protected and author.id != req.user_id):
                    errors.append(not_authorized("tweet", param, i))
                    continue
                found.append(t)
            body: dict[str, Any] = {}
            if found:
                rendered = [render_tweet(t, f.tweet, world) for t in found]
                body["data"] = rendered if many else rendered[0]
                includes, inc_errors = includes_of(self.world, self.media, found, f, req.user_id)
                if includes:
                    body["includes"] = includes
                errors.extend(inc_errors)
            if errors:
                body["errors"] = errors
            return Result(200, body)

    def user_by_username(self, req: Request, username: str) -> Result:
        errs: P.Problems = []
        P.known(req.query_list, "user_by_username", errs)
        if not P.USERNAME_RE.match(username):
            errs.append(
                (
                    "username",
                    [username],
                    f"The `username` query parameter value "
                    f"[{username}] does not match ^[A-Za-z0-9_]{{1,15}}$",
                )
            )
        f = P.fields(req.params, errs, users_endpoint=True)
        P.check(errs)
        with self.world.lock:
            user = self.world.find_user(username)
            if user is None or user.id == username:
                return Result(200, {"errors": [not_found("user", "username", username)]})
            if user.suspended:
                return Result(
                    200,
                    {
                        "errors": [
                            {
                                "value": username,
                                "detail": f"User has been suspended: [{username}].",
                                "title": "Forbidden",
                                "resource_type": "user",
                                "parameter": "username",
                                "resource_id": username,
                                "type": "https://api.twitter.com/2/problems/resource-unavailable",
                            }
                        ]
                    },
                )
            return Result(200, self._user_body(user, f))

    def me(self, req: Request) -> Result:
        errs: P.Problems = []
        P.known(req.query_list, "me", errs)
        f = P.fields(req.params, errs, users_endpoint=True)
        P.check(errs)
        with self.world.lock:
            return Result(200, self._user_body(self.world.users[str(req.user_id)], f))

    def _user_body(self, user: UserRec, f: Fields) -> dict[str, Any]:
        body: dict[str, Any] = {"data": render_user(user, f.user, self.world)}
        tweets = []
        for exp, attr in (("pinned_tweet_id", None), ("most_recent_tweet_id", "latest")):
            if exp in f.expansions and attr:
                for num in reversed(self.world.by_author.get(user.id, [])):
                    t = self.world.tweets[num]
                    if not t.deleted and t.is_latest:
                        tweets.append(render_tweet(t, f.tweet, self.world))
                        break
        if tweets:
            body["includes"] = {"tweets": tweets}
        return body
