"""The judging pool of a query: the union of both lists' top N, so each passage is judged once.

The pool takes the two lists in turns (reranked 1, BM25 1, reranked 2, BM25 2, …), each
passage where it first appears: "next unjudged" walks it, so the passages both systems put
high come first, and a passage already judged in one pane is never asked for in the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rerank_tui.recall.hit import Hit
from rerank_tui.session.ranking import RerankedHit

POOL_DEPTH = 10


@dataclass(frozen=True, slots=True)
class PoolItem:
    hit: Hit
    pane: str  # "rerank" or "bm25": where it is first met
    row: int  # its 0-based row in that pane


def judging_pool(bm25: Sequence[Hit], reranked: Sequence[RerankedHit] | None, depth: int = POOL_DEPTH) -> list[PoolItem]:
    """The union of the two top-`depth` lists, in turns, each passage once."""
    pool: dict[str, PoolItem] = {}
    ranked = list(reranked or [])[:depth]
    recalled = list(bm25)[:depth]
    for i in range(max(len(ranked), len(recalled))):
        if i < len(ranked):
            hit = ranked[i].hit
            pool.setdefault(hit.passage.id, PoolItem(hit, "rerank", i))
        if i < len(recalled):
            hit = recalled[i]
            pool.setdefault(hit.passage.id, PoolItem(hit, "bm25", i))
    return list(pool.values())


def next_unjudged(pool: Sequence[PoolItem], labels: Mapping[str, object], after: str | None = None) -> PoolItem | None:
    """The first unlabeled item of the pool after the passage `after` (from the start when it
    is None or not in the pool), wrapping around; None when the whole pool is judged."""
    start = 0
    ids = [item.hit.passage.id for item in pool]
    if after in ids:
        start = ids.index(after) + 1
    for item in [*pool[start:], *pool[:start]]:
        if item.hit.passage.id not in labels:
            return item
    return None


def unjudged(pool: Sequence[PoolItem], labels: Mapping[str, object]) -> list[Hit]:
    return [item.hit for item in pool if item.hit.passage.id not in labels]
