"""Dense and hybrid recall as `Hit`s: the embed layer's tie between vectors and recall.

    vectors = embed_corpus(passages, embedder, corpus=source)       # cached, resumable
    dense = DenseRecall(embedder, passages, vectors)                 # exact, or approximate when big
    dense.search(query, k=100, instruction=None)                     # [Hit], best first
    fuse_hits([bm25.search(query, 100), dense.search(query, 100)], method="rrf", k=60)
    fuse_hits([...], method="linear", alpha=0.5)                     # alpha: weight on dense

`Hit.index` is the passage's position in `passages`, as for BM25, so the two fuse by it.
Search is exact up to `approximate_above` rows (default `DEFAULT_APPROXIMATE_ABOVE`; 0 or None:
always exact), and above it goes through an approximate index whose candidates are re-scored
exactly (`recall.approximate`), kept in the cache beside the vectors when given `CorpusVectors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rerank_tui.recall.approximate import DEFAULT_APPROXIMATE_ABOVE
from rerank_tui.recall.fusion import DEFAULT_RRF_K, FUSION_METHODS, linear, rrf  # noqa: F401 - FUSION_METHODS re-exported
from rerank_tui.recall.hit import Hit

from .base import Cancel
from .vectors import CorpusVectors

if TYPE_CHECKING:
    from rerank_tui.corpus.passage import Passage



class DenseRecall:
    """`search(query, k)` over the vectors of `passages` (row i is passage i)."""

    vectors: CorpusVectors  # set by session.recall_sources.dense_recall, for reports

    def __init__(self, embedder, passages: Sequence, matrix: np.ndarray | CorpusVectors, *,
                 approximate_above: int | None = DEFAULT_APPROXIMATE_ABOVE, cancel: Cancel = None):
        """`matrix`: the passages' vectors, as `embed_corpus` returns them (an approximate index
        is then read from, or stored in, the cache beside them) or a bare n × dims matrix (one
        is built in memory). `cancel` can stop the building of an approximate index."""
        vectors = matrix if isinstance(matrix, CorpusVectors) else CorpusVectors(matrix, 0, 0, 0.0)
        if len(passages) != vectors.matrix.shape[0]:
            raise ValueError(f"{len(passages)} passages for {vectors.matrix.shape[0]} vectors")
        self.embedder = embedder
        self.passages = passages
        self.index = vectors.index(approximate_above=approximate_above, cancel=cancel)

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, query: str, k: int = 10, *, instruction: str | None = None, cancel: Cancel = None) -> list[Hit]:
        """The k passages nearest to the query, best first (score: cosine); ties by passage order."""
        if k <= 0 or not self.passages:
            return []
        vector = self.embedder.embed_queries([query], instruction, cancel=cancel)[0]
        return self.search_vector(vector, k)

    def search_vector(self, vector: np.ndarray, k: int = 10) -> list[Hit]:
        return [
            Hit(rank=r, score=score, index=row, passage=self.passages[row])
            for r, (row, score) in enumerate(self.index.search(vector, k), start=1)
        ]


def fuse_hits(
    runs: Sequence[Sequence[Hit]],
    *,
    method: str = "rrf",
    k: float = DEFAULT_RRF_K,
    alpha: float = 0.5,
    limit: int | None = None,
) -> list[Hit]:
    """One ranking from several runs of hits over the same passages (by `Hit.index`):
    "rrf" (`Σ 1/(k + rank)`) or "linear" (min-max normalised scores, `alpha` on the second
    run, the dense one). Scores of the result are the fused scores."""
    passages: dict[int, Passage] = {}
    pairs = []
    for run in runs:
        pairs.append([(h.index, h.score) for h in run])
        for h in run:
            passages.setdefault(h.index, h.passage)
    if method == "rrf":
        fused = rrf(pairs, k, limit=limit)
    elif method == "linear":
        fused = linear(pairs, alpha, limit=limit)
    else:
        raise ValueError(f"fusion method {method!r}: use one of {', '.join(FUSION_METHODS)}")
    return [Hit(rank=r, score=score, index=i, passage=passages[i]) for r, (i, score) in enumerate(fused, start=1)]
