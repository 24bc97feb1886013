"""The SQLite migration lock (`bot.store.writes.migration_lock`): exclusive across threads and
processes, and removed when done, so a successful upgrade leaves no `*.migrate.lock` beside the
database, also when many contenders migrate at once."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from bot.store import Store
from bot.store.writes import migration_lock


def test_an_upgrade_leaves_no_lock_file(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        store.upgrade()
        store.upgrade()  # a second run (already at head) too
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.db"]


def test_the_lock_is_exclusive_and_gone_after_many_threads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    inside = 0
    most = 0
    entries = 0
    guard = threading.Lock()
    start = threading.Barrier(12)

    def contend() -> None:
        nonlocal inside, most, entries
        engine = create_engine(url)
        start.wait(timeout=30)
        for _ in range(20):
            with migration_lock(engine):
                with guard:
                    inside += 1
                    entries += 1
                    most = max(most, inside)
                time.sleep(0.0005)  # hold it across a real interval
                with guard:
                    inside -= 1
        engine.dispose()

    threads = [threading.Thread(target=contend) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert entries == 12 * 20 and most == 1
    assert not (tmp_path / "bot.db.migrate.lock").exists()


def _upgrade(url: str, out: Any) -> None:
    store = Store(url)
    try:
        store.upgrade()
        out.put(store.current_revision())
    finally:
        store.close()


def test_processes_upgrading_at_once_agree_and_leave_no_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_upgrade, args=(url, out)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    revisions = {out.get(timeout=5) for _ in procs}
    head = Store(url)
    try:
        assert revisions == {head.head_revision()}
    finally:
        head.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.db"]
