"""The thread that puts label changes on disk, so no keypress waits for a lock or an fsync.

Changes are taken in order; whatever queued up meanwhile goes out in one append and one fsync
(coalesced). After each batch the store's `on_saved` hears which changes are on disk, or why
they are not. When labeling pauses for `IDLE_COMPACT_S`, or the journal passes `COMPACT_AT`
lines, the journal is folded into labels.yaml so the YAML a person reads stays current.
"""

from __future__ import annotations

import atexit
import queue
import threading

from rerank_tui.session.label_model import Saved
from rerank_tui.session.store import WorkspaceBusy, WorkspaceFileError, locked

IDLE_COMPACT_S = 3.0
COMPACT_AT = 2000

_FLUSH = object()
_STOP = object()


class LabelWriter:
    def __init__(self, store) -> None:
        self.store = store
        self._queue: queue.Queue = queue.Queue()
        self._errors: list[Exception] = []
        self._thread = threading.Thread(target=self._run, name="label-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)  # a script that labels and exits keeps its labels

    def submit(self, change) -> None:
        self._queue.put(change)

    def flush(self, timeout: float | None = None) -> None:
        done = threading.Event()
        self._queue.put((_FLUSH, done))
        while not done.wait(0.1 if timeout is None else timeout):
            if timeout is not None or not self._thread.is_alive():
                raise TimeoutError("labels were not saved: the label writer stopped")
        if self._errors:
            error, self._errors = self._errors[0], []
            raise error

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=15)
        atexit.unregister(self.close)

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        dirty = False  # the journal has lines labels.yaml lacks
        while True:
            try:
                item = self._queue.get(timeout=IDLE_COMPACT_S if dirty else None)
            except queue.Empty:
                dirty = not self._compact()
                continue
            batch, markers, stop = [], [], False
            while True:
                if item is _STOP:
                    stop = True
                elif isinstance(item, tuple) and item and item[0] is _FLUSH:
                    markers.append(item[1])
                else:
                    batch.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
                dirty = True
                if self.store.journal.entries >= COMPACT_AT:
                    dirty = not self._compact()
            for marker in markers:
                marker.set()
            if stop:
                return

    def _write(self, batch) -> None:
        store = self.store
        try:
            if store.read_only:
                raise WorkspaceFileError(store.path, "not saved: this file failed to load; fix or move it first")
            with locked(store.path):
                store.write_changes(batch)
        except Exception as exc:  # anything: the writer must outlive it, and report it
            if isinstance(exc, WorkspaceFileError) and not isinstance(exc, WorkspaceBusy):
                store.read_only = True  # a file on disk no longer parses: never write over it
            store.forget_failed(batch)
            self._errors.append(exc)
            self._report(Saved(tuple(batch), exc))
            return
        self._report(Saved(tuple(batch)))

    def _compact(self) -> bool:
        try:
            self.store.compact()
            return True
        except Exception:
            return False  # the journal still holds every line; try again at the next pause

    def _report(self, saved) -> None:
        callback = self.store.on_saved
        if callback is not None:
            try:
                callback(saved)
            except Exception:  # a closed app must not kill the writer
                pass
