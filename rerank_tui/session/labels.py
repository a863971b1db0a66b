"""Graded relevance labels per (query, passage): `labels.yaml` plus its journal.

Format (see docs/formats.md):

    version: 1
    scale: {0: irrelevant, 1: related, 2: relevant, 3: perfect}
    queries:
      "pytorch dataloader num_workers 0":
        - doc: pytorch/dataloader.md#2
          grade: 3
          text_sha1: 9f2c4e1a0b7d
          at: 2026-11-22T03:00:00Z

`scale` is the workspace's rating scale (label_model.Scale): 0–3 by default, or any contiguous
integer range of 2 to 101 grades (`{1: null, 2: null, 3: null, 4: null}` for Cranfield's 1–4);
every grade in the file and the journal must be on it.

`text_sha1` is a prefix of the SHA-1 of the passage text when it was labeled: when the passage
has changed since, the label is flagged as stale instead of silently reused. Keys the app
does not know (e.g. a `note:` on a label) are kept as they are, but a label given by hand
drops the provenance keys of one accepted from a judge (`source`, `judge`, `prompt`,
`suggested`: see label_sources.py).

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
from rerank_tui.session.label_file import cacheable, labels_yaml, off_scale, parse_labels_file
from rerank_tui.session.label_journal import Entry, Journal, journal_path
from rerank_tui.session.label_sources import human_extra
from rerank_tui.session.label_model import (  # noqa: F401 (the names callers import from here)
    DEFAULT_SCALE,
    FORMAT_VERSION,
    HASH_CHARS,
    Change,
    Label,
    Queries,
    Saved,
    Scale,
    text_sha1,
    utc_now,
)
from rerank_tui.session.store import (
    WorkspaceFileError,
    atomic_write_text,
    locked,
    read_text,
    Signature,
    remove_stray_temps,
    signature,
)

COMPACT_ON_CLOSE_MAX = 5_000  # labels; folding more takes over 0.1 s


class LabelStore:
    """Labels in memory, saved through the journal; reads never block on a write.

    `queries` is replaced, never mutated in place (copy-on-write per query), so a reader on
    another thread can iterate it while the writer applies another writer's lines.
    """

    def __init__(
        self,
        path: Path,
        queries: Queries | None = None,
        extra: dict | None = None,
        read_only: bool = False,
        scale: Scale = DEFAULT_SCALE,
    ):
        self.path = Path(path)
        self.read_only = read_only  # set when a file failed to load: never overwrite it
        self.queries: Queries = queries or {}
        self.journal = Journal(journal_path(self.path), scale)
        self.scale = scale
        self.on_saved: Callable[[Saved], object] | None = None  # called on the writer thread; its result is ignored
        self._extra_top = extra or {}
        self._undo: list[list[Change]] = []  # undo steps: one change, or a group (`set_many`)
        self._unwritten: list[Change] = []  # applied in memory, not yet in the journal
        self._base_signature: Signature | None = None
        self._mem = threading.RLock()
        self._writer = None

    @property
    def scale(self) -> Scale:
        """The rating scale of these labels (labels.yaml's `scale:`); the journal checks it too."""
        return self._scale

    @scale.setter
    def scale(self, scale: Scale) -> None:
        self._scale = scale
        self.journal.scale = scale

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
        """labels.yaml, then the journal over it, on the file's scale (lock held)."""
        self._base_signature = signature(self.path)
        text = read_text(self.path)
        queries, extra, scale = ({}, {}, DEFAULT_SCALE) if text is None else parse_labels_file(self.path, text)
        self.journal.scale = scale  # the journal's lines are on the file's scale
        try:
            entries = self.journal.read_all()
        except BaseException:
            self.journal.scale = self.scale
            raise
        for entry in entries:
            _apply_entry(queries, entry)
        with self._mem:
            self.queries, self._extra_top, self.scale = queries, extra, scale
            for change in self._unwritten:  # ours are newer than anything on disk
                self._put(change.query, change.doc, change.label)

    def get(self, query: str, doc: str) -> Label | None:
        return self.queries.get(query, {}).get(doc)

    def for_query(self, query: str) -> dict[str, Label]:
        return dict(self.queries.get(query, {}))

    def __len__(self) -> int:
        return sum(len(v) for v in self.queries.values())

    # -- changing (applied at once, saved by the writer) -----------------------------------

    def set(self, query: str, doc: str, grade: int, text: str, extra: dict | None = None) -> Label:
        """Label `doc`. A human label (no `extra`) keeps the keys of the label it replaces but
        its provenance (label_sources); `extra` (e.g. `accepted_extra(suggestion)`) is added."""
        if grade not in self.scale:
            raise ValueError(f"grade {grade!r} is not on the labels' scale {self.scale.text}")
        previous = self.get(query, doc)
        label = Label(doc, grade, text_sha1(text), utc_now(), _extra(previous, extra))
        self._change(Change(query, doc, label, previous), undoable=True)
        return label

    def set_many(self, query: str, items: list[tuple], extra: dict | None = None) -> list[Label]:
        """Label several passages of one query, (doc, grade, text) or (doc, grade, text, extra)
        each: one undo step. `extra` goes to the items without their own (see `set`)."""
        for item in items:
            if item[1] not in self.scale:
                raise ValueError(f"grade {item[1]!r} is not on the labels' scale {self.scale.text}")
        changes = []
        labels: list[Label] = []
        for item in items:
            doc, grade, text = item[:3]
            previous = self.get(query, doc)
            labels.append(Label(doc, grade, text_sha1(text), utc_now(), _extra(previous, item[3] if len(item) > 3 else extra)))
            changes.append(Change(query, doc, labels[-1], previous))
        with self._mem:
            for change in changes:
                self._change(change, undoable=False)
            if changes:
                self._undo.append(changes)
        return labels

    def clear(self, query: str, doc: str) -> Label | None:
        previous = self.get(query, doc)
        if previous is not None:
            self._change(Change(query, doc, None, previous), undoable=True)
        return previous

    def undo(self) -> tuple[str, str] | None:
        """Revert this store's last change (or group of changes); returns its (query, doc) —
        the group's first — or None when there is nothing to undo."""
        with self._mem:
            if not self._undo:
                return None
            step = self._undo.pop()
            for last in reversed(step):
                self._change(Change(last.query, last.doc, last.previous, self.get(last.query, last.doc)), undoable=False)
        return step[0].query, step[0].doc

    def _change(self, change: Change, undoable: bool) -> None:
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        with self._mem:
            self._put(change.query, change.doc, change.label)
            if undoable:
                self._undo.append([change])
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

    def merge(self, judgments: Queries, replace: bool = False, scale: Scale | None = None) -> None:
        """Add (or with `replace`, set) many labels at once, straight into labels.yaml.

        With `scale`, the labels take that scale (label_scale.import_scale chooses it for an
        import). Every label that results must be on the resulting scale: one that is not →
        ValueError, and nothing is written."""
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        scale = None if scale is None else Scale.parse(scale)
        self.flush()
        with locked(self.path):
            if replace:
                _refuse_off_scale(judgments, self.scale if scale is None else scale)  # before the journal is read
                self.journal.scale = None  # its lines are dropped: their grades may be on any scale
                try:
                    self.journal.read_all()
                finally:
                    self.journal.scale = self.scale
            else:
                self._catch_up()
            with self._mem:
                target = self.scale if scale is None else scale
                queries = {} if replace else dict(self.queries)
                for query, labels in judgments.items():
                    queries[query] = {**queries.get(query, {}), **labels}
                _refuse_off_scale(judgments, target)
                if (found := off_scale(queries, target)) is not None:
                    query, label = found
                    raise ValueError(
                        f"the label of doc {label.doc!r} for query {query!r} has grade {label.grade!r}, "
                        f"which is not on the scale {target.text}; nothing written"
                    )
                self.queries, self.scale = queries, target
            self._write_base()

    def set_scale(self, scale: Scale) -> None:
        """Put the labels on `scale` and write labels.yaml (under the lock, with what other
        writers saved). A label whose grade is not on it → ValueError, and nothing changes."""
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        scale = Scale.parse(scale)
        self.flush()
        with locked(self.path):
            self._catch_up()
            with self._mem:
                if (found := off_scale(self.queries, scale)) is not None:
                    query, label = found
                    raise ValueError(
                        f"the scale stays {self.scale.text}: the label of doc {label.doc!r} for query {query!r} "
                        f"has grade {label.grade}, which is not on {scale.text}"
                    )
                before, self.scale = self.scale, scale
            try:
                self._write_base()
            except BaseException:
                with self._mem:
                    self.scale = before
                raise

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
        off = next((c.label for c in changes if c.label is not None and c.label.grade not in self.scale), None)
        if off is not None:  # another writer changed the scale since this grade was given
            raise ValueError(f"not saved: grade {off.grade} is no longer on the labels' scale, now {self.scale.text}")
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
            steps = ([c for c in step if id(c) not in failed] for step in self._undo)
            self._undo = [step for step in steps if step]

    def _write_base(self) -> None:
        """labels.yaml from memory, then a fresh journal (the compaction)."""
        text = self.to_yaml()
        atomic_write_text(self.path, text)
        self.journal.reset()
        self._base_signature = signature(self.path)
        parse_cache.put(self.path, text, cacheable(self.queries, self._extra_top, self.scale))

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
        return labels_yaml(self.queries, self._extra_top, self.scale)

    def save(self) -> None:
        """Write everything to labels.yaml now (waiting for pending changes first)."""
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        self.flush()
        with locked(self.path):
            self._write_base()


def _extra(previous: Label | None, extra: dict | None) -> dict:
    kept = human_extra(previous)
    return {**kept, **extra} if extra else kept


def _refuse_off_scale(judgments: Queries, scale: Scale) -> None:
    if (found := off_scale(judgments, scale)) is not None:
        query, label = found
        raise ValueError(f"query {query!r}, doc {label.doc!r}: grade {label.grade!r} is not on the scale {scale.text}; nothing written")


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

