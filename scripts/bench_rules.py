#!/usr/bin/env python3
"""Benchmark the deadline freeze: freeze, canonical serialisation, digest, verify, and the store
round trip (save + read back + verify_stored on a SQLite file), for N synthetic entries.

    python scripts/bench_rules.py [N ...]        # default: 200 2000 10000

Prints one line per N with the time of each step in milliseconds and the canonical size.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def bench(n: int) -> str:
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
    return (
        f"N={n:>6}  freeze {t_freeze:8.1f} ms  canonical {t_canon:7.1f} ms"
        f" ({len(blob) / 1e6:.2f} MB)"
        f"  digest {t_digest:7.1f} ms  verify {t_verify:8.1f} ms  save {t_save:6.1f} ms"
        f"  verify_stored {t_stored:8.1f} ms"
    )


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [200, 2000, 10000]
    for n in sizes:
        print(bench(n), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
