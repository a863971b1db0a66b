"""Recall sources, as one function each: `(query id, text, k) → hits`, best first.

- "bm25": the index's BM25 (`Index.search`);
- "dense": the embedder's nearest passages (exact cosine over the corpus vectors, which
  `embed_corpus` keeps in the cache and re-embeds only where a passage changed);
- "hybrid": BM25 and dense fused, by reciprocal rank fusion (`rrf`, k = 60) or a weighted sum
  of min-max normalised scores (`linear`, alpha on dense), over each one's top
  `max(k, FUSION_DEPTH)`.
What the embedder reads of a passage is what BM25 indexes and the reranker reads: the title, a
newline, the text (`embed.vectors.passage_texts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rerank_tui.recall.fusion import FUSION_METHODS
from rerank_tui.recall.params import DEFAULT_APPROXIMATE_ABOVE
from rerank_tui.recall.hit import Hit

if TYPE_CHECKING:
    from rerank_tui.embed.search import DenseRecall
    from rerank_tui.recall.index import Index

RECALL_KINDS = ("bm25", "dense", "hybrid")
FUSION_DEPTH = 100  # each side's depth before fusing

HitsOf = Callable[[str, str, int], list[Hit]]


class DenseSearch(Protocol):
    """What `hits_function` reads of dense recall: a DenseRecall, or one that remembers query vectors."""

    def search(self, query: str, k: int = 10, /, *, instruction: str | None = None) -> list[Hit]: ...


@dataclass(frozen=True)
class Fusion:
    method: str = "rrf"
    rrf_k: float = 60.0
    alpha: float = 0.5

    def __post_init__(self) -> None:
        if self.method not in FUSION_METHODS:
            raise ValueError(f"fusion {self.method!r}: use one of {', '.join(FUSION_METHODS)}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"--alpha must be between 0 and 1, not {self.alpha}")
        if self.rrf_k <= 0:
            raise ValueError(f"--rrf-k must be positive, not {self.rrf_k}")

    def describe(self) -> str:
        return f"rrf k={self.rrf_k:g}" if self.method == "rrf" else f"linear alpha={self.alpha:g}"


def dense_recall(
    index: Index, embedder, *, corpus: str, progress=None, cancel=None,
    approximate_above: int | None = DEFAULT_APPROXIMATE_ABOVE,
) -> DenseRecall:
    """The corpus's vectors (cached; only new or changed passages are embedded) behind a search:
    exact, or with more passages than `approximate_above` (0 or None: always exact) an
    approximate index kept in the cache beside the vectors (built on first use)."""
    from rerank_tui.embed.search import DenseRecall
    from rerank_tui.embed.vectors import embed_corpus

    vectors = embed_corpus(index.passages, embedder, corpus=corpus, progress=progress, cancel=cancel)
    dense = DenseRecall(embedder, index.passages, vectors, approximate_above=approximate_above, cancel=cancel)
    dense.vectors = vectors  # what was reused and what embedded, for reports
    return dense


def hits_function(
    kind: str, index: Index, dense: DenseSearch | None = None, *, instruction: str | None = None, fusion: Fusion = Fusion()
) -> HitsOf:
    """The `(query id, text, k) → hits` of a recall kind (dense and hybrid need `dense`)."""
    if kind == "bm25":
        return lambda qid, text, k: index.search(text, k)
    if dense is None:
        raise ValueError(f"{kind} recall needs an embedder (--embedder MODEL)")
    if kind == "dense":
        return lambda qid, text, k: dense.search(text, k, instruction=instruction)
    if kind == "hybrid":

        from rerank_tui.embed.search import fuse_hits

        def hybrid(qid: str, text: str, k: int) -> list[Hit]:
            depth = max(k, FUSION_DEPTH)
            runs = [index.search(text, depth), dense.search(text, depth, instruction=instruction)]
            return fuse_hits(runs, method=fusion.method, k=fusion.rrf_k, alpha=fusion.alpha, limit=k)

        return hybrid
    raise ValueError(f"recall {kind!r}: use one of {', '.join(RECALL_KINDS)}")
