"""BM25 scoring engines behind one small interface: tokens in, a score per passage out.

`bm25s` (default) precomputes a sparse term × passage score matrix, so a query costs a few
array additions. `rank-bm25` scores in pure Python per query; it stays selectable and is the
parity oracle in the tests.

Scoring variants (`method`):
- `lucene` (default, as Lucene/Anserini): idf = ln(1 + (N - df + 0.5) / (df + 0.5)), always > 0.
- `robertson`: idf = ln((N - df + 0.5) / (df + 0.5)), negative for terms in over half the
  passages. bm25s clamps those to 0; rank-bm25's `BM25Okapi` replaces them with
  `epsilon × mean idf` (a small positive floor), so the two engines rank differently only
  where such a term decides the order.
For `lucene` the rank-bm25 engine overrides `BM25Okapi`'s idf with the Lucene formula, so both
engines compute the same function (term-frequency parts differ only by the constant
`k1 + 1` factor, which does not change ranking).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Protocol

import numpy as np

from rerank_tui.recall.params import ENGINES, METHODS, BM25Params  # noqa: F401 - re-exported


class Engine(Protocol):
    name: str

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """One float score per passage, in index order; 0 where no query term occurs."""

    def save(self, directory: Path) -> None: ...


class Bm25sEngine:
    name = "bm25s"

    def __init__(self, model) -> None:
        self._model = model
        self._vocab: dict[str, int] = model.vocab_dict

    @classmethod
    def build(cls, corpus_tokens: list[list[str]], params: BM25Params) -> Bm25sEngine:
        import bm25s

        model = bm25s.BM25(k1=params.k1, b=params.b, method=params.method)
        model.index(corpus_tokens, show_progress=False)
        return cls(model)

    @classmethod
    def load(cls, directory: Path) -> Bm25sEngine:
        import bm25s

        return cls(bm25s.BM25.load(str(directory), mmap=True, show_progress=False))

    def save(self, directory: Path) -> None:
        self._model.save(str(directory), show_progress=False)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        vocab = self._vocab
        ids = [vocab[t] for t in query_tokens if t in vocab]
        n = self._model.scores["num_docs"]
        if not ids:
            return np.zeros(n, dtype=np.float64)
        s = self._model.scores
        data, indices, indptr = s["data"], s["indices"], s["indptr"]
        # Gather each query term's column of precomputed scores and sum per passage in one
        # C loop (np.bincount): about twice as fast as repeated fancy-index additions.
        # A repeated query term counts once per occurrence, as in Lucene's sum over terms.
        spans = [(indptr[t], indptr[t + 1]) for t in ids]
        rows = np.concatenate([indices[a:b] for a, b in spans])
        weights = np.concatenate([data[a:b] for a, b in spans])
        return np.bincount(rows, weights=weights, minlength=n)


class RankBm25Engine:
    """rank-bm25's BM25Okapi (robertson) or the same class with Lucene's idf (lucene)."""

    name = "rank-bm25"

    def __init__(self, model) -> None:
        self._model = model

    @classmethod
    def build(cls, corpus_tokens: list[list[str]], params: BM25Params) -> RankBm25Engine:
        from rank_bm25 import BM25Okapi

        if params.method == "lucene":

            class LuceneIdfBM25(BM25Okapi):
                def _calc_idf(self, nd):
                    n = self.corpus_size
                    self.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in nd.items()}

            return cls(LuceneIdfBM25(corpus_tokens, k1=params.k1, b=params.b))
        return cls(BM25Okapi(corpus_tokens, k1=params.k1, b=params.b))

    def save(self, directory: Path) -> None:
        # rank-bm25 has no persistence; it is rebuilt from the cached passages on open.
        (directory / "rank_bm25.json").write_text(json.dumps({"persisted": False}))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        if not query_tokens:
            return np.zeros(self._model.corpus_size, dtype=np.float64)
        scores = np.asarray(self._model.get_scores(query_tokens), dtype=np.float64)
        # rank-bm25 divides 0 by 0 for an empty passage when b = 1: such a passage matches nothing.
        return np.nan_to_num(scores, nan=0.0)


def build_engine(name: str, corpus_tokens: list[list[str]], params: BM25Params) -> Engine:
    if name == "bm25s":
        return Bm25sEngine.build(corpus_tokens, params)
    if name == "rank-bm25":
        return RankBm25Engine.build(corpus_tokens, params)
    raise ValueError(f"unknown BM25 engine {name!r}; choose from {', '.join(ENGINES)}")
