"""`StoreBehind`, the ingest's one-deep pipeline: order, one store at a time, which error wins."""

from __future__ import annotations

import threading

import pytest

from bot.polling.pipeline import StoreBehind


def test_stores_run_in_order_in_one_worker_and_the_last_is_waited_for() -> None:
    done: list[int] = []
    threads: set[str] = set()

    def save(n: int) -> None:
        threads.add(threading.current_thread().name)
        done.append(n)

    with StoreBehind() as behind:
        for n in range(20):
            behind.store(save, n)
    assert done == list(range(20))  # every one, in order, the last one waited for on leaving
    assert len(threads) == 1 and threading.current_thread().name not in threads


def test_a_failed_store_is_raised_at_the_next_hand_off_and_nothing_after_it_runs() -> None:
    done: list[int] = []

    def save(n: int) -> None:
        if n == 1:
            raise OSError("disk full")
        done.append(n)

    with pytest.raises(OSError, match="disk full"), StoreBehind() as behind:
        for n in range(5):
            behind.store(save, n)
    assert done == [0]


def test_a_fetch_failing_waits_for_the_page_before_it_and_a_failed_store_wins() -> None:
    release = threading.Event()
    done: list[str] = []

    def save(what: str) -> None:
        release.wait(5)
        done.append(what)

    with pytest.raises(ConnectionError), StoreBehind() as behind:
        behind.store(save, "page 1")
        release.set()
        raise ConnectionError("page 2 could not be read")
    assert done == ["page 1"]  # stored before the fetch's failure left the run

    def broken(what: str) -> None:
        raise OSError(f"could not store {what}")

    with pytest.raises(OSError, match="could not store page 1") as caught, StoreBehind() as b:
        b.store(broken, "page 1")
        raise ConnectionError("page 2 could not be read")
    assert isinstance(caught.value.__context__, ConnectionError)
