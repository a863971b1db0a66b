"""The labels' write-ahead journal: one JSON line per change, appended and fsynced.

A label keypress must be on disk within milliseconds, and a full rewrite of labels.yaml at
20,000 labels takes about half a second, so each change is appended here first (under the
labels' lock) and folded into labels.yaml later, in the background (`LabelStore.compact`).
`labels.yaml` + this journal, replayed in order, is the state; replaying twice changes nothing,
because every line is a whole label (or its removal), not a difference.

    {"rerank-tui labels journal": 1, "id": "5f0c…"}          the header: this journal's identity
    {"query": "…", "doc": "a.md#2", "grade": 3, "text_sha1": "…", "at": "2026-…Z"}
    {"query": "…", "doc": "a.md#2", "grade": null}              a cleared label

Every grade must be on the labels' scale (labels.yaml's `scale:`, read before the journal).
A compaction writes labels.yaml and then starts a new journal with a new id, so a writer that
remembers the old id knows to read both files again. A last line cut short by a crash was
never reported as saved; it is dropped before the next append.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rerank_tui.session.store import WorkspaceFileError, atomic_write_text

HEADER_KEY = "rerank-tui labels journal"
MAX_LINE_BYTES = 1 << 20


@dataclass(frozen=True)
class Entry:
    query: str
    doc: str
    grade: int | None  # None: the label was cleared
    text_sha1: str = ""
    at: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        record: dict[str, object] = {"query": self.query, "doc": self.doc, "grade": self.grade}
        if self.grade is not None:
            record |= {"text_sha1": self.text_sha1, "at": self.at}
            if self.extra:
                record["extra"] = self.extra
        return json.dumps(record, ensure_ascii=False, default=str) + "\n"


def journal_path(labels_path: Path) -> Path:
    return Path(labels_path).with_name(Path(labels_path).name.removesuffix(".yaml") + ".journal")


class Journal:
    """Reading and appending one journal file; every method is called with the labels' lock held."""

    def __init__(self, path: Path, scale) -> None:
        self.path = Path(path)
        self.scale = scale  # the labels' Scale, which every grade must be on (None: any integer)
        self.id: str | None = None  # the journal generation we have read
        self.offset = 0  # bytes of it we have read
        self.entries = 0  # change lines in it

    def read_all(self) -> list[Entry]:
        self.id, self.offset, self.entries = None, 0, 0
        try:
            with open(self.path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise WorkspaceFileError(self.path, f"cannot read: {exc.strerror or exc}") from None
        if not data:
            return []
        header_end = data.find(b"\n")
        if header_end < 0:
            return []  # only a torn header: nothing was ever saved in it
        self.id = self._header(data[:header_end], 1)
        entries = self._parse(data, header_end + 1, 2)
        self.offset = data.rfind(b"\n") + 1
        return entries

    def read_new(self) -> list[Entry] | None:
        """Lines other writers appended since we last read; None when the journal was replaced."""
        try:
            with open(self.path, "rb") as fh:
                header = fh.readline(MAX_LINE_BYTES)
                if not header.endswith(b"\n") or self._header(header.rstrip(b"\n"), 1) != self.id:
                    return None
                size = os.fstat(fh.fileno()).st_size
                if size < self.offset:
                    return None
                fh.seek(self.offset)
                tail = fh.read()
        except FileNotFoundError:
            return None if self.id is not None else []
        except OSError as exc:
            raise WorkspaceFileError(self.path, f"cannot read: {exc.strerror or exc}") from None
        start = self.offset
        entries = self._parse(tail, 0, None)
        self.offset = start + tail.rfind(b"\n") + 1 if b"\n" in tail else start
        return entries

    def append(self, entries: list[Entry]) -> None:
        """Append and fsync (a new journal starts with its header)."""
        payload = "".join(e.to_json() for e in entries).encode("utf-8")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":  # a torn line from a crash: never saved
                data = os.pread(fd, size, 0)
                size = data.rfind(b"\n") + 1
                os.ftruncate(fd, size)
            if size == 0:
                self.id = uuid.uuid4().hex
                header = json.dumps({HEADER_KEY: 1, "id": self.id}) + "\n"
                payload = header.encode() + payload
            os.lseek(fd, size, os.SEEK_SET)
            written = 0
            while written < len(payload):
                written += os.write(fd, payload[written:])
            os.fsync(fd)
            self.offset = size + len(payload)
            self.entries += len(entries)
        finally:
            os.close(fd)

    def reset(self) -> None:
        """Start a new, empty journal (after its lines went into labels.yaml)."""
        self.id = uuid.uuid4().hex
        header = json.dumps({HEADER_KEY: 1, "id": self.id}) + "\n"
        atomic_write_text(self.path, header)
        self.offset, self.entries = len(header.encode()), 0

    # -- parsing ---------------------------------------------------------------------------

    def _header(self, line: bytes, number: int) -> str:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        if not isinstance(record, dict) or record.get(HEADER_KEY) != 1 or not isinstance(record.get("id"), str):
            raise WorkspaceFileError(self.path, "not a rerank-tui labels journal (bad first line)", number)
        return record["id"]

    def _parse(self, data: bytes, start: int, first_line: int | None) -> list[Entry]:
        entries = []
        lines = data[start:].split(b"\n")
        complete = lines[:-1]  # the last piece is empty, or a line cut short by a crash
        for i, raw in enumerate(complete):
            number = first_line + i if first_line is not None else None
            if raw.strip():
                entries.append(self._entry(raw, number))
        self.entries += len(entries)
        return entries

    def _entry(self, raw: bytes, number: int | None) -> Entry:
        def bad(message: str) -> WorkspaceFileError:
            return WorkspaceFileError(self.path, message, number)

        if len(raw) > MAX_LINE_BYTES:
            raise bad("line longer than 1 MiB")
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise bad(f"not a JSON line ({exc.__class__.__name__})") from None
        if not isinstance(record, dict):
            raise bad("expected an object")
        query, doc, grade = record.get("query"), record.get("doc"), record.get("grade")
        if not isinstance(query, str) or not isinstance(doc, str) or not doc:
            raise bad("expected `query` and `doc` strings")
        if grade is not None and (isinstance(grade, bool) or not isinstance(grade, int)):
            raise bad(f"grade {grade!r} is not a whole number")
        if grade is not None and self.scale is not None and grade not in self.scale:
            raise bad(f"grade {grade!r} is not on the labels' scale {self.scale.text} (labels.yaml `scale:`)")
        extra = record.get("extra") or {}
        if not isinstance(extra, dict):
            raise bad("`extra` must be an object")
        return Entry(query, doc, grade, str(record.get("text_sha1") or ""), str(record.get("at") or ""), extra)
