"""The event loop's executor for thread workers: one daemon thread per task, never joined.

Textual runs a thread worker in the loop's default executor. asyncio's default is a
`ThreadPoolExecutor`, whose threads are joined when the loop closes and again at interpreter
exit, so ctrl+q during a model load waited for the load (7 s), and during a rerank for the
batch. A model load cannot be interrupted; it can be abandoned. Here every task gets its own
daemon thread and `shutdown` returns at once; the process then leaves with `leave_now`
(cli/launch.py) instead of waiting for them. Everything a worker produces that matters is
saved as it happens (labels by the writer, scores in the cache, vectors per chunk).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor


class DaemonExecutor(ThreadPoolExecutor):
    """A `ThreadPoolExecutor` (what `loop.set_default_executor` accepts) that pools nothing."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="rerank-tui-worker")
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._count = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()

        def run() -> None:
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn(*args, **kwargs)
                    except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        with self._lock:
            self._count += 1
            thread = threading.Thread(target=run, name=f"{self._thread_name_prefix}-{self._count}", daemon=True)
            self._threads.add(thread)
        thread.start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Never waits: a running task is abandoned (its thread is a daemon)."""

    def busy(self) -> bool:
        """Whether any task is still running."""
        with self._lock:
            return any(t.is_alive() for t in self._threads)
