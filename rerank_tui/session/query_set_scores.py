"""Every query of the set ranked and scored: the numbers of the query-set screen.

Ranking (`rank_query_set`) and scoring (`score_rows`) are apart: rankings are the slow part
(BM25, then the reranker), metrics are recomputed from them in one ir-measures call whenever
the labels change. A query's reranked list is the one the main screen shows and `eval` ranks:
BM25's top `rerank_depth` reranked, followed by the rest of BM25's top `depth`
(`ranking.run_scores`), scored with strictly decreasing scores, so the numbers are the ones
trec_eval or ir-measures give on the same run.

The ranking pass goes score cache first: every query whose scores are all cached is ranked
at once (`cached_rerank_hits`), then the model ranks the others (several in flight to a server),
checking `cancel` between queries and between batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rerank_tui.recall.hit import Hit
from rerank_tui.rerank.base import Cancel, Reranker
from rerank_tui.rerank.errors import RerankCancelled
from rerank_tui.session.label_model import Label
from rerank_tui.session.metrics import per_query
from rerank_tui.session.overlap import Overlap, jaccard, rbo
from rerank_tui.session.query_set import QueryEntry
from rerank_tui.session.ranking import RerankedHit, bm25_run, cached_rerank_hits, rerank_many_hits, run_scores

if TYPE_CHECKING:
    from rerank_tui.recall.index import Index
    from _typeshed import SupportsRichComparison

ROW_METRIC = "nDCG@10"
TOP = 10  # holes and overlap look at the top 10 of each list
RBO_P = 0.9

RunList = list[tuple[str, float]]  # [(doc id, score)], best first, strictly decreasing


@dataclass
class QueryRun:
    """One query's recall hits and, once ranked, its reranked list (None: not (yet) reranked)."""

    entry: QueryEntry
    hits: list[Hit]
    ranking: list[RerankedHit] | None = None
    from_cache: bool = False

    def run(self, rerank_depth: int) -> RunList:
        """The list the metrics score: reranked head then BM25's tail, or BM25 alone."""
        if self.ranking is None:
            return bm25_run(self.hits)
        return run_scores(self.ranking, self.hits[rerank_depth:])


@dataclass(frozen=True)
class Side:
    """The other side of a comparison: an instruction, or a snapshot's frozen runs."""

    name: str  # "preset default", "try 3", "snapshot base"
    instruction: str | None = None  # rerank with this instruction…
    runs: Mapping[str, RunList] | None = None  # …or these runs, by query id
    load: Callable[[], Mapping[str, RunList]] | None = None  # …or runs read when first chosen

    def loaded(self) -> Side:
        """This side with its runs read (a snapshot's run file is read only when chosen)."""
        return self if self.load is None else Side(self.name, self.instruction, self.load())


@dataclass
class QueryRow:
    entry: QueryEntry
    judged: int  # labels of this query
    holes: int  # unlabeled passages in the top 10 of recall ∪ reranked
    recall: float | None  # ROW_METRIC of BM25 (None: no labels)
    reranked: float | None  # of the reranked list (None: no labels, or not reranked yet)
    overlap: Overlap | None  # recall vs reranked top 10 (None: not reranked yet)
    other: float | None = None  # ROW_METRIC of the compared side (None: no labels or not ranked)
    other_overlap: Overlap | None = None  # this side's reranked list vs the other side's
    pending: bool = False  # still being ranked

    @property
    def delta(self) -> float | None:
        """reranked − recall."""
        return None if self.reranked is None or self.recall is None else self.reranked - self.recall

    @property
    def other_delta(self) -> float | None:
        """other − this side (reranked, or recall when there is no reranked list)."""
        mine = self.reranked if self.reranked is not None else self.recall
        return None if self.other is None or mine is None else self.other - mine


