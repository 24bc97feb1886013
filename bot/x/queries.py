"""The search queries the bot sends to X (X's query syntax stops here): a competition's hashtags
OR-combined in parentheses, `-is:retweet` (a retweet is not an entry) and any extra operators,
split into several queries only when one would pass X's query length limit (512 characters
self-serve, CONTRACT.md §2), and the queries that fetch the replies of conversations, grouped to
fit. Pure: strings in, strings out."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

MAX_QUERY_LENGTH = 512
"""X's search query length limit (self-serve), CONTRACT.md §2."""
_HASHTAG = re.compile(r"\w+")


def _is_hashtag_name(name: str) -> bool:
    """Letters, digits, '_' and combining marks (as twitter-text's hashtag rule allows: NFC keeps
    some scripts' marks separate, e.g. Bengali U+09DC becomes U+09A1 U+09BC), not starting with
    a mark."""
    if not name or unicodedata.category(name[0]).startswith("M"):
        return False
    return all(_HASHTAG.fullmatch(ch) or unicodedata.category(ch).startswith("M") for ch in name)


def normalize_hashtag(tag: str) -> str:
    """`tag` without its leading '#', NFC and trimmed; ValueError if X could not index it."""
    name = unicodedata.normalize("NFC", tag.strip()).removeprefix("#").removeprefix("＃")
    if not _is_hashtag_name(name) or name.isdigit():
        raise ValueError(
            f"hashtag {tag!r} is not a valid X hashtag: use letters, digits or '_' "
            "(not only digits), with or without a leading '#'"
        )
    return name


def _query(tags: Sequence[str], suffix: str) -> str:
    body = "#" + tags[0] if len(tags) == 1 else "(" + " OR ".join("#" + t for t in tags) + ")"
    return body + suffix


def build_search_queries(
    hashtags: Sequence[str],
    *,
    exclude_retweets: bool = True,
    extra: str = "",
    max_length: int = MAX_QUERY_LENGTH,
) -> list[str]:
    """Queries that together find every post carrying any of `hashtags`, e.g.
    `(#IGFcontest OR #InternetGov) -is:retweet`. Hashtags keep their order and are de-duplicated
    case-insensitively; each lands in exactly one query and every query is at most `max_length`
    characters. `extra` (e.g. `lang:en`) is appended to each query as given."""
    if not hashtags:
        raise ValueError("no hashtags to search for: configure at least one competition hashtag")
    seen: set[str] = set()
    tags: list[str] = []
    for tag in hashtags:
        name = normalize_hashtag(tag)
        if name.lower() not in seen:
            seen.add(name.lower())
            tags.append(name)
    suffix = (" -is:retweet" if exclude_retweets else "") + (
        f" {extra.strip()}" if extra.strip() else ""
    )

    queries: list[str] = []
    chunk: list[str] = []
    for name in tags:
        if len(_query([name], suffix)) > max_length:
            raise ValueError(
                f"hashtag #{name} alone makes a query of {len(_query([name], suffix))} characters, "
                f"over the limit of {max_length}: shorten the hashtag or the extra operators "
                f"{extra.strip()!r}"
            )
        if chunk and len(_query([*chunk, name], suffix)) > max_length:
            queries.append(_query(chunk, suffix))
            chunk = []
        chunk.append(name)
    queries.append(_query(chunk, suffix))
    return queries


def conversation_queries(
    conversation_ids: Sequence[str], *, max_length: int = MAX_QUERY_LENGTH
) -> list[list[str]]:
    """`conversation_ids` (de-duplicated, order kept) in groups whose combined query
    (`conversation_query`) fits `max_length` characters: about 20 tweet ids per query."""
    groups: list[list[str]] = []
    chunk: list[str] = []
    for cid in dict.fromkeys(conversation_ids):
        if not (cid.isascii() and cid.isdigit()):
            raise ValueError(f"conversation id {cid!r} is not a tweet id (digits only)")
        if chunk and len(conversation_query([*chunk, cid])) > max_length:
            groups.append(chunk)
            chunk = []
        chunk.append(cid)
    if chunk:
        groups.append(chunk)
    return groups


def conversation_query(conversation_ids: Sequence[str]) -> str:
    """The replies in any of these conversations:
    `(conversation_id:1 OR conversation_id:2) is:reply` (no parentheses for one)."""
    terms = [f"conversation_id:{c}" for c in conversation_ids]
    if not terms:
        raise ValueError("no conversation to search: pass at least one conversation id")
    body = terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"
    return body + " is:reply"
