"""The unit everything above the corpus layer works with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Passage:
    """A searchable piece of a document.

    `id` is stable across runs: for a folder it is the path relative to the corpus root
    (POSIX separators) + "#" + the passage number (1-based); for JSONL/BEIR documents kept
    whole it is the document's own id, and `doc_id#N` when a document is split.
    """

    id: str
    doc: str  # document key: relative path (folder) or document id (JSONL/BEIR)
    title: str  # file name + heading path, or the document title
    text: str
    start: int = 0  # character span of `text` in the decoded source document
    end: int = 0
