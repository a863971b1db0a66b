"""Re-order BM25 hits with a reranker, remembering how far each one moved."""

from __future__ import annotations

from dataclasses import dataclass

from rerank_tui.recall.index import Hit, index_text
from rerank_tui.rerank.base import Cancel, Reranker, RerankStats


@dataclass(frozen=True, slots=True)
class RerankedHit:
    hit: Hit  # the BM25 hit: `hit.rank` is its BM25 rank
    score: float  # p(yes); NaN when a cascade left it unscored
    rank: int  # 1-based rank after reranking

    @property
    def moved(self) -> int:
        """Positions gained against BM25 (positive: moved up)."""
        return self.hit.rank - self.rank


def movement(moved: int) -> str:
    """`▲3`, `▼2` or `=`: how a hit moved against its BM25 rank."""
    if moved > 0:
        return f"▲{moved}"
    if moved < 0:
        return f"▼{-moved}"
    return "="


def document_text(hit: Hit) -> str:
    """What the reranker reads of a passage: the same title + text that BM25 indexed."""
    return index_text(hit.passage)


def rerank_hits(
    reranker: Reranker,
    query: str,
    hits: list[Hit],
    instruction: str | None,
    *,
    cancel: Cancel = None,
) -> tuple[list[RerankedHit], RerankStats]:
    """Hits in the reranker's order. `rank_with_stats`, not a sort of `score()`: a cascade
    orders its top M by the large model and leaves the rest unscored (NaN) after them."""
    results, stats = reranker.rank_with_stats(query, [document_text(h) for h in hits], instruction, cancel=cancel)
    ranked = [RerankedHit(hits[r.index], r.score, rank) for rank, r in enumerate(results, start=1)]
    return ranked, stats
