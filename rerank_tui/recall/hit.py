"""What a search returns and what it indexes, without numpy: the app's first frame imports
this, not the index (see `bench/startup.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rerank_tui.corpus.passage import Passage


@dataclass(frozen=True, slots=True)
class Hit:
    rank: int  # 1-based
    score: float
    index: int  # position of the passage in `Index.passages`
    passage: Passage


def index_text(passage: Passage) -> str:
    """What BM25 sees of a passage: its title (file name + headings, or doc title) and text."""
    return f"{passage.title}\n{passage.text}" if passage.title else passage.text


def passage_ids(passages: Sequence[Passage]) -> list[str]:
    """The passages' ids in order; a stored sequence gives them without reading its texts."""
    ids = getattr(passages, "ids", None)
    return list(ids()) if callable(ids) else [p.id for p in passages]
