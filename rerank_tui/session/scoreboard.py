"""Presets and tries scored over every labeled query: which instruction ranks best."""

from __future__ import annotations

from typing import TYPE_CHECKING

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rerank_tui.rerank.base import Cancel, Reranker
from rerank_tui.session.evaluation import evaluate
from rerank_tui.session.query_set import QuerySet, query_id
from rerank_tui.session.labels import Label, LabelStore
from rerank_tui.session.presets import PresetStore
from rerank_tui.session.tries import TryLog

if TYPE_CHECKING:
    from rerank_tui.recall.index import Index

BOARD_METRICS = ("nDCG@10", "AP@10", "RR@10", "P@5")


@dataclass
class Entry:
    name: str  # the preset's name, or "try N"
    instruction: str
    source: str  # "preset" or "try"
    last_used: str = ""
    uses: int = 0
    means: dict[str, float] = field(default_factory=dict)  # filled by `score_entries`


def board_entries(presets: PresetStore, tries: TryLog) -> list[Entry]:
    """Presets, then tries whose text is not a preset's, most recently used first.

    A try is named by the order of first use ("try 1" is the first instruction tried that is
    not a preset): tries.yaml lists tries in that order (a new one is appended), so a try keeps
    its name however often it is used again, and from one opening of the board to the next."""
    entries = [Entry(name, text, "preset") for name, text in presets.presets.items()]
    by_text = {e.instruction: e for e in entries}
    tried: list[Entry] = []
    for t in tries.tries:  # in order of first use
        if t.instruction in by_text:
            by_text[t.instruction].last_used, by_text[t.instruction].uses = t.last_used, t.uses
            continue
        tried.append(Entry(f"try {len(tried) + 1}", t.instruction, "try", t.last_used, t.uses))
    return entries + sorted(tried, key=lambda e: e.last_used, reverse=True)  # stable: ties keep first-use order


Labels = LabelStore | Mapping[str, Mapping[str, Label]]  # a store, or the labels metrics count (label_sources)


def labeled_queries(labels: Labels, query_set: QuerySet | None = None) -> tuple[list[tuple[str, str]], dict[str, dict[str, int]]]:
    """(query id, text) of every labeled query, and their qrels; the ids are the query set's
    (an imported id as it came in) when one is given, else `query_id(text)`. `labels`: a
    store (all its labels) or query text → doc → label (e.g. `labels_for_metrics`' view)."""
    id_of = query_set.id_of if query_set is not None else query_id
    by_query = labels.queries if isinstance(labels, LabelStore) else labels
    queries = [(id_of(q), q) for q, ls in by_query.items() if ls]
    qrels = {id_of(q): {d: lab.grade for d, lab in ls.items()} for q, ls in by_query.items() if ls}
    return queries, qrels


def score_entries(
    index: Index,
    reranker: Reranker,
    labels: Labels,
    entries: list[Entry],
    *,
    rerank_depth: int,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: Cancel = None,
    hits_of: Callable[[str, str, int], list] | None = None,
) -> dict[str, float]:
    """Fill each entry's mean metrics over the labeled queries (score cache first, model for
    the rest); return the recall stage's means for reference (BM25's, or `hits_of`'s: the
    app's current recall source). Entries are sorted best first by nDCG@10."""
    queries, qrels = labeled_queries(labels)
    if not queries:
        return {}
    systems = [(e.name, e.instruction) for e in entries]
    results = evaluate(
        index, queries, qrels, systems, reranker=reranker, metrics=list(BOARD_METRICS),
        depth=max(100, rerank_depth), rerank_depth=rerank_depth, progress=progress, cancel=cancel, hits_of=hits_of,
    )
    for entry, system in zip(entries, results[1:]):
        entry.means = system.means()
    entries.sort(key=lambda e: -e.means.get("nDCG@10", 0.0))
    return results[0].means()


def bm25_means(index: Index, labels: Labels, *, depth: int = 100, hits_of: Callable[[str, str, int], list] | None = None) -> dict[str, float]:
    """BM25's mean board metrics over the labeled queries, without a reranker ({}: none
    labeled). The same numbers as the BM25 row of `score_entries`."""
    queries, qrels = labeled_queries(labels)
    if not queries:
        return {}
    results = evaluate(index, queries, qrels, [], reranker=None, metrics=list(BOARD_METRICS), depth=depth, hits_of=hits_of)
    return results[0].means()
