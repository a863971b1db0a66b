"""Compare BM25 with reranked systems (one per instruction) over judged queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from collections.abc import Callable
from dataclasses import dataclass, field

from rerank_tui.recall.hit import Hit
from rerank_tui.rerank.base import Cancel, RankRequest, Reranker, rank_many
from rerank_tui.session.metrics import Qrels, Run, aggregate, paired_p_value, per_query
from rerank_tui.session.ranking import RerankedHit, bm25_run, document_text, run_scores

if TYPE_CHECKING:
    from rerank_tui.recall.index import Index


@dataclass
class System:
    name: str  # "bm25" (or the recall run's name), a preset name, or "instruction-N"
    instruction: str | None  # None: the recall stage itself (BM25, or a run file's candidates)
    run: Run = field(default_factory=dict)
    values: dict[str, dict[str, float]] = field(default_factory=dict)  # metric → query → value

    def means(self) -> dict[str, float]:
        """Each metric over the queries as ir-measures aggregates it (a mean; a sum for counts)."""
        return {metric: aggregate(metric, v) for metric, v in self.values.items()}


def evaluate(
    index: Index,
    queries: list[tuple[str, str]],
    qrels: Qrels,
    systems: list[tuple[str, str]],
    *,
    reranker: Reranker | None,
    metrics: list[str],
    depth: int = 100,
    rerank_depth: int = 50,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: Cancel = None,
    hits_of: Callable[[str, str, int], list[Hit]] | None = None,
    recall_name: str = "bm25",
) -> list[System]:
    """BM25 first, then one reranked system per (name, instruction). The reranked run is the
    reranked top `rerank_depth` followed by the rest of BM25's top `depth`, so deep metrics
    (R@100) compare like with like.

    `hits_of(query id, text, k)` gives a query's candidates instead of BM25's
    (`index.search(text, k)`), e.g. a run file's (recall_run.RunCandidates.hits_of); the first
    system is then the candidates themselves, named `recall_name`."""
    if hits_of is None:
        hits_of = lambda qid, text, k: index.search(text, k)  # noqa: E731
    results = [System(recall_name, None)]
    candidates = {qid: hits_of(qid, text, max(depth, rerank_depth)) for qid, text in queries}
    results[0].run = {qid: bm25_run(hits[:depth]) for qid, hits in candidates.items()}
    total = len(queries) * len(systems)
    done = 0
    for name, instruction in systems:
        system = System(name, instruction)
        # All of a system's queries go to the reranker at once: a server backend keeps several
        # in flight (--concurrency); an in-process model still ranks them one by one.
        requests = (
            RankRequest(text, [document_text(h) for h in candidates[qid][:rerank_depth]], instruction) for qid, text in queries
        )
        if reranker is None:
            raise ValueError("reranked systems need a reranker")
        rankings = rank_many(reranker, requests, cancel=cancel)
        for (qid, _), ranking in zip(queries, rankings):
            hits = candidates[qid]
            ranked = [RerankedHit(hits[r.index], r.score, rank) for rank, r in enumerate(ranking.results, start=1)]
            system.run[qid] = run_scores(ranked, hits[rerank_depth:depth])
            done += 1
            if progress is not None:
                progress(done, total, name)
        results.append(system)
    for system in results:
        system.values = per_query(qrels, system.run, metrics)
    return results


def significance(a: System, b: System, metric: str) -> float:
    return paired_p_value(a.values[metric], b.values[metric])
