"""Splitting content that does not fit one post into a thread, at sensible boundaries.

Boundaries, best first: paragraph, line, sentence, word, and (for Chinese/Japanese text, which has
no spaces) between two ideographs. Never inside a word, a URL (as `find_urls` sees it), an
@mention, a #hashtag, or a Unicode isolate run (U+2066..U+2069 wraps left-to-right runs in
right-to-left posts). Every post is measured with `weighted_length`, its "i/n" numbering included.
Nothing is ever cut: a single token that cannot fit raises `UnsplittableError`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.textlength import MAX_WEIGHTED_LENGTH, find_urls, weighted_length

# A shorter chunk at a better boundary is preferred only while it fills at least this share of the
# post; below that, a worse boundary further on wins (no one-line posts before a long paragraph).
MIN_FILL = 0.5

_SENTENCE_END = ".!?…;。！？؟"
_CJK_SENTENCE_END = "。！？"
_CJK_CLAUSE_END = "，、；："
_TOKEN = re.compile(r"[@#＠＃]\w+")
_WS = re.compile(r"\s+")
_NUMBERING = re.compile(r"\n(\d+)/(\d+)\Z")


class UnsplittableError(ValueError):
    """A token (word, URL, handle...) alone is longer than a post. Says which one."""

    def __init__(self, token: str, weighted: int, limit: int) -> None:
        shown = token if len(token) <= 60 else token[:57] + "..."
        super().__init__(
            f"{shown!r} is {weighted} weighted characters, more than the {limit} a post "
            "allows, and cannot be split without cutting it; shorten it in the template or config"
        )
        self.token = token
        self.weighted = weighted
        self.limit = limit


@dataclass(frozen=True)
class _Break:
    start: int  # the chunk before ends here
    end: int  # the next chunk starts here (after the whitespace)
    level: int  # 0 part, 1 paragraph, 2 line, 3 sentence, 4 word, 5 between ideographs


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x3040 <= o <= 0x30FF  # kana
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF  # hangul
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2FA1F
    )


def _protected(text: str) -> list[tuple[int, int]]:
    spans = list(find_urls(text))
    spans += [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    depth_start: int | None = None
    for i, ch in enumerate(text):
        if ch in "\u2066\u2067\u2068" and depth_start is None:
            depth_start = i
        elif ch == "\u2069" and depth_start is not None:
            spans.append((depth_start, i + 1))
            depth_start = None
    return spans


def _breaks(text: str, part_gaps: frozenset[int] = frozenset()) -> list[_Break]:
    spans = _protected(text)

    def inside(pos: int) -> bool:
        return any(s < pos < e for s, e in spans)

    found: dict[int, _Break] = {}
    for m in _WS.finditer(text):
        gap = m.group()
        if m.start() in part_gaps:
            level = 0
        elif gap.count("\n") >= 2:
            level = 1
        elif "\n" in gap:
            level = 2
        elif m.start() > 0 and text[m.start() - 1] in _SENTENCE_END:
            level = 3
        else:
            level = 4
        if not inside(m.start()) and not inside(m.end()):
            found[m.start()] = _Break(m.start(), m.end(), level)
    for i in range(1, len(text)):
        if i in found or text[i].isspace() or text[i - 1].isspace() or inside(i):
            continue
        prev, cur = text[i - 1], text[i]
        if prev in _CJK_SENTENCE_END:
            found[i] = _Break(i, i, 3)
        elif prev in _CJK_CLAUSE_END:
            found[i] = _Break(i, i, 4)
        elif _is_cjk(prev) and _is_cjk(cur):
            found[i] = _Break(i, i, 5)
    return sorted(found.values(), key=lambda b: b.start)


def _split(text: str, limit: int, reserve: int, part_gaps: frozenset[int]) -> list[str]:
    budget = limit - reserve
    breaks = _breaks(text, part_gaps)
    starts = [b.start for b in breaks]
    chunks: list[str] = []
    s = 0
    n = len(text)
    while s < n:
        while s < n and text[s].isspace():
            s += 1
        if s >= n:
            break
        fitting: list[tuple[_Break, int]] = []
        overflowed = False
        for b in breaks[bisect_right(starts, s) :]:
            w = weighted_length(text[s : b.start].rstrip())
            if w > budget:
                overflowed = True  # lengths grow with the end position: nothing further fits
                break
            fitting.append((b, w))
        rest = text[s:].rstrip()
        if not overflowed and weighted_length(rest) <= budget:
            chunks.append(rest)
            break
        if not fitting:
            nxt = next((b.start for b in breaks if b.start > s), n)
            token = text[s:nxt].rstrip()
            raise UnsplittableError(token, weighted_length(token) + reserve, limit)
        chosen = fitting[-1][0]
        for level in range(6):
            best = [(b, w) for b, w in fitting if b.level <= level]
            if best and best[-1][1] >= MIN_FILL * budget:
                chosen = best[-1][0]
                break
        chunks.append(text[s : chosen.start].rstrip())
        s = chosen.end
    return chunks


def split_thread(
    content: str | Sequence[str], limit: int = MAX_WEIGHTED_LENGTH, numbering: bool = True
) -> list[str]:
    """`content` as one post when it fits, else as a thread of posts of at most `limit` weighted
    characters, each ending "\\n{i}/{n}" when `numbering`. `content` is a text, or parts (joined
    as paragraphs) whose boundaries are the preferred places to split, e.g. one part per language.
    Raises UnsplittableError when one token alone cannot fit."""
    gaps: set[int] = set()
    if isinstance(content, str):
        text = content.strip()
    else:
        text = ""
        for p in (p.strip() for p in content):
            if p:
                if text:
                    gaps.add(len(text))
                    text += "\n\n"
                text += p
    part_gaps = frozenset(gaps)
    if not text:
        return []
    if weighted_length(text) <= limit:
        return [text]
    if not numbering:
        chunks = _split(text, limit, 0, part_gaps)
    else:
        width = 1
        while True:
            reserve = len(f"\n{'9' * width}/{'9' * width}")
            chunks = _split(text, limit, reserve, part_gaps)
            if len(str(len(chunks))) <= width:
                break
            width += 1
        total = len(chunks)
        chunks = [f"{c}\n{i}/{total}" for i, c in enumerate(chunks, 1)]
    for c in chunks:
        w = weighted_length(c)
        if w > limit:  # a guarantee of this module; reaching it is a bug, never a cut
            raise AssertionError(f"split_thread produced a post of {w} > {limit}: {c!r}")
    return chunks


def strip_numbering(post: str) -> str:
    """A thread post without its trailing "\\n{i}/{n}"."""
    return _NUMBERING.sub("", post)
