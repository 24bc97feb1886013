"""Storing pages while the next ones are fetched: `StoreBehind`, a short pipeline.

A run of pages is read in the caller's thread (the API client, its metering and the daemon's lease
renewals stay where they were) and handed to ONE worker thread that stores them in the order
given; the caller goes on fetching meanwhile, so the two take about as long as the slower of them
instead of their sum. When pages queue up (the store is the slower), the worker stores all those
waiting in one transaction (`combine` makes them one page): one commit and one set of statements
for several pages, which is where a page's store spends much of its time.

What the order of effects keeps:
- pages are stored in the order read, never two stores at once, and a stream's cursor still only
  moves with the run's last page (the combined page carries the last page's cursor update);
- at most `depth` pages wait unstored (the caller blocks beyond that): a crash loses at most
  those, and the next run reads them again from the committed cursor;
- a store that failed is raised at the next hand-off or at the end of the run, and nothing after
  it is stored (the pages read meanwhile are read again by the next run);
- when a fetch fails, every page before it is stored before the failure propagates, as before. If
  a store failed too, the store's error is the one raised (the fetch's is its context).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Generic, TypeVar, cast

Item = TypeVar("Item")

DEPTH = 4
"""Pages fetched and not yet stored, at most (the caller waits beyond that)."""

_END = object()


class StoreBehind(Generic[Item]):
    """`with StoreBehind(save, combine) as behind: ... behind.store(item)`: `save(item)` in the
    worker thread, in order; items waiting together are saved as `save(combine(items))`."""

    def __init__(
        self,
        save: Callable[[Item], object],
        combine: Callable[[Sequence[Item]], Item],
        *,
        depth: int = DEPTH,
    ) -> None:
        self._save = save
        self._combine = combine
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._worker: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"StoreBehind(waiting={self._queue.qsize()}, failed={self._error is not None})"

    def __enter__(self) -> StoreBehind[Item]:
        self._worker = threading.Thread(target=self._run, name="contestbot-store", daemon=True)
        self._worker.start()
        return self

    def store(self, item: Item) -> None:
        """Hand `item` to the worker (waiting while `depth` items wait); raise the error of a
        store that failed instead."""
        self._raise_failure()
        self._queue.put(item)

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _END:
                return
            items = [first]
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            done = items[-1] is _END
            batch = [cast(Item, i) for i in items if i is not _END]
            if self._error is None:
                try:
                    self._save(batch[0] if len(batch) == 1 else self._combine(batch))
                except BaseException as exc:  # raised in the caller's thread
                    self._error = exc
            if done:
                return

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._worker is None:
            return
        # The worker drains what was handed over (stores it, or skips it after a failure).
        self._queue.put(_END)
        self._worker.join()
        self._worker = None
        self._raise_failure()
