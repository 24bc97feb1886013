"""`StoreBehind`, the ingest's pipeline: order, one store at a time, what waits is stored together,
and which error wins."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from bot.polling.pipeline import StoreBehind


def joined(items: Sequence[str]) -> str:
    return "+".join(items)


def test_stores_run_in_order_in_one_worker_and_the_last_is_waited_for() -> None:
    done: list[str] = []
    threads: set[str] = set()

    def save(item: str) -> None:
        threads.add(threading.current_thread().name)
        done.append(item)

    with StoreBehind(save, joined) as behind:
        for n in range(20):
            behind.store(str(n))
    # Every one, in order (some perhaps stored together), the last one waited for on leaving.
    assert "+".join(done).split("+") == [str(n) for n in range(20)]
    assert len(threads) == 1 and threading.current_thread().name not in threads


def test_pages_waiting_while_a_store_runs_are_stored_together_and_at_most_depth_wait() -> None:
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def save(item: str) -> None:
        started.set()
        release.wait(5)
        done.append(item)

    handed: list[str] = []

    def hand_over(behind: StoreBehind[str]) -> None:
        for n in range(1, 6):
            behind.store(str(n))
            handed.append(str(n))

    with StoreBehind(save, joined, depth=3) as behind:
        behind.store("0")
        assert started.wait(5)  # "0" is being stored, alone
        feeder = threading.Thread(target=hand_over, args=(behind,))
        feeder.start()
        feeder.join(0.3)
        # "1", "2", "3" wait: the next hand-off blocks until the store of "0" is done.
        assert handed == ["1", "2", "3"] and feeder.is_alive()
        release.set()
        feeder.join(5)
    assert done[0] == "0" and done[1].startswith("1+2+3")
    assert "+".join(done).split("+") == [str(n) for n in range(6)]


def test_a_failed_store_is_raised_at_a_later_hand_off_and_nothing_after_it_is_stored() -> None:
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def save(item: str) -> None:
        if item == "0":
            started.set()
            release.wait(5)
        if "1" in item.split("+"):
            raise OSError("disk full")
        done.append(item)

    with pytest.raises(OSError, match="disk full"), StoreBehind(save, joined) as behind:
        behind.store("0")
        assert started.wait(5)
        behind.store("1")
        release.set()
        for n in range(2, 50):
            behind.store(str(n))  # raises once the worker has recorded the failure
            threading.Event().wait(0.01)
    assert done == ["0"]


def test_a_fetch_failing_waits_for_the_pages_before_it_and_a_failed_store_wins() -> None:
    release = threading.Event()
    done: list[str] = []

    def save(item: str) -> None:
        release.wait(5)
        done.append(item)

    with pytest.raises(ConnectionError), StoreBehind(save, joined) as behind:
        behind.store("page 1")
        behind.store("page 2")
        release.set()
        raise ConnectionError("page 3 could not be read")
    assert "+".join(done).split("+") == ["page 1", "page 2"]  # stored before the failure left

    def broken(item: str) -> None:
        raise OSError(f"could not store {item}")

    with (
        pytest.raises(OSError, match="could not store page 1") as caught,
        StoreBehind(broken, joined) as b,
    ):
        b.store("page 1")
        raise ConnectionError("page 2 could not be read")
    assert isinstance(caught.value.__context__, ConnectionError)