@dataclass
class Means:
    queries: int
    judged_queries: int
    labels: int
    holes: int
    recall: float = math.nan
    reranked: float = math.nan
    other: float = math.nan
    jaccard: float = math.nan
    rbo: float = math.nan
    better: int = 0  # judged queries the reranker improves
    worse: int = 0
    other_better: int = 0  # judged queries the other side improves over this one
    other_worse: int = 0
    reranked_queries: int = 0


@dataclass
class Scored:
    rows: list[QueryRow]
    means: Means
    metric: str = ROW_METRIC


def rank_query_set(
    index: Index,
    entries: Sequence[QueryEntry],
    *,
    reranker: Reranker | None,
    instruction: str | None,
    depth: int,
    rerank_depth: int,
    cancel: Cancel = None,
    hits_of: Mapping[str, list[Hit]] | None = None,
    recall: Callable[[str, str, int], list[Hit]] | None = None,
) -> Iterator[QueryRun]:
    """Yield a QueryRun per query, as each is known: first every query with its BM25 hits and,
    when the score cache has all of them, its reranked list; then, for the rest, again with the
    model's ranking. Without a reranker only the first pass runs (BM25). `hits_of` (query id →
    hits) skips BM25 for queries searched before; `recall` (query id, text, k → hits) is the
    recall source when it is not BM25. Raises RerankCancelled when cancelled."""
    waiting: list[QueryRun] = []
    for entry in entries:
        if cancel is not None and cancel():
            raise RerankCancelled("cancelled")
        hits = hits_of.get(entry.id) if hits_of is not None else None
        if hits is None:
            k = max(depth, rerank_depth)
            hits = index.search(entry.text, k) if recall is None else recall(entry.id, entry.text, k)
        run = QueryRun(entry, hits)
        if reranker is not None and hits:
            cached = cached_rerank_hits(reranker, entry.text, hits[:rerank_depth], instruction)
            if cached is not None:
                run.ranking, run.from_cache = cached[0], True
            else:
                waiting.append(run)
        yield run
    if reranker is None:
        return  # nothing waits without a reranker
    if not waiting:
        return
    assert reranker is not None  # only queries with a reranker wait for it
    pairs = [(run.entry.text, run.hits[:rerank_depth]) for run in waiting]
    for run, ranked in zip(waiting, rerank_many_hits(reranker, pairs, instruction, cancel=cancel)):
        yield QueryRun(run.entry, run.hits, ranked, False)


def _top(run: RunList) -> list[str]:
    return [doc for doc, _ in run[:TOP]]


