"""What an index of a folder was built from, file by file: the basis of incremental refresh.

For every candidate file of the walk, in walk (= passage) order: its relative path, size and
mtime_ns when it was read, how many passages it gave, and why it gave none (a skip report).
A file's passages are a contiguous run of the index, so the runs follow from the counts.
Stored beside the index (`files.json`); a missing or damaged one means a full rebuild.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rerank_tui.corpus.model import Skipped
from rerank_tui.corpus.passage import Passage
from rerank_tui.corpus.walk import FileEntry

MANIFEST_VERSION = 1
FILE_NAME = "files.json"


@dataclass(frozen=True, slots=True)
class FileRecord:
    rel: str
    size: int
    mtime_ns: int
    passages: int
    skipped: Skipped | None = None


@dataclass(frozen=True)
class FileManifest:
    files: list[FileRecord]

    @classmethod
    def of(cls, entries: Sequence[FileEntry | Skipped], passages: Sequence[Passage], skipped: Sequence[Skipped]) -> FileManifest:
        """The manifest of a folder read from `entries` (a walk) into `passages`/`skipped`."""
        counts: dict[str, int] = {}
        for doc in _docs(passages):
            counts[doc] = counts.get(doc, 0) + 1
        why = {s.path: s for s in skipped}
        files = [
            FileRecord(e.rel, e.size, e.mtime_ns, counts.get(e.rel, 0), None if e.rel in counts else why.get(e.rel))
            for e in entries
            if isinstance(e, FileEntry)
        ]
        if sum(f.passages for f in files) != len(passages):
            raise ValueError("passages do not follow the walk")
        return cls(files)

    def runs(self) -> dict[str, tuple[FileRecord, int]]:
        """Each file's record and the position of its first passage."""
        out, start = {}, 0
        for f in self.files:
            out[f.rel] = (f, start)
            start += f.passages
        return out

    def save(self, directory: Path) -> None:
        rows = [
            [f.rel, f.size, f.mtime_ns, f.passages, None if f.skipped is None else [f.skipped.reason, f.skipped.detail]]
            for f in self.files
        ]
        with open(directory / FILE_NAME, "w", encoding="utf-8") as fh:
            json.dump({"version": MANIFEST_VERSION, "files": rows}, fh, ensure_ascii=False)

    @classmethod
    def load(cls, directory: Path) -> FileManifest:
        """Raises OSError or ValueError (and its JSON subclass) when missing or damaged."""
        with open(directory / FILE_NAME, encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
            raise ValueError("unknown manifest version")
        files = []
        for rel, size, mtime_ns, passages, skip in data["files"]:
            if not isinstance(rel, str) or not all(isinstance(x, int) for x in (size, mtime_ns, passages)) or passages < 0:
                raise ValueError("bad manifest row")
            files.append(FileRecord(rel, size, mtime_ns, passages, None if skip is None else Skipped(rel, *skip)))
        return cls(files)


def _docs(passages: Sequence[Passage]):
    ids = getattr(passages, "ids", None)
    if callable(ids):  # stored passages: the doc of a folder passage is its id before "#N"
        return (i.rpartition("#")[0] for i in ids())
    return (p.doc for p in passages)
