"""Graded relevance labels (0–3) per (query, passage): `labels.yaml` plus its journal.

Format (see docs/formats.md):

    version: 1
    scale: {0: irrelevant, 1: related, 2: relevant, 3: perfect}
    queries:
      "pytorch dataloader num_workers 0":
        - doc: pytorch/dataloader.md#2
          grade: 3
          text_sha1: 9f2c4e1a0b7d
          at: 2026-11-22T03:00:00Z

`text_sha1` is a prefix of the SHA-1 of the passage text when it was labeled: when the passage
has changed since, the label is flagged as stale instead of silently reused. Keys the app
does not know (e.g. a `note:` on a label) are kept as they are.

Saving (see label_journal.py and label_writer.py): a change is applied in memory at once and
handed to a writer thread, which appends it to `labels.journal` and fsyncs, then reports it
saved (`on_saved`); nothing is reported saved before it is on disk. The writer catches up
with lines other writers appended first, and folds the journal into labels.yaml when it
grows or when labeling pauses. Every file operation holds the labels' lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from rerank_tui.session import parse_cache
from rerank_tui.session.label_file import cacheable, labels_yaml, parse_labels_file
from rerank_tui.session.label_journal import Entry, Journal, journal_path
from rerank_tui.session.label_model import (  # noqa: F401 (the names callers import from here)
    FORMAT_VERSION,
    HASH_CHARS,
    SCALE,
    Change,
    Label,
    Queries,
    Saved,
    text_sha1,
    utc_now,
)
from rerank_tui.session.store import (
    WorkspaceFileError,
    atomic_write_text,
    locked,
    read_text,
    remove_stray_temps,
    signature,
)

COMPACT_ON_CLOSE_MAX = 5_000  # labels; folding more takes over 0.1 s


class LabelStore:
    """Labels in memory, saved through the journal; reads never block on a write.

    `queries` is replaced, never mutated in place (copy-on-write per query), so a reader on
    another thread can iterate it while the writer applies another writer's lines.
    """

    def __init__(self, path: Path, queries: Queries | None = None, extra: dict | None = None, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only  # set when a file failed to load: never overwrite it
        self.queries: Queries = queries or {}
        self.journal = Journal(journal_path(self.path), SCALE)
        self.on_saved: Callable[[Saved], None] | None = None  # called on the writer thread
        self._extra_top = extra or {}
        self._undo: list[Change] = []
        self._unwritten: list[Change] = []  # applied in memory, not yet in the journal
        self._base_signature = None
        self._mem = threading.RLock()
        self._writer = None

    # -- reading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> LabelStore:
        """Read labels.yaml and replay its journal. Bad content → `WorkspaceFileError`."""
        store = cls(path)
        if not store.path.parent.is_dir():
            return store  # nothing saved yet; the folder is made at the first save
        with locked(store.path):
            for stray in (store.path, store.journal.path):
                remove_stray_temps(stray)
            store._read_files()
        return store

    @classmethod
    def read_only_stand_in(cls, path: Path) -> LabelStore:
        return cls(path, read_only=True)

    def _read_files(self) -> None:
        """labels.yaml, then the journal over it (lock held)."""
        self._base_signature = signature(self.path)
        text = read_text(self.path)
        queries, extra = ({}, {}) if text is None else parse_labels_file(self.path, text)
        for entry in self.journal.read_all():
            _apply_entry(queries, entry)
        with self._mem:
            self.queries, self._extra_top = queries, extra
            for change in self._unwritten:  # ours are newer than anything on disk
                self._put(change.query, change.doc, change.label)

    def get(self, query: str, doc: str) -> Label | None:
        return self.queries.get(query, {}).get(doc)

    def for_query(self, query: str) -> dict[str, Label]:
        return dict(self.queries.get(query, {}))

    def __len__(self) -> int:
        return sum(len(v) for v in self.queries.values())

    # -- changing (applied at once, saved by the writer) -----------------------------------

    def set(self, query: str, doc: str, grade: int, text: str) -> Label:
        if grade not in SCALE or isinstance(grade, bool):
            raise ValueError(f"grade must be one of {sorted(SCALE)}, not {grade!r}")
        previous = self.get(query, doc)
        label = Label(doc, grade, text_sha1(text), utc_now(), previous.extra if previous else {})
        self._change(Change(query, doc, label, previous), undoable=True)
        return label

    def clear(self, query: str, doc: str) -> Label | None:
        previous = self.get(query, doc)
        if previous is not None:
            self._change(Change(query, doc, None, previous), undoable=True)
        return previous

    def undo(self) -> tuple[str, str] | None:
        """Revert this store's last change; returns its (query, doc), or None when there is none."""
        with self._mem:
            if not self._undo:
                return None
            last = self._undo.pop()
            self._change(Change(last.query, last.doc, last.previous, self.get(last.query, last.doc)), undoable=False)
        return last.query, last.doc

    def _change(self, change: Change, undoable: bool) -> None:
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        with self._mem:
            self._put(change.query, change.doc, change.label)
            if undoable:
                self._undo.append(change)
            self._unwritten.append(change)
            self._writer_thread().submit(change)

    def _put(self, query: str, doc: str, label: Label | None) -> None:
        labels = dict(self.queries.get(query, {}))
        if label is None:
            labels.pop(doc, None)
        else:
            labels[doc] = label
        if query in self.queries:
            self.queries[query] = labels  # replacing a value never disturbs a reader's iteration
        else:
            self.queries = {**self.queries, query: labels}

    def merge(self, judgments: Queries, replace: bool = False) -> None:
        """Add (or with `replace`, set) many labels at once, straight into labels.yaml."""
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        self.flush()
        with locked(self.path):
            if replace:
                self.journal.read_all()
                with self._mem:
                    self.queries = {}
            else:
                self._catch_up()
            with self._mem:
                for query, labels in judgments.items():
                    self.queries = {**self.queries, query: {**self.queries.get(query, {}), **labels}}
            self._write_base()

    # -- the writer's side (each called with the lock held, on the writer thread) -------------

    def _writer_thread(self):
        if self._writer is None:
            from rerank_tui.session.label_writer import LabelWriter

            self._writer = LabelWriter(self)
        return self._writer

    def _catch_up(self) -> None:
        """Take in what other writers saved since we last looked."""
        if signature(self.path) != self._base_signature:
            self._read_files()
            return
        entries = self.journal.read_new()
        if entries is None:
            self._read_files()
        elif entries:
            with self._mem:
                for entry in entries:
                    self._put(entry.query, entry.doc, _label_of(entry))
                for change in self._unwritten:
                    self._put(change.query, change.doc, change.label)

    def write_changes(self, changes: list[Change]) -> None:
        """Append `changes` to the journal (the writer thread, lock held)."""
        self._catch_up()
        self.journal.append([c.entry() for c in changes])
        with self._mem:
            done = {id(c) for c in changes}
            self._unwritten = [c for c in self._unwritten if id(c) not in done]

    def forget_failed(self, changes: list[Change]) -> None:
        """Memory never claims what the disk lacks: undo the effect of changes that failed."""
        failed = {id(c) for c in changes}
        with self._mem:
            for change in reversed(changes):
                if self.get(change.query, change.doc) == change.label:
                    self._put(change.query, change.doc, change.previous)
            self._unwritten = [c for c in self._unwritten if id(c) not in failed]
            self._undo = [c for c in self._undo if id(c) not in failed]

    def _write_base(self) -> None:
        """labels.yaml from memory, then a fresh journal (the compaction)."""
        text = self.to_yaml()
        atomic_write_text(self.path, text)
        self.journal.reset()
        self._base_signature = signature(self.path)
        parse_cache.put(self.path, text, cacheable(self.queries, self._extra_top))

    def compact(self) -> None:
        """Fold the journal into labels.yaml (with the lock; safe with other writers)."""
        if self.read_only:
            return
        with locked(self.path):
            self._catch_up()
            if self.journal.entries or not self.path.exists():
                self._write_base()

    # -- saving --------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every change so far is on disk; raise the first failure since the last flush."""
        if self._writer is not None:
            self._writer.flush(timeout)

    def close(self) -> None:
        """Finish pending writes and stop the writer. A small store also folds its journal into
        labels.yaml (a few milliseconds); a large one leaves that to the next pause in labeling,
        so quitting stays instant."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            if len(self) <= COMPACT_ON_CLOSE_MAX:
                try:
                    self.compact()
                except (OSError, WorkspaceFileError):
                    pass  # the journal still holds every label

    def to_yaml(self) -> str:
        return labels_yaml(self.queries, self._extra_top)

    def save(self) -> None:
        """Write everything to labels.yaml now (waiting for pending changes first)."""
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        self.flush()
        with locked(self.path):
            self._write_base()


# -- the journal's lines ----------------------------------------------------------------------


def _label_of(entry: Entry) -> Label | None:
    return None if entry.grade is None else Label(entry.doc, entry.grade, entry.text_sha1, entry.at, entry.extra)


def _apply_entry(queries: Queries, entry: Entry) -> None:
    labels = queries.setdefault(entry.query, {})
    label = _label_of(entry)
    if label is None:
        labels.pop(entry.doc, None)
    else:
        labels[entry.doc] = label