def score_rows(
    runs: Sequence[QueryRun],
    labels: Mapping[str, Mapping[str, Label]],
    *,
    rerank_depth: int,
    other: Mapping[str, RunList] | None = None,
    pending: AbstractSet[str] = frozenset(),
) -> Scored:
    """Rows and means for `runs` against `labels` (query text → doc → label, as they are now).
    `other` (query id → run) is the compared side; `pending` the ids still being ranked."""
    qrels = {}
    recall_runs, reranked_runs, other_runs = {}, {}, {}
    for run in runs:
        qid = run.entry.id
        judged = labels.get(run.entry.text) or {}
        if judged:
            qrels[qid] = {doc: label.grade for doc, label in judged.items()}
        if not run.hits and qid in pending:
            continue  # not searched yet: no numbers rather than zeros
        recall_runs[qid] = bm25_run(run.hits)
        if run.ranking is not None:
            reranked_runs[qid] = run.run(rerank_depth)
        if other is not None and qid in other:
            other_runs[qid] = other[qid]
    values = {}
    for name, system in (("recall", recall_runs), ("reranked", reranked_runs), ("other", other_runs)):
        # nDCG@10 reads only a run's top 10 (its ideal DCG comes from the qrels), so the
        # runs go in cut to 10: the same values, several times faster at 500 queries.
        judged_runs = {q: r[:TOP] for q, r in system.items() if q in qrels}
        values[name] = per_query({q: qrels[q] for q in judged_runs}, judged_runs, [ROW_METRIC])[ROW_METRIC] if judged_runs else {}
    rows = []
    for run in runs:
        qid = run.entry.id
        judged = labels.get(run.entry.text) or {}
        recall_top = _top(recall_runs.get(qid, []))
        reranked = reranked_runs.get(qid)
        pool = dict.fromkeys(recall_top + (_top(reranked) if reranked else []))
        holes = sum(1 for doc in pool if doc not in judged)
        overlap = None
        if reranked is not None:
            top = _top(reranked)
            overlap = Overlap(jaccard(recall_top, top, TOP), rbo(recall_top, top, RBO_P, TOP))
        mine = reranked if reranked is not None else recall_runs.get(qid, [])
        other_overlap = None
        if qid in other_runs:
            theirs = _top(other_runs[qid])
            other_overlap = Overlap(jaccard(_top(mine), theirs, TOP), rbo(_top(mine), theirs, RBO_P, TOP))
        rows.append(
            QueryRow(
                run.entry, len(judged), holes,
                values["recall"].get(qid), values["reranked"].get(qid), overlap,
                values["other"].get(qid), other_overlap, qid in pending,
            )
        )
    return Scored(rows, means_of(rows))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def means_of(rows: Sequence[QueryRow]) -> Means:
    judged = [r for r in rows if r.judged]
    reranked = [r for r in judged if r.reranked is not None]
    compared = [r for r in judged if r.other is not None]
    overlaps = [r.overlap for r in rows if r.overlap is not None]
    return Means(
        queries=len(rows),
        judged_queries=len(judged),
        labels=sum(r.judged for r in rows),
        holes=sum(r.holes for r in rows),
        recall=_mean([r.recall for r in judged if r.recall is not None]),
        reranked=_mean([r.reranked for r in reranked if r.reranked is not None]),
        other=_mean([r.other for r in compared if r.other is not None]),
        jaccard=_mean([o.jaccard for o in overlaps]),
        rbo=_mean([o.rbo for o in overlaps]),
        better=sum(1 for r in reranked if (r.delta or 0) > 1e-9),
        worse=sum(1 for r in reranked if (r.delta or 0) < -1e-9),
        other_better=sum(1 for r in compared if (r.other_delta or 0) > 1e-9),
        other_worse=sum(1 for r in compared if (r.other_delta or 0) < -1e-9),
        reranked_queries=sum(1 for r in rows if r.overlap is not None),
    )


# -- the screen's orders --------------------------------------------------------------------------


def _nan_last(value: float | None, sign: float = 1.0) -> tuple[bool, float]:
    return (value is None or math.isnan(value), sign * (value if value is not None and not math.isnan(value) else 0.0))


SORTS: dict[str, tuple[str, Callable[[QueryRow], SupportsRichComparison] | None]] = {
    "delta": ("Δ worst first", lambda r: (_nan_last(r.delta), _nan_last(r.overlap.rbo if r.overlap else None), r.entry.text)),
    "holes": ("most holes first", lambda r: (-r.holes, r.entry.text)),
    "text": ("text A–Z", lambda r: (r.entry.text.casefold(), r.entry.id)),
    "set": ("set order", None),
    "other": ("B − A worst first", lambda r: (_nan_last(r.other_delta), _nan_last(r.other_overlap.rbo if r.other_overlap else None), r.entry.text)),
}


def sorted_rows(rows: Sequence[QueryRow], sort: str, text_filter: str = "") -> list[QueryRow]:
    """The rows to show: those whose id, text or note holds every word of `text_filter`
    (case-insensitive), in the order `sort` names (a key of SORTS; "set": as listed)."""
    words = text_filter.casefold().split()
    shown = [
        r for r in rows
        if all(w in r.entry.text.casefold() or w in r.entry.id.casefold() or w in r.entry.note.casefold() for w in words)
    ]
    key = SORTS[sort][1]
    return shown if key is None else sorted(shown, key=key)
