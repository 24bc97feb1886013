#!/usr/bin/env python3
"""Benchmark the deadline freeze: freeze, canonical serialisation, digest, verify, and the store
round trip (save + read back + verify_stored on a SQLite file), for N synthetic entries.

    python scripts/bench_rules.py [N ...]        # default: 200 2000 10000

Prints one line per N with the time of each step in milliseconds and the canonical size.

Goals (exit 1, printing MISSED, when one is missed): every step at the largest N grows at most
twice as fast as N from the previous size (linear, not quadratic), and the whole freeze at the
deadline (freeze + canonical + digest + save + verify_stored) takes < 15 s at 10,000 entries.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchgoals import verdict

from bot.core.models import Account, Category, Competition, Entry, Metrics, Post, Reply
from bot.core.results import canonical_json, digest, freeze, verify
from bot.core.snowflake import make_snowflake
from bot.freezer import verify_stored
from bot.store import Store
from bot.store.rules import RulesStore

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
COMP = Competition(
    id="bench",
    title="Benchmark",
    hashtags=("InternetGov",),
    start=T0,
    end=T0 + timedelta(days=4),
    categories=(
        Category(id="most-liked", kind="likes", winners=3),
        Category(id="most-discussed", kind="replies", replies_mode="distinct"),
        Category(id="weighted", kind="weighted", weights=(("likes", 1.0), ("replies", 2.0))),
        Category(id="best-question", kind="jury", questions_only=True),
    ),
    organisers=("orga",),
    community=tuple(f"user{i}" for i in range(0, 1000, 3)),
)


def entries(n: int) -> list[Entry]:
    out = []
    for i in range(n):
        when = T0 + timedelta(seconds=30 * i)
        tid = make_snowflake(when, i % 4096)
        user = Account(
            id=str(10_000 + i % (n // 2 + 1)),
            username=f"user{i % (n // 2 + 1)}",
            name="u",
            created_at=T0 - timedelta(days=400),
            followers=50,
        )
        tweet = Post(
            id=tid,
            text=f"{'What about' if i % 7 == 0 else 'photo'} {i}? #InternetGov",
            author_id=user.id,
            created_at=when,
            edit_history_ids=(tid,),
            hashtags=("InternetGov",),
            metrics=Metrics(likes=(i * 7) % 97, replies=i % 13),
        )
        repliers = tuple(
            Reply(
                reply_id=f"{tid}{k:02d}",
                author_id=str(900 + (i + k) % 50),
                username=f"fan{(i + k) % 50}",
                created_at=when + timedelta(minutes=k + 1),
                author_created_at=T0 - timedelta(days=400),
                followers=10,
            )
            for k in range(i % 6)
        )
        out.append(Entry(tweet, user, metrics_at=COMP.end, repliers=repliers))
    return out


def ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


GOAL_WHOLE_S_AT_10K = 15.0
STEPS = ("freeze", "canonical", "digest", "verify", "save", "verify_stored")


def bench(n: int) -> dict[str, float]:
    """Milliseconds of each step for N entries (and the canonical size, in bytes)."""
    es = entries(n)
    t = time.perf_counter()
    result = freeze(COMP, es, frozen_at=COMP.end)
    t_freeze = ms(t)
    t = time.perf_counter()
    blob = canonical_json(result)
    t_canon = ms(t)
    t = time.perf_counter()
    digest(result)
    t_digest = ms(t)
    t = time.perf_counter()
    assert verify(result).ok
    t_verify = ms(t)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        store.upgrade()
        t = time.perf_counter()
        RulesStore(store).save_frozen(result, created_at=COMP.end)
        t_save = ms(t)
        t = time.perf_counter()
        assert verify_stored(COMP.id, store=store).ok
        t_stored = ms(t)
        store.close()
    return {
        "freeze": t_freeze,
        "canonical": t_canon,
        "digest": t_digest,
        "verify": t_verify,
        "save": t_save,
        "verify_stored": t_stored,
        "bytes": float(len(blob)),
    }


def main(argv: list[str]) -> int:
    sizes = sorted(int(a) for a in argv) or [200, 2000, 10000]
    figures: dict[int, dict[str, float]] = {}
    for n in sizes:
        f = figures[n] = bench(n)
        print(
            f"N={n:>6}  freeze {f['freeze']:8.1f} ms  canonical {f['canonical']:7.1f} ms"
            f" ({f['bytes'] / 1e6:.2f} MB)  digest {f['digest']:7.1f} ms"
            f"  verify {f['verify']:8.1f} ms  save {f['save']:6.1f} ms"
            f"  verify_stored (SQLite file) {f['verify_stored']:8.1f} ms",
            flush=True,
        )
    goals: dict[str, bool] = {}
    if len(sizes) > 1:
        small, large = sizes[-2], sizes[-1]
        limit = 2 * large / small
        for step in STEPS:
            growth = figures[large][step] / max(figures[small][step], 1e-6)
            goals[
                f"{step}: x{growth:.1f} the time for x{large / small:g} the entries (<= x{limit:g})"
            ] = growth <= limit
    if 10000 in figures:
        whole = sum(figures[10000][step] for step in STEPS if step != "verify") / 1000
        goals[f"whole freeze at N=10000: {whole:.1f} s (< {GOAL_WHOLE_S_AT_10K:g} s)"] = (
            whole < GOAL_WHOLE_S_AT_10K
        )
    return verdict(goals)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
