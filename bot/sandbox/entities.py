"""Text analysis for sandbox tweets: hashtags, mentions and URLs with their indices, and long posts.

X computes `entities` from the text (start inclusive, end exclusive, code-point indices) and, for a
post longer than 280 weighted characters, returns a shortened `text` while the full text and its
entities live in `note_tweet`. The sandbox does the same here so the bot sees the same shapes.
The weighted length comes from `bot.core.textlength` (twitter-text v3); until that module exists a
plain code-point count stands in.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.core.textlength import weighted_length as core_weighted_length


def _mark_class() -> str:
    """A regex class of the combining marks (Unicode categories Mn, Mc, Me) of the BMP and the
    SMP. Python's `\\w` leaves them out, but X's hashtags (twitter-text) keep them: without
    them #ইন্টারনেট would be cut at its first vowel sign."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x20000):
        if unicodedata.category(chr(cp)).startswith("M"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


_W = rf"[\w{_mark_class()}]"
HASHTAG_RE = re.compile(rf"(?<![\w&#])[#＃]({_W}*[^\W\d]{_W}*)")
MENTION_RE = re.compile(r"(?<![\w@])[@＠](\w{1,15})(?![\w@])")
URL_RE = re.compile(r"https?://[^\s]+")
MAX_WEIGHTED = 280


def weighted_length(text: str) -> int:
    """twitter-text v3 weighted length: the same counter the bot uses before posting."""
    return core_weighted_length(text)


def hashtags_of(text: str) -> tuple[str, ...]:
    if "#" not in text and "＃" not in text:
        return ()
    return tuple(HASHTAG_RE.findall(text))


def mentions_of(text: str) -> tuple[str, ...]:
    if "@" not in text and "＠" not in text:
        return ()
    return tuple(MENTION_RE.findall(text))


def entities_of(text: str, user_ids: dict[str, str]) -> dict[str, Any]:
    """The `entities` object for `text`. `user_ids` maps lower-case usernames to ids (a mention of
    an unknown account is still an entity, without an id, as X does for deactivated names)."""
    out: dict[str, Any] = {}
    urls = []
    for m in URL_RE.finditer(text):
        url = m.group(0).rstrip(".,!?)…")
        display = url.split("://", 1)[1]
        urls.append(
            {
                "start": m.start(),
                "end": m.start() + len(url),
                "url": url,
                "expanded_url": url,
                "display_url": display if len(display) <= 26 else display[:25] + "…",
            }
        )
    if "#" in text or "＃" in text:
        tags = [
            {"start": m.start(), "end": m.end(), "tag": m.group(1)}
            for m in HASHTAG_RE.finditer(text)
        ]
        if tags:
            out["hashtags"] = tags
    if "@" in text or "＠" in text:
        mentions = []
        for m in MENTION_RE.finditer(text):
            item: dict[str, Any] = {"start": m.start(), "end": m.end(), "username": m.group(1)}
            uid = user_ids.get(m.group(1).lower())
            if uid is not None:
                item["id"] = uid
            mentions.append(item)
        if mentions:
            out["mentions"] = mentions
    if urls:
        out["urls"] = urls
    return out


def short_text(full: str) -> str:
    """The `text` X shows for a long post: the longest prefix, cut at a space, that fits 280
    weighted characters together with the trailing ellipsis."""
    if weighted_length(full) <= MAX_WEIGHTED:
        return full
    lo, hi = 0, len(full)
    while lo < hi:  # longest prefix whose weighted length (plus "…") fits
        mid = (lo + hi + 1) // 2
        if weighted_length(full[:mid]) + 1 <= MAX_WEIGHTED:
            lo = mid
        else:
            hi = mid - 1
    cut = full[:lo]
    space = cut.rfind(" ")
    if space > lo // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"
