"""What a label is: a grade of one passage for one query, and the changes made to labels."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from rerank_tui.session.label_journal import Entry

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


Queries = dict[str, dict[str, Label]]  # query → passage id → label
