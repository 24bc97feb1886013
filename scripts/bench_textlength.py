"""Benchmark the twitter-text weighted length (bot.core.textlength) and the sandbox query matcher
(bot.sandbox.query): prints microseconds per call for typical and adversarial inputs.

    python scripts/bench_textlength.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.textlength import weighted_length
from bot.sandbox.query import parse_query

TEXTS = {
    "tweet, 1 URL (~250 chars)": "Join #IGF2026 at https://igf.events/2026/s/42 — tell friends! "
    * 4,
    "CJK 140 chars": "故人西辞黄鹤楼烟花三月下扬州" * 10,
    "emoji ZWJ x70": "👨‍👩‍👧‍👦" * 70,
    "prose with links (19,500 chars)": "Visit example.com and notes at https://igf.events/2026. "
    * 350,
    "adversarial 'a.' x2000, no TLD": "a." * 2000,
    "adversarial 'a.' x500 then '-x.com'": "a." * 500 + "-x.com",
}


@dataclass(frozen=True)
class Post:
    text: str
    id: str = "1"
    hashtags: tuple[str, ...] = ("IGFcontest",)
    mentions: tuple[str, ...] = ()
    author_username: str = "alice"
    author_id: str = "1"
    lang: str | None = "en"
    is_retweet: bool = False
    is_reply: bool = False
    is_quote: bool = False
    conversation_id: str = "1"
    in_reply_to_username: str | None = None
    has_links: bool = False


def per_call_us(fn: object, repeat: int) -> float:
    assert callable(fn)
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    for name, text in TEXTS.items():
        repeat = max(1, args.repeat // (1 + len(text) // 500))
        us = per_call_us(lambda text=text: weighted_length(text), repeat)
        print(f"weighted_length  {name:40s} {us:12.1f} µs/call")
    post = Post("Loving the #IGFcontest session with Café friends, see https://igf.events")
    for query in ["(#IGFcontest OR #InternetGov) -is:retweet", "cafe friends -is:retweet"]:
        parsed = parse_query(query)
        us = per_call_us(lambda parsed=parsed: parsed.matches(post), args.repeat * 10)
        print(f"Query.matches    {query:40s} {us:12.1f} µs/call")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
