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


def run_scores(ranked: list[RerankedHit], rest: list[Hit] = ()) -> list[tuple[str, float]]:
    """(passage id, score), best first, for run files and metrics.

    The reranked head keeps its p(yes). Below its lowest score follow, with strictly
    decreasing scores, the passages a cascade left unscored (NaN) and then `rest` (BM25 hits
    that were not reranked, in BM25 order), so any evaluator that sorts by score keeps
    exactly this order.
    """
    floor = min((r.score for r in ranked if r.score == r.score), default=0.0)
    run = [(r.hit.passage.id, r.score) for r in ranked if r.score == r.score]
    seen = {pid for pid, _ in run}
    below = [r.hit.passage.id for r in ranked if r.score != r.score]
    below += [h.passage.id for h in rest if h.passage.id not in seen and h.passage.id not in below]
    return run + [(pid, floor - (i + 1) * 1e-6) for i, pid in enumerate(below)]


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
