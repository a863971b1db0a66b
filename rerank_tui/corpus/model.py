"""The corpus layer's public data types: options, the loaded corpus, skip reports, errors."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from rerank_tui.corpus.passage import Passage

# The fixed vocabulary of `Skipped.reason` (the CLI and the UI count files by it).
SKIP_REASONS = (
    "binary",
    "too large",
    "empty",
    "unreadable",
    "undecodable",
    "symlink loop",
    "not a regular file",
    "bad record",
    "gitignored",
)


class CorpusError(Exception):
    """The corpus as a whole cannot be loaded; the message is one line a user can act on."""


@dataclass(frozen=True)
class CorpusOptions:
    max_file_bytes: int = 20 * 2**20  # larger files are skipped as "too large"
    max_passage_words: int = 256  # passage size; a CJK character counts as one word
    # JSONL/BEIR documents are kept whole by default, so passage ids equal the collection's
    # doc ids and qrels match; True splits long ones into `docid#1`, `docid#2`, ...
    split_records: bool = False
    # Honour .gitignore files (see corpus.gitignore for the scope); False indexes ignored files too.
    gitignore: bool = True

    def __post_init__(self) -> None:
        if self.max_file_bytes < 0:
            raise ValueError("max_file_bytes must not be negative")
        if self.max_passage_words < 1:
            raise ValueError("max_passage_words must be at least 1")

    def cache_key(self) -> str:
        """A stable string of every field, for index cache keys."""
        return ";".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))


@dataclass(frozen=True)
class Skipped:
    """A file (or JSONL record) that produced no passages, and why."""

    path: str  # relative to the corpus root, encoded like passage ids (see walk.encode_path)
    reason: str  # one of SKIP_REASONS
    detail: str = ""  # e.g. an OSError text, or "line 17: Expecting ',' delimiter"


@dataclass
class Corpus:
    source: Path  # resolved
    kind: str  # "folder" | "jsonl" | "beir"
    passages: list[Passage]
    files_read: int  # files (or JSONL records) that produced passages
    skipped: list[Skipped]

    def skipped_by_reason(self) -> dict[str, int]:
        return count_reasons(self.skipped)


def count_reasons(skipped: list[Skipped]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in skipped:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    return dict(sorted(counts.items()))
