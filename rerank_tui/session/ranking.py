"""Re-order BM25 hits with a reranker, remembering how far each one moved."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from dataclasses import dataclass

from rerank_tui.recall.hit import Hit, index_text
from rerank_tui.rerank.base import Cancel, OnWait, Reranker, RerankStats


@dataclass(frozen=True, slots=True)
class RerankedHit:
    hit: Hit  # the BM25 hit: `hit.rank` is its BM25 rank
    score: float | None  # p(yes); None when a cascade left it unscored
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


def score_text(score: float | None, spec: str = ".3f") -> str:
    """`0.912` (formatted with `spec`), or `–` for a passage a cascade left unscored."""
    return "–" if score is None else format(score, spec)


def strictly_decreasing(docs: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The scores, each lowered just below the previous one (one ulp) where it is not already
    below it: ties and inversions keep the given order, already decreasing scores are kept.

    Evaluators sort a run by score and break ties by doc id (each its own way), so a run whose
    scores tie is scored in another order than the one shown; this makes the order shown the
    only order there is."""
    out, previous = [], math.inf
    for doc, score in docs:
        score = float(score)
        if score >= previous:
            score = math.nextafter(previous, -math.inf)
        out.append((doc, score))
        previous = score
    return out


def bm25_run(hits: list[Hit]) -> list[tuple[str, float]]:
    """BM25's hits as a run, in the order shown (equal scores keep the index's order)."""
    return strictly_decreasing([(h.passage.id, h.score) for h in hits])


def run_scores(ranked: list[RerankedHit], rest: Sequence[Hit] = ()) -> list[tuple[str, float]]:
    """(passage id, score), best first, for run files and metrics.

    The reranked head keeps its p(yes). Below its lowest score follow the passages a cascade
    left unscored (None) and then `rest` (BM25 hits that were not reranked, in BM25 order).
    Scores are strictly decreasing (`strictly_decreasing`), so any evaluator that sorts by
    score keeps exactly this order.
    """
    run = [(r.hit.passage.id, r.score) for r in ranked if r.score is not None]
    floor = min((score for _, score in run), default=0.0)
    seen = {pid for pid, _ in run}
    below = [r.hit.passage.id for r in ranked if r.score is None]
    below += [h.passage.id for h in rest if h.passage.id not in seen and h.passage.id not in below]
    return strictly_decreasing(run + [(pid, floor - (i + 1) * 1e-6) for i, pid in enumerate(below)])


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
    on_wait: OnWait = None,
) -> tuple[list[RerankedHit], RerankStats]:
    """Hits in the reranker's order. `rank()`, not a sort of `score()`: a cascade orders its
    top M by the large model and leaves the rest unscored (None) after them. When the model is
    busy with another call this one calls `on_wait()` once and waits; `cancel` is checked
    while waiting and between batches (raises `RerankCancelled`)."""
    documents = [document_text(h) for h in hits]
    ranking = reranker.rank(query, documents, instruction, cancel=cancel, on_wait=on_wait)
    ranked = [RerankedHit(hits[r.index], r.score, rank) for rank, r in enumerate(ranking.results, start=1)]
    return ranked, ranking.stats


def rerank_many_hits(
    reranker: Reranker, queries: Sequence[tuple[str, list[Hit]]], instruction: str | None, *, cancel: Cancel = None
) -> Iterator[list[RerankedHit]]:
    """`rerank_hits` for many (query, hits) at once, in order, each as soon as it is known: a
    server backend keeps several requests in flight (`--concurrency`), a local model ranks
    them one by one."""
    from rerank_tui.rerank.base import RankRequest, rank_many

    requests = (RankRequest(query, [document_text(h) for h in hits], instruction) for query, hits in queries)
    for (_, hits), ranking in zip(queries, rank_many(reranker, requests, cancel=cancel)):
        yield [RerankedHit(hits[r.index], r.score, rank) for rank, r in enumerate(ranking.results, start=1)]


def cached_rerank_hits(
    reranker: Reranker, query: str, hits: list[Hit], instruction: str | None
) -> tuple[list[RerankedHit], RerankStats] | None:
    """What `rerank_hits` would give, when the reranker can answer from its score cache alone
    (a `peek`); None when it cannot (a miss, or a reranker without a cache). Never waits."""
    peek = getattr(reranker, "peek", None)
    if peek is None or not hits:
        return None
    ranking = peek(query, [document_text(h) for h in hits], instruction)
    if ranking is None:
        return None
    ranked = [RerankedHit(hits[r.index], r.score, rank) for rank, r in enumerate(ranking.results, start=1)]
    return ranked, ranking.stats
