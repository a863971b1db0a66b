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

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rerank_tui.session import parse_cache
from rerank_tui.session.label_journal import Entry, Journal, journal_path
from rerank_tui.session.store import (
    WorkspaceFileError,
    YamlDocument,
    atomic_write_text,
    dump_yaml,
    locked,
    parse_yaml,
    read_text,
    remove_stray_temps,
    signature,
)

SCALE = {0: "irrelevant", 1: "related", 2: "relevant", 3: "perfect"}
FORMAT_VERSION = 1
HASH_CHARS = 12
COMPACT_ON_CLOSE_MAX = 5_000  # labels; folding more takes over 0.1 s

Queries = dict[str, dict[str, "Label"]]


def text_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Label:
    doc: str
    grade: int
    text_sha1: str = ""
    at: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def is_stale(self, current_text: str) -> bool:
        """True when the passage text differs from the text that was labeled."""
        if not self.text_sha1:
            return False
        return not text_sha1(current_text).startswith(self.text_sha1[:HASH_CHARS])

    def to_yaml(self) -> dict:
        data = {"doc": self.doc, "grade": self.grade}
        if self.text_sha1:
            data["text_sha1"] = self.text_sha1
        if self.at:
            data["at"] = self.at
        return data | self.extra


@dataclass(frozen=True)
class Change:
    """One label change of this store: `label` None is a removal; `previous` is for undo."""

    query: str
    doc: str
    label: Label | None
    previous: Label | None

    def entry(self) -> Entry:
        if self.label is None:
            return Entry(self.query, self.doc, None)
        return Entry(self.query, self.doc, self.label.grade, self.label.text_sha1, self.label.at, self.label.extra)


@dataclass(frozen=True)
class Saved:
    """What the writer reports: these changes are on disk, or they failed with `error`."""

    changes: tuple[Change, ...]
    error: Exception | None = None


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
        queries, extra = ({}, {}) if text is None else _parse_labels_file(self.path, text)
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
        parse_cache.put(self.path, text, _cacheable(self.queries, self._extra_top))

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
        """The whole file, dumped a few thousand labels at a time: memory stays flat at any size."""
        parts = [dump_yaml({"version": FORMAT_VERSION, "scale": dict(SCALE)})]
        queries = self.queries
        parts.append("queries:\n" if queries else "queries: {}\n")
        chunk: dict = {}
        size = 0
        for query, labels in queries.items():
            chunk[query] = [lab.to_yaml() for lab in labels.values()]
            size += len(labels) + 1
            if size >= _DUMP_CHUNK:
                parts.append(_indented(dump_yaml(chunk)))
                chunk, size = {}, 0
        if chunk:
            parts.append(_indented(dump_yaml(chunk)))
        if self._extra_top:
            parts.append(dump_yaml(self._extra_top))
        return "".join(parts)

    def save(self) -> None:
        """Write everything to labels.yaml now (waiting for pending changes first)."""
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        self.flush()
        with locked(self.path):
            self._write_base()


# -- labels.yaml ------------------------------------------------------------------------------

_DUMP_CHUNK = 2000


def _indented(text: str) -> str:
    """A dumped mapping moved one level in (YAML structure is relative, so this is exact)."""
    return "".join("  " + line if line.strip() else line for line in text.splitlines(keepends=True))



def _parse_labels_file(path: Path, text: str) -> tuple[Queries, dict]:
    cached = parse_cache.get(path, text)
    if cached is not None:
        return _from_cache(cached)
    document = parse_yaml(path, text)
    queries, extra = _parse_document(document)
    parse_cache.put(path, text, _cacheable(queries, extra))
    return queries, extra


def _parse_document(document: YamlDocument) -> tuple[Queries, dict]:
    data = document.data
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise document.error("expected a mapping with `version` and `queries`")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise document.error(f"unsupported version {version!r} (this app reads {FORMAT_VERSION})", "version")
    raw_queries = data.get("queries") or {}
    if not isinstance(raw_queries, dict):
        raise document.error("`queries` must map each query to a list of labels", "queries")
    queries: Queries = {}
    for query, items in raw_queries.items():
        if not isinstance(query, str):
            raise document.error(f"query {query!r} must be text (quote it)", "queries", str(query))
        if items is None:
            items = []
        if not isinstance(items, list):
            raise document.error(f"labels of query {query!r} must be a list", "queries", query)
        labels: dict[str, Label] = {}
        for number, item in enumerate(items):
            problem = _label_problem(item)
            if problem:
                raise document.error(f"query {query!r}, label {number + 1}: {problem}", "queries", query, number)
            label = _label_from(item)
            labels[label.doc] = label
        queries[query] = labels
    extra = {k: v for k, v in data.items() if k not in ("version", "scale", "queries")}
    return queries, extra


_KNOWN = {"doc", "grade", "text_sha1", "at"}


def _label_problem(item) -> str | None:
    if not isinstance(item, dict):
        return "expected a mapping with `doc` and `grade`"
    if "doc" not in item or "grade" not in item:
        return "needs `doc` and `grade`"
    doc, grade = item["doc"], item["grade"]
    if not isinstance(doc, (str, int)) or isinstance(doc, bool) or not str(doc).strip():
        return f"`doc` must be a passage id, not {doc!r}"
    if isinstance(grade, bool) or not isinstance(grade, int) or grade not in SCALE:
        return f"grade {grade!r} is not one of {', '.join(map(str, SCALE))}"
    for key in ("text_sha1", "at"):
        value = item.get(key)
        if value is not None and not isinstance(value, (str, datetime)):
            return f"`{key}` must be text, not {value!r}"
    return None


def _label_from(item: dict) -> Label:
    at = item.get("at", "")
    if isinstance(at, datetime):  # YAML parses unquoted timestamps
        at = at.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z" if at.tzinfo else at.isoformat()
    extra = {k: v for k, v in item.items() if k not in _KNOWN} if len(item) > 4 or not _KNOWN.issuperset(item) else {}
    return Label(str(item["doc"]), item["grade"], str(item.get("text_sha1") or ""), str(at or ""), extra)


def _cacheable(queries: Queries, extra: dict):
    return {
        "queries": {q: [[l.doc, l.grade, l.text_sha1, l.at, l.extra] for l in labels.values()] for q, labels in queries.items()},
        "extra": extra,
    }


def _from_cache(cached) -> tuple[Queries, dict]:
    queries = {q: {row[0]: Label(*row) for row in rows} for q, rows in cached["queries"].items()}
    return queries, cached.get("extra") or {}


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

