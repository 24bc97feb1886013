"""Conversions between the store's rows and the core dataclasses (`bot.store` internals).

Row dictionaries here feed bulk (executemany) inserts and updates; the `*_from_row` functions
rebuild the core values the store's methods return. Competitions are kept as canonical JSON with
a SHA-256 digest so `sync_competitions` can tell a changed declaration from an unchanged one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, cast

from bot.core.models import Account, Competition, Metrics, Post, Reference, ReferenceType
from bot.core.snowflake import snowflake_time
from bot.store.schema import AuthorRow, TweetRow


def competition_config(c: Competition) -> tuple[dict[str, Any], str]:
    """The competition as JSON-ready data, and the SHA-256 of its canonical serialisation."""
    data = json.loads(json.dumps(asdict(c), default=_json_default, sort_keys=True))
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return data, hashlib.sha256(canonical.encode()).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()  # e.g. late_grace
    raise TypeError(f"cannot serialise {value!r}")


def author_values(u: Account, now: datetime) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "name": u.name,
        "created_at": u.created_at,
        "followers": u.followers,
        "following": u.following,
        "tweet_count": u.post_count,
        "protected": u.protected,
        "updated_at": now,
    }


def user_from_row(row: AuthorRow) -> Account:
    return Account(
        id=row.id,
        username=row.username,
        name=row.name,
        created_at=row.created_at,
        followers=row.followers,
        following=row.following,
        post_count=row.tweet_count,
        protected=row.protected,
    )


def original_created_at(t: Post) -> datetime:
    """When the chain's first version was posted: the tweet's own time if it is the first version,
    else what the key's snowflake encodes (to the second, like the API's created_at)."""
    if t.id == t.key:
        return t.created_at
    return snowflake_time(t.key).replace(microsecond=0)


def content_values(t: Post) -> dict[str, Any]:
    """The columns that follow the newest version of a chain."""
    return {
        "latest_id": t.id,
        "author_id": t.author_id,
        "text": t.text,
        "note_text": t.note_text,
        "conversation_id": t.conversation_id,
        "in_reply_to_user_id": t.in_reply_to_author_id,
        "lang": t.lang,
        "edit_history": list(t.edit_history_ids),
        "references": [{"type": r.type, "id": r.id} for r in t.references],
        "hashtags": list(t.hashtags),
        "mentions": list(t.mentions),
    }


# Rows written before the core spoke of reposts hold X's name for one.
_LEGACY_REFERENCE_TYPES: dict[str, ReferenceType] = {"retweeted": "reposted"}


def reference_from_json(data: dict[str, str]) -> Reference:
    """A stored reference, old rows' type names read as today's."""
    kind = _LEGACY_REFERENCE_TYPES.get(data["type"], cast(ReferenceType, data["type"]))
    return Reference(type=kind, id=data["id"])


def metric_values(m: Metrics) -> dict[str, int]:
    return {
        "likes": m.likes,
        "replies": m.replies,
        "reposts": m.reposts,
        "quotes": m.quotes,
        "bookmarks": m.bookmarks,
        "impressions": m.impressions,
    }


def tweet_from_row(row: TweetRow) -> Post:
    return Post(
        id=row.latest_id,
        text=row.text,
        author_id=row.author_id,
        created_at=row.created_at,
        edit_history_ids=tuple(row.edit_history) or (row.key,),
        conversation_id=row.conversation_id,
        in_reply_to_author_id=row.in_reply_to_user_id,
        lang=row.lang,
        references=tuple(reference_from_json(r) for r in row.references),
        hashtags=tuple(row.hashtags),
        mentions=tuple(row.mentions),
        note_text=row.note_text,
        metrics=Metrics(
            likes=row.likes,
            replies=row.replies,
            reposts=row.reposts,
            quotes=row.quotes,
            bookmarks=row.bookmarks,
            impressions=row.impressions,
        ),
    )
