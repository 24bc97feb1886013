"""The X API v2 wire format -> our values: response JSON to core dataclasses, error responses to
`bot.core.errors`.

Pure parsing with no tweepy (the client hands us raw JSON, `return_type=dict`, and the
`requests.Response` of a failure), so it is shared by `bot.x.tweepy_client` and testable on recorded
bodies. Problem types are matched on their `/2/problems/<name>` suffix, since X serves them under
both api.twitter.com and api.x.com. Messages never contain credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from bot.core.errors import (
    ApiError,
    AuthError,
    CreditsDepleted,
    ForbiddenForTarget,
    InvalidRequest,
    RateLimited,
    StaleCursor,
    TooLong,
    Unavailable,
    UsageCapped,
)
from bot.core.models import (
    Account,
    Lookup,
    Metrics,
    Page,
    Post,
    PostProblem,
    Reference,
    ReferenceType,
)

_CREDENTIAL_PROBLEMS = ("unsupported-authentication", "oauth1-permissions", "client-forbidden")


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------


def translate_response(what: str, response: requests.Response) -> ApiError:
    """The `bot.core.errors` exception for a non-2xx response (never containing credentials)."""
    status = response.status_code
    body = _json_or_empty(response)
    problem = str(body.get("type", ""))
    detail = _detail(body)
    suffix = problem.rsplit("/2/problems/", 1)[1] if "/2/problems/" in problem else ""
    head = f"{what}: X API answered {status}"
    message = f"{head}: {detail}" if detail else head
    if status == 429:
        if suffix == "usage-capped":
            period = body.get("period")
            return UsageCapped(
                message + " - the product cap is spent; wait for the next period or raise the cap",
                period=str(period) if period else None,
                detail=detail,
            )
        return RateLimited(message, reset_at=_reset_at(response), detail=detail)
    if status == 402:
        return CreditsDepleted(
            message + " - top up the pay-per-use balance in the developer console",
            status=status,
            detail=detail,
        )
    if status == 401:
        return AuthError(
            message + " - check the X API keys and tokens (X_BEARER_TOKEN, X_API_KEY, ...)",
            status=status,
            detail=detail,
        )
    if status == 403:
        if suffix in _CREDENTIAL_PROBLEMS:
            return AuthError(
                message + " - check the app's permissions and authentication type",
                status=status,
                detail=detail,
            )
        return ForbiddenForTarget(message, reason=_forbidden_reason(detail), detail=detail)
    if status == 400:
        parameters = _parameters(body)
        text = detail.lower()
        if "too long" in text:
            return TooLong(message, parameters=parameters, detail=detail)
        if "since_id" in parameters or "start_time" in parameters:
            return StaleCursor(message, parameters=parameters, detail=detail)
        return InvalidRequest(message, parameters=parameters, detail=detail)
    if status >= 500:
        return Unavailable(message, status=status, detail=detail)
    if 400 <= status < 500:
        return InvalidRequest(message, status=status, detail=detail)
    return ApiError(message, status=status, detail=detail)


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(body: Mapping[str, Any]) -> str:
    messages = [
        str(e.get("message") or e.get("detail"))
        for e in body.get("errors", []) or []
        if isinstance(e, dict) and (e.get("message") or e.get("detail"))
    ]
    if messages:
        return "; ".join(messages)
    return str(body.get("detail") or body.get("title") or "")


def _parameters(body: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for err in body.get("errors", []) or []:
        params = err.get("parameters") if isinstance(err, dict) else None
        if isinstance(params, dict):
            names.extend(str(p) for p in params if str(p) not in names)
    return tuple(names)


def _forbidden_reason(detail: str) -> str:
    text = detail.lower()
    if "duplicate" in text:
        return "duplicate"
    if "reply to this conversation is not allowed" in text:
        return "reply-restricted"
    if "quoting this post is not allowed" in text:
        return "quote-restricted"
    return "other"


def _reset_at(response: requests.Response) -> datetime | None:
    raw = response.headers.get("x-rate-limit-reset")
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC) if raw else None
    except ValueError:
        return None


# ----------------------------------------------------------------------------------------------
# Parsing the wire format into core dataclasses
# ----------------------------------------------------------------------------------------------


def parse_page(body: Mapping[str, Any]) -> Page:
    meta = body.get("meta") or {}
    data = body.get("data") or []
    try:
        tweets = tuple(parse_tweet(t) for t in data)
        users = _included_users(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise Unavailable("the X API answered with a malformed tweet or user object") from exc
    return Page(
        posts=tweets,
        accounts=users,
        newest_id=_opt_str(meta.get("newest_id")),
        oldest_id=_opt_str(meta.get("oldest_id")),
        result_count=int(meta.get("result_count", len(tweets))),
        next_token=_opt_str(meta.get("next_token")),
    )


def parse_lookup(body: Mapping[str, Any]) -> Lookup:
    try:
        tweets = tuple(parse_tweet(t) for t in body.get("data") or [])
        users = _included_users(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise Unavailable("the X API answered with a malformed tweet or user object") from exc
    problems: list[tuple[str, PostProblem]] = []
    for err in body.get("errors") or []:
        if not isinstance(err, dict) or err.get("section") == "includes":
            continue
        if err.get("resource_type", "tweet") != "tweet":
            continue
        tweet_id = err.get("resource_id") or err.get("value")
        if tweet_id is None:
            continue
        problems.append((str(tweet_id), _problem_kind(str(err.get("type", "")))))
    return Lookup(posts=tweets, accounts=users, problems=tuple(problems))


def _problem_kind(problem_type: str) -> PostProblem:
    if problem_type.endswith("/resource-not-found"):
        return "deleted"
    if problem_type.endswith("/not-authorized-for-resource"):
        return "protected"
    return "unavailable"


def _included_users(body: Mapping[str, Any]) -> tuple[Account, ...]:
    includes = body.get("includes") or {}
    return tuple(parse_user(u) for u in includes.get("users") or [])


# X's names for how a post refers to another, and the core's.
REFERENCE_TYPES: dict[str, ReferenceType] = {
    "retweeted": "reposted",
    "quoted": "quoted",
    "replied_to": "replied_to",
}


def parse_tweet(raw: Mapping[str, Any]) -> Post:
    tweet_id = str(raw["id"])
    entities = raw.get("entities") or {}
    note = raw.get("note_tweet") or {}
    note_entities = note.get("entities") or {}
    metrics = raw.get("public_metrics") or {}
    history = tuple(str(i) for i in raw.get("edit_history_tweet_ids") or [tweet_id])
    references = tuple(
        Reference(type=REFERENCE_TYPES[r["type"]], id=str(r["id"]))
        for r in raw.get("referenced_tweets") or []
        if r.get("type") in REFERENCE_TYPES
    )
    return Post(
        id=tweet_id,
        text=str(raw["text"]),
        author_id=str(raw.get("author_id", "")),
        created_at=parse_time(raw["created_at"]),
        edit_history_ids=history,
        conversation_id=_opt_str(raw.get("conversation_id")),
        in_reply_to_author_id=_opt_str(raw.get("in_reply_to_user_id")),
        lang=_opt_str(raw.get("lang")),
        references=references,
        hashtags=_merged(entities, note_entities, "hashtags", "tag"),
        mentions=_merged(entities, note_entities, "mentions", "username"),
        note_text=_opt_str(note.get("text")),
        metrics=Metrics(
            likes=int(metrics.get("like_count", 0)),
            replies=int(metrics.get("reply_count", 0)),
            reposts=int(metrics.get("retweet_count", 0)),
            quotes=int(metrics.get("quote_count", 0)),
            bookmarks=int(metrics.get("bookmark_count", 0)),
            impressions=int(metrics.get("impression_count", 0)),
        ),
    )


def parse_user(raw: Mapping[str, Any]) -> Account:
    metrics = raw.get("public_metrics") or {}
    created = raw.get("created_at")
    return Account(
        id=str(raw["id"]),
        username=str(raw["username"]),
        name=str(raw.get("name", "")),
        created_at=parse_time(created) if created else None,
        followers=int(metrics.get("followers_count", 0)),
        following=int(metrics.get("following_count", 0)),
        post_count=int(metrics.get("tweet_count", 0)),
        protected=bool(raw.get("protected", False)),
    )


def parse_time(value: str) -> datetime:
    """`2026-08-01T10:00:00.000Z` -> aware UTC datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _merged(
    entities: Mapping[str, Any], note_entities: Mapping[str, Any], kind: str, name: str
) -> tuple[str, ...]:
    # A long post's tags past character 280 are only in note_tweet.entities; the short text's tags
    # appear in both, so de-duplicate keeping the first spelling.
    seen: dict[str, None] = {}
    for source in (entities, note_entities):
        for item in source.get(kind) or []:
            if isinstance(item, dict) and item.get(name):
                seen.setdefault(str(item[name]), None)
    return tuple(seen)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
