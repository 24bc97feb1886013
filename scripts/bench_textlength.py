"""Benchmark the twitter-text weighted length (bot.core.textlength.weighted_length, the whole
parse: NFC, URL and emoji extraction, weighing) and the sandbox query matcher (bot.sandbox.query):
prints microseconds per call for typical and adversarial inputs, and how the adversarial inputs'
time grows from ~1,000 to ~10,000 characters.

Goals (exit 1 when one is missed): every adversarial input of ~1,000 characters under 1 ms per
call, and for those and a dense-URL text, ten times the text costs at most 20 times the time
(linear, not quadratic: quadratic would be ~100 times).

    python scripts/bench_textlength.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchgoals import verdict

from bot.core.textlength import weighted_length
from bot.sandbox.query import parse_query

TEXTS = {
    "tweet, 1 URL (~250 chars)": "Join #IGF2026 at https://igf.events/2026/s/42 — tell friends! "
    * 4,
    "CJK 140 chars": "故人西辞黄鹤楼烟花三月下扬州" * 10,
    "emoji ZWJ x70": "👨‍👩‍👧‍👦" * 70,
    "prose with links (19,500 chars)": "Visit example.com and notes at https://igf.events/2026. "
    * 350,
}

# Adversarial inputs as functions of a repeat count: each once made the URL extractor's regex
# walk, from every start, through every later label (quadratic in the text).
ADVERSARIAL = {
    "'a.' xN then '-x.com'": lambda n: "a." * n + "-x.com",
    "'a.' xN, no TLD": lambda n: "a." * n,
    "'a-' xN then '.com'": lambda n: "a-" * n + ".com",
    "'x.com.' then 'a.' xN then '-'": lambda n: "x.com." + "a." * n + "-",
    "'é.' xN then '-x.com'": lambda n: "é." * n + "-x.com",
    "'https://x.com/' then 'a!(' xN/1.5": lambda n: "https://x.com/" + "a!(" * (n * 2 // 3),
}
# Not adversarial but dense: one real URL every 6 characters, so per-URL work (validation,
# punycode, the t.co rule) dominates; only its growth is a goal.
MANY_URLS = {"'a.com_' xN/3 (a URL every 6 chars)": lambda n: "a.com_" * (n // 3)}
SMALL, LARGE = 500, 5000  # repeat counts: ~1,000 and ~10,000 characters
GOAL_SMALL_US = 1000.0
GOAL_GROWTH = 20.0


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


def per_call_us(fn: object, repeat: int, batches: int = 3) -> float:
    """Microseconds per call: the best of `batches` batches of `repeat` calls (the least
    disturbed by other work on the machine)."""
    assert callable(fn)
    best = float("inf")
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat * 1e6)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    for name, text in TEXTS.items():
        repeat = max(1, args.repeat // (1 + len(text) // 500))
        us = per_call_us(lambda text=text: weighted_length(text), repeat)
        print(f"weighted_length  {name:40s} {us:12.1f} µs/call")
    met: dict[str, bool] = {}
    print(
        f"weighted_length, adversarial (goal: < {GOAL_SMALL_US:.0f} µs at ~1,000 chars, "
        f"10x the text <= {GOAL_GROWTH:.0f}x the time)"
    )
    for name, make in {**ADVERSARIAL, **MANY_URLS}.items():
        small, large = make(SMALL), make(LARGE)
        small_us = per_call_us(lambda text=small: weighted_length(text), max(5, args.repeat // 4))
        large_us = per_call_us(lambda text=large: weighted_length(text), max(2, args.repeat // 40))
        growth = large_us / small_us
        ok = (name in MANY_URLS or small_us < GOAL_SMALL_US) and growth <= GOAL_GROWTH
        goal = "linear" if name in MANY_URLS else f"< {GOAL_SMALL_US:.0f} µs and linear"
        met[f"{name}: {goal}"] = ok
        print(
            f"  {name:38s} {len(small):6d} chars {small_us:9.1f} µs   {len(large):6d} chars "
            f"{large_us:9.1f} µs   growth x{growth:4.1f}  {'ok' if ok else 'MISSED'}"
        )
    post = Post("Loving the #IGFcontest session with Café friends, see https://igf.events")
    for query in ["(#IGFcontest OR #InternetGov) -is:retweet", "cafe friends -is:retweet"]:
        parsed = parse_query(query)
        us = per_call_us(lambda parsed=parsed: parsed.matches(post), args.repeat * 10)
        print(f"Query.matches    {query:40s} {us:12.1f} µs/call")
    return verdict(met)


if __name__ == "__main__":
    raise SystemExit(main())
