"""The X API v2 wire format: how tweets, users, media, `includes`, partial errors and problem
bodies look on the wire (CONTRACT.md §0-§4, §8, §10).

Objects carry the default fields only unless `tweet.fields` / `user.fields` / `media.fields` ask
for more; keys are emitted in alphabetical order as the real API does; every time is
`YYYY-MM-DDTHH:MM:SS.000Z`; every id is a string. The functions here read a `World` but never
change it; callers hold the world lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.sandbox.entities import entities_of
from bot.sandbox.world import TweetRec, UserRec, World

PROBLEMS = "https://api.twitter.com/2/problems/"

TWEET_FIELDS = frozenset(
    [
        "article",
        "attachments",
        "author_id",
        "card_uri",
        "community_id",
        "context_annotations",
        "conversation_id",
        "created_at",
        "display_text_range",
        "edit_controls",
        "edit_history_tweet_ids",
        "entities",
        "geo",
        "id",
        "in_reply_to_user_id",
        "lang",
        "media_metadata",
        "non_public_metrics",
        "note_tweet",
        "organic_metrics",
        "possibly_sensitive",
        "promoted_metrics",
        "public_metrics",
        "referenced_tweets",
        "reply_settings",
        "scopes",
        "source",
        "suggested_source_links",
        "text",
        "withheld",
    ]
)
USER_FIELDS = frozenset(
    [
        "affiliation",
        "confirmed_email",
        "connection_status",
        "created_at",
        "description",
        "entities",
        "id",
        "is_identity_verified",
        "location",
        "most_recent_tweet_id",
        "name",
        "parody",
        "pinned_tweet_id",
        "profile_banner_url",
        "profile_image_url",
        "protected",
        "public_metrics",
        "receives_your_dm",
        "subscription",
        "subscription_type",
        "url",
        "username",
        "verified",
        "verified_followers_count",
        "verified_type",
        "withheld",
    ]
)
MEDIA_FIELDS = frozenset(
    [
        "alt_text",
        "duration_ms",
        "height",
        "media_key",
        "non_public_metrics",
        "organic_metrics",
        "preview_image_url",
        "promoted_metrics",
        "public_metrics",
        "type",
        "url",
        "variants",
        "width",
    ]
)
TWEET_EXPANSIONS = frozenset(
    [
        "article.cover_media",
        "article.media_entities",
        "attachments.media_keys",
        "attachments.media_source_tweet",
        "attachments.poll_ids",
        "author_id",
        "edit_history_tweet_ids",
        "entities.mentions.username",
        "geo.place_id",
        "in_reply_to_user_id",
        "entities.note.mentions.username",
        "referenced_tweets.id",
        "referenced_tweets.id.attachments.media_keys",
        "referenced_tweets.id.author_id",
    ]
)
USER_EXPANSIONS = frozenset(["affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id"])


def ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def render_tweet(t: TweetRec, fields: frozenset[str], world: World) -> dict[str, Any]:
    shown = t.full_text if t.retweet_of is not None else t.short_text
    # Both the old and the new versions of an edited tweet carry the whole chain.
    d: dict[str, Any] = {"edit_history_tweet_ids": list(t.chain), "id": t.id, "text": shown}
    if not fields:
        return d
    if "author_id" in fields:
        d["author_id"] = t.author_id
    if "created_at" in fields:
        d["created_at"] = ts(t.created_at)
    if "conversation_id" in fields:
        d["conversation_id"] = t.conversation_id
    if "lang" in fields and t.lang is not None:
        d["lang"] = t.lang
    if "in_reply_to_user_id" in fields and t.in_reply_to_user_id is not None:
        d["in_reply_to_user_id"] = t.in_reply_to_user_id
    if "possibly_sensitive" in fields:
        d["possibly_sensitive"] = False
    if "reply_settings" in fields:
        d["reply_settings"] = t.reply_settings
    if "edit_controls" in fields:
        d["edit_controls"] = {
            "edits_remaining": max(0, 5 - (len(t.chain) - 1)),
            "is_edit_eligible": t.retweet_of is None and not t.media_keys,
            "editable_until": ts(world.tweets[int(t.chain[0])].created_at + timedelta(hours=1)),
        }
    if "public_metrics" in fields:
        if t.retweet_of is not None:
            orig = world.get(t.retweet_of)
            d["public_metrics"] = _metrics(orig.retweets if orig else 0, 0, 0, 0, 0, 0)
        else:
            d["public_metrics"] = _metrics(
                t.retweets, t.replies, t.likes, t.quotes, t.bookmarks, t.impressions
            )
    refs = referenced(t)
    if "referenced_tweets" in fields and refs:
        d["referenced_tweets"] = [{"type": kind, "id": rid} for kind, rid in refs]
    if "attachments" in fields and t.media_keys:
        d["attachments"] = {"media_keys": list(t.media_keys)}
    if "entities" in fields:
        ents = entities_of(shown, world.user_ids())
        if ents:
            d["entities"] = ents
    if "note_tweet" in fields and t.is_long and t.retweet_of is None:
        note: dict[str, Any] = {"text": t.full_text}
        ents = entities_of(t.full_text, world.user_ids())
        if ents:
            note["entities"] = ents
        d["note_tweet"] = note
    if "display_text_range" in fields:
        d["display_text_range"] = [0, len(shown)]
    return dict(sorted(d.items()))


def _metrics(rt: int, rep: int, like: int, quote: int, bm: int, imp: int) -> dict[str, int]:
    return {
        "retweet_count": rt,
        "reply_count": rep,
        "like_count": like,
        "quote_count": quote,
        "bookmark_count": bm,
        "impression_count": imp,
    }


def referenced(t: TweetRec) -> list[tuple[str, str]]:
    refs = []
    if t.retweet_of:
        refs.append(("retweeted", t.retweet_of))
    if t.quote_of:
        refs.append(("quoted", t.quote_of))
    if t.in_reply_to_tweet_id:
        refs.append(("replied_to", t.in_reply_to_tweet_id))
    return refs


def render_user(u: UserRec, fields: frozenset[str], world: World) -> dict[str, Any]:
    d: dict[str, Any] = {"id": u.id, "name": u.name, "username": u.username}
    if not fields:
        return d
    if "created_at" in fields:
        d["created_at"] = ts(u.created_at)
    if "description" in fields:
        d["description"] = u.description
    if "protected" in fields:
        d["protected"] = u.protected
    if "verified" in fields:
        d["verified"] = u.verified
    if "verified_type" in fields:
        d["verified_type"] = "blue" if u.verified else "none"
    if "location" in fields:
        d["location"] = ""
    if "url" in fields:
        d["url"] = ""
    if "profile_image_url" in fields:
        d["profile_image_url"] = "https://pbs.twimg.com/profile_images/0/default_normal.png"
    if "public_metrics" in fields:
        d["public_metrics"] = {
            "followers_count": u.followers,
            "following_count": u.following,
            "tweet_count": u.tweet_count,
            "listed_count": u.listed,
            "like_count": 0,
        }
    if "most_recent_tweet_id" in fields:
        nums = world.by_author.get(u.id, [])
        for num in reversed(nums):
            if not world.tweets[num].deleted:
                d["most_recent_tweet_id"] = world.tweets[num].id
                break
    return dict(sorted(d.items()))


def render_media(m: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    d = {"media_key": m["media_key"], "type": "photo"}
    for key in ("url", "width", "height"):
        if key in fields and key in m:
            d[key] = m[key]
    return d


def not_found(kind: str, parameter: str, value: str, section: str | None = None) -> dict[str, Any]:
    """A resource-not-found partial error, as inside a 200 response."""
    plural = "ids" if parameter == "ids" else parameter
    err: dict[str, Any] = {
        "value": value,
        "detail": f"Could not find {kind} with {plural}: [{value}].",
        "title": "Not Found Error",
        "resource_type": kind,
        "parameter": parameter,
        "resource_id": value,
        "type": PROBLEMS + "resource-not-found",
    }
    if section:
        err["section"] = section
    return err


def unavailable(kind: str, parameter: str, value: str) -> dict[str, Any]:
    """A resource-unavailable partial error (X could not serve the resource just now), in a 200."""
    return {
        "parameter": parameter,
        "resource_id": value,
        "resource_type": kind,
        "title": "Resource Unavailable",
        "detail": f"The {kind} with {parameter}: [{value}] is temporarily unavailable.",
        "type": PROBLEMS + "resource-unavailable",
    }


def not_authorized(kind: str, parameter: str, value: str, section: str = "data") -> dict[str, Any]:
    what = "Tweet" if kind == "tweet" else "user"
    return {
        "resource_id": value,
        "parameter": parameter,
        "resource_type": kind,
        "section": section,
        "title": "Authorization Error",
        "value": value,
        "detail": f"Sorry, you are not authorized to see the {what} with {parameter}: [{value}].",
        "type": PROBLEMS + "not-authorized-for-resource",
    }


def invalid_request(errors: list[tuple[str, list[str], str]]) -> dict[str, Any]:
    """The 400 invalid-request body: one entry per (parameter, values, message)."""
    return {
        "errors": [{"parameters": {p: v} if p else {}, "message": msg} for p, v, msg in errors],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": PROBLEMS + "invalid-request",
    }


def problem(
    status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "detail": detail,
        "type": kind if kind == "about:blank" else PROBLEMS + kind,
        "status": status,
    }
    body.update(extra)
    return body


UNAUTHORIZED = problem(401, "Unauthorized", "Unauthorized")
TOO_MANY = problem(429, "Too Many Requests", "Too Many Requests")
UNSUPPORTED_AUTH = problem(
    403,
    "Unsupported Authentication",
    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
    "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
    "unsupported-authentication",
)
USAGE_CAPPED = {
    "account_id": 1,
    "product_name": "standard-basic",
    "title": "UsageCapExceeded",
    "period": "Monthly",
    "scope": "Product",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": PROBLEMS + "usage-capped",
}
CREDITS_DEPLETED = {
    "title": "CreditsDepleted",
    "detail": "Your enrolled account does not have any credits to fulfill this request.",
    "type": PROBLEMS + "credits-depleted",
    "status": 402,
}
SERVER_ERROR = problem(500, "Internal Server Error", "Internal Server Error")
UNAVAILABLE = problem(503, "Service Unavailable", "Service Unavailable")
CLIENT_NOT_ENROLLED = {
    "client_id": "0",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, "
    "you must use keys and tokens from a Twitter developer App that is attached to a Project. You "
    "can create a project via the developer portal.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": PROBLEMS + "client-forbidden",
}
