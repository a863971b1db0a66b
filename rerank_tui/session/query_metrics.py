"""Metrics of the current query, BM25 against reranked, from its labels (for the live view)."""

from __future__ import annotations

from dataclasses import dataclass

from rerank_tui.recall.hit import Hit
from rerank_tui.session.labels import Label
from rerank_tui.session.metrics import per_query
from rerank_tui.session.ranking import RerankedHit, run_scores

LIVE_METRICS = ("nDCG@10", "AP@10", "RR@10", "P@5", "nDCG@5", "R@100")


@dataclass(frozen=True)
class QueryMetrics:
    labeled: int
    bm25: dict[str, float]
    reranked: dict[str, float] | None  # None until a rerank of this query is shown


def query_metrics(labels: dict[str, Label], bm25: list[Hit], reranked: list[RerankedHit] | None) -> QueryMetrics | None:
    """None when the query has no labels (every metric would be 0 by definition)."""
    if not labels:
        return None
    qrels = {"q": {doc: label.grade for doc, label in labels.items()}}
    bm25_run = {"q": [(h.passage.id, float(len(bm25) - i)) for i, h in enumerate(bm25)]}
    bm25_values = {m: v["q"] for m, v in per_query(qrels, bm25_run, LIVE_METRICS).items()}
    rr_values = None
    if reranked:
        rr = per_query(qrels, {"q": run_scores(reranked, bm25)}, LIVE_METRICS)  # the head, then BM25's order
        rr_values = {m: v["q"] for m, v in rr.items()}
    return QueryMetrics(len(labels), bm25_values, rr_values)
