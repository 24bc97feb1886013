"""Storing one page while the next is fetched: `StoreBehind`, a one-deep pipeline.

A run of pages is read in the caller's thread (the API client, its metering and the daemon's lease
renewals stay where they were) and each page is handed to ONE worker thread that stores the pages
in the order given, one at a time; the caller fetches page k+1 while page k is being stored. The
two then take about as long as the slower of them instead of their sum.

What the order of effects keeps:
- pages are stored in order and never two at once (each hand-off first waits for the previous
  store to finish), so a stream's cursor still only moves with the run's last page;
- a store that failed is raised at the next hand-off or at the end of the run, before anything
  else is stored; the one page fetched meanwhile is not stored (read again by the next run);
- when a fetch fails, the page before it is stored before the failure propagates, as before. If
  that store failed too, the store's error is the one raised (the fetch's is its context).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any


class StoreBehind:
    """`with StoreBehind() as behind: ... behind.store(save, page, update)`: run `save(*args)` in
    the worker thread after the previous one finished (raising its error, if any, instead)."""

    def __init__(self) -> None:
        self._worker: ThreadPoolExecutor | None = None
        self._pending: Future[Any] | None = None

    def __repr__(self) -> str:
        return f"StoreBehind(pending={self._pending is not None})"

    def __enter__(self) -> StoreBehind:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contestbot-store")
        return self

    def store(self, save: Callable[..., Any], *args: Any) -> None:
        self.wait()
        assert self._worker is not None, "use StoreBehind in a with block"
        self._pending = self._worker.submit(save, *args)

    def wait(self) -> None:
        """Wait for the store in flight; raise its error, if it failed."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.wait()  # the last page, or the one before the fetch that failed
        finally:
            if self._worker is not None:
                self._worker.shutdown(wait=True)
                self._worker = None
