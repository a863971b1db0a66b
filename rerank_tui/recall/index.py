"""A searchable BM25 index over passages: `search(query, k)` → ranked hits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.counting import PARALLEL_ABOVE, count_passages
from rerank_tui.recall.engines import BM25Params, Bm25sEngine, Engine, build_engine
from rerank_tui.recall.hit import Hit, index_text, passage_ids  # noqa: F401 - re-exported
from rerank_tui.recall.tokenize import Tokenizer


class Index:
    def __init__(
        self,
        passages: Sequence[Passage],
        engine: Engine,
        tokenizer: Tokenizer,
        params: BM25Params,
    ) -> None:
        self.passages = passages
        self.engine = engine
        self.tokenizer = tokenizer
        self.params = params

    @classmethod
    def build(
        cls,
        passages: Sequence[Passage],
        *,
        engine: str = "bm25s",
        params: BM25Params = BM25Params(),
        tokenizer: Tokenizer | None = None,
        progress=None,
        parallel_above: int | None = PARALLEL_ABOVE,
    ) -> Index:
        """Tokenize and weight `passages`; large corpora are tokenized in worker processes
        (see `counting`; `parallel_above` passages, or never with None)."""
        tokenizer = tokenizer or Tokenizer()
        total = len(passages)
        if engine == "bm25s":
            postings = count_passages(
                passages, tokenizer, parallel_above=total if parallel_above is None else parallel_above, progress=progress
            )
            if progress is not None:
                progress(total, total, "building BM25 matrix")
            return cls(passages, Bm25sEngine.from_postings(postings, params), tokenizer, params)
        tokens = []
        for i, p in enumerate(passages):
            tokens.append(tokenizer.tokenize(index_text(p)))
            if progress is not None and i % 2000 == 0:
                progress(i, total, "tokenizing")
        if progress is not None:
            progress(total, total, "building BM25 matrix")
        return cls(passages, build_engine(engine, tokens, params), tokenizer, params)

    def __len__(self) -> int:
        return len(self.passages)

    def scores(self, query: str) -> np.ndarray:
        return self.engine.scores(self.tokenizer.tokenize(query))

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The k best passages that share at least one term with the query, best first.

        Ties are broken by passage order, so results are deterministic.
        """
        if k <= 0 or not self.passages:
            return []
        scores = self.scores(query)
        candidates = top_candidates(scores, k)
        order = np.lexsort((candidates, -scores[candidates]))[:k]
        top = candidates[order]
        passages = self.passages
        return [
            Hit(rank=r, score=score, index=i, passage=passages[i])
            for r, (i, score) in enumerate(zip(top.tolist(), scores[top].tolist()), start=1)
        ]


def top_candidates(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of every passage scoring > 0 and at least the k-th best score (ties included).

    Most passages share some common term with a query, so selecting among all matches
    (argpartition over tens of thousands) would cost more than scoring. Instead: a threshold
    starting at half the best score, halved until at least k passages reach it (one vectorized
    comparison each), then the exact selection among those few.
    """
    best = float(scores.max(initial=0.0))
    threshold = best * 0.5
    candidates = np.zeros(0, dtype=np.intp)
    for _ in range(12):
        if threshold <= 0:
            break
        candidates = np.flatnonzero(scores >= threshold)
        if candidates.size >= k:
            break
        threshold *= 0.5
    else:
        threshold = 0.0
    if threshold <= 0:
        candidates = np.flatnonzero(scores > 0)
    if candidates.size > k:
        matched = scores[candidates]
        kth = matched[np.argpartition(matched, candidates.size - k)[candidates.size - k :]].min()
        candidates = candidates[matched >= kth]
    return candidates
