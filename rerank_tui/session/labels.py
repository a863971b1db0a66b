"""Graded relevance labels (0–3) per (query, passage), saved to `labels.yaml` on every change.

Format (see DESIGN.md):

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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rerank_tui.session.store import WorkspaceFileError, atomic_write_text, dump_yaml, load_yaml, node_line

SCALE = {0: "irrelevant", 1: "related", 2: "relevant", 3: "perfect"}
FORMAT_VERSION = 1
HASH_CHARS = 12


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


class LabelStore:
    """Labels in memory, written through to `path` atomically on every change, with undo."""

    def __init__(
        self,
        path: Path,
        queries: dict[str, dict[str, Label]] | None = None,
        extra: dict | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only  # set when the file failed to load: never overwrite it
        self.queries: dict[str, dict[str, Label]] = queries or {}
        self._extra_top = extra or {}
        self._undo: list[tuple[str, str, Label | None]] = []

    # -- reading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> LabelStore:
        """Read `path` (an absent file is an empty store). Bad content → `WorkspaceFileError`."""
        path = Path(path)
        data = load_yaml(path)
        if data is None:
            return cls(path)
        if not isinstance(data, dict):
            raise WorkspaceFileError(path, "expected a mapping with `version` and `queries`", 1)
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise WorkspaceFileError(path, f"unsupported version {version!r} (this app reads {FORMAT_VERSION})", node_line(path, "version"))
        raw_queries = data.get("queries") or {}
        if not isinstance(raw_queries, dict):
            raise WorkspaceFileError(path, "`queries` must map each query to a list of labels", node_line(path, "queries"))
        queries: dict[str, dict[str, Label]] = {}
        for query, items in raw_queries.items():
            line = node_line(path, "queries", str(query))
            if not isinstance(items, list):
                raise WorkspaceFileError(path, f"labels of query {query!r} must be a list", line)
            labels: dict[str, Label] = {}
            for item in items:
                labels_item = _parse_label(path, query, item, line)
                labels[labels_item.doc] = labels_item
            queries[str(query)] = labels
        extra = {k: v for k, v in data.items() if k not in ("version", "scale", "queries")}
        return cls(path, queries, extra)

    def get(self, query: str, doc: str) -> Label | None:
        return self.queries.get(query, {}).get(doc)

    def for_query(self, query: str) -> dict[str, Label]:
        return dict(self.queries.get(query, {}))

    def __len__(self) -> int:
        return sum(len(v) for v in self.queries.values())

    # -- changing (each change is saved before it returns) -----------------------------------

    def set(self, query: str, doc: str, grade: int, text: str) -> Label:
        if grade not in SCALE:
            raise ValueError(f"grade must be one of {sorted(SCALE)}, not {grade!r}")
        previous = self.get(query, doc)
        label = Label(doc, grade, text_sha1(text), utc_now(), previous.extra if previous else {})
        self._apply(query, doc, label, previous)
        return label

    def clear(self, query: str, doc: str) -> Label | None:
        previous = self.get(query, doc)
        if previous is not None:
            self._apply(query, doc, None, previous)
        return previous

    def undo(self) -> tuple[str, str] | None:
        """Revert the last change; returns its (query, doc), or None when there is none."""
        if not self._undo:
            return None
        query, doc, previous = self._undo.pop()
        self._put(query, doc, previous)
        self.save()
        return query, doc

    def _apply(self, query: str, doc: str, label: Label | None, previous: Label | None) -> None:
        self._put(query, doc, label)
        try:
            self.save()
        except BaseException:
            self._put(query, doc, previous)  # memory never claims what the file lacks
            raise
        self._undo.append((query, doc, previous))

    def _put(self, query: str, doc: str, label: Label | None) -> None:
        labels = self.queries.setdefault(query, {})
        if label is None:
            labels.pop(doc, None)
        else:
            labels[doc] = label

    # -- writing ---------------------------------------------------------------------------

    def to_yaml(self) -> str:
        data = {
            "version": FORMAT_VERSION,
            "scale": dict(SCALE),
            "queries": {q: [lab.to_yaml() for lab in labels.values()] for q, labels in self.queries.items()},
        } | self._extra_top
        return dump_yaml(data)

    def save(self) -> None:
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        atomic_write_text(self.path, self.to_yaml())


def _parse_label(path: Path, query, item, line: int | None) -> Label:
    if not isinstance(item, dict) or "doc" not in item or "grade" not in item:
        raise WorkspaceFileError(path, f"a label of query {query!r} needs `doc` and `grade`", line)
    grade = item["grade"]
    if isinstance(grade, bool) or grade not in SCALE:
        raise WorkspaceFileError(path, f"grade {grade!r} of {item['doc']!r} is not one of 0, 1, 2, 3", line)
    known = {"doc", "grade", "text_sha1", "at"}
    at = item.get("at", "")
    if isinstance(at, datetime):  # YAML parses unquoted timestamps
        at = at.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z" if at.tzinfo else at.isoformat()
    return Label(
        doc=str(item["doc"]),
        grade=int(grade),
        text_sha1=str(item.get("text_sha1", "") or ""),
        at=str(at or ""),
        extra={k: v for k, v in item.items() if k not in known},
    )
