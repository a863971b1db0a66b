"""BM25 scoring engines behind one small interface: tokens in, a score per passage out.

`bm25s` (default) precomputes a sparse term × passage matrix of bm25s's weights (its own
numpy/scipy matrix, built from term counts so it can be updated; the bm25s library is the
parity oracle in the tests), so a query costs a few array additions. `rank-bm25` scores in pure Python per query; it stays selectable and is the
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
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from itertools import chain

import numpy as np
import scipy.sparse as sp

from rerank_tui.recall.postings import Chunk, Postings

from rerank_tui.recall.params import ENGINES, METHODS, BM25Params  # noqa: F401 - re-exported


class Engine(Protocol):
    name: str

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """One float score per passage, in index order; 0 where no query term occurs."""

    def save(self, directory: Path) -> None: ...


class Bm25sEngine:
    """bm25s's scores from this project's own sparse matrix (the name stays for callers).

    Weights are computed exactly as `bm25s.BM25.index` computes them (idf in float64 and
    stored as float32, tf part `tf / (tf + k1 * (1 - b + b * dl / avgdl))` in float64, the
    product stored as float32; robertson's negative idf clamped to 0), so scores equal the
    bm25s library's bit for bit (`tests/recall/test_engines.py` checks it against bm25s).
    Unlike bm25s it is built from `Postings` (term counts), which it keeps: an incremental
    refresh splices passages into the counts and recomputes every weight exactly.

    Layout: term-major CSC (`indptr` per term into `docs`/`weights`), so a query gathers its
    terms' slices and sums them per passage in one `np.bincount`.
    """

    name = "bm25s"

    def __init__(self, postings: Postings, params: BM25Params, indptr, docs, weights) -> None:
        self.postings = postings
        self.params = params
        self._vocab = postings.vocab_ids()
        self._indptr, self._docs, self._weights = indptr, docs, weights
        self.num_docs = postings.n_docs

    @property
    def vocab(self) -> dict[str, int]:
        return self._vocab

    @classmethod
    def build(cls, corpus_tokens: list[list[str]], params: BM25Params) -> Bm25sEngine:
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus_tokens]
        lengths = np.array([len(d) for d in ids], dtype=np.int32)
        flat = np.fromiter(chain.from_iterable(ids), np.int32, int(lengths.sum()))
        docs = np.repeat(np.arange(len(ids), dtype=np.int32), lengths)
        counts = sp.csr_matrix((np.ones(len(flat), np.int32), (docs, flat)), shape=(len(ids), max(len(vocab), 1)))
        counts.sum_duplicates()
        chunk = Chunk(list(vocab), counts.indptr.astype(np.int64), counts.indices.astype(np.int32), counts.data, lengths)
        return cls.from_postings(Postings.merge([chunk]), params)

    @classmethod
    def from_postings(cls, postings: Postings, params: BM25Params) -> Bm25sEngine:
        return cls(postings, params, *bm25s_weights(postings, params))

    @classmethod
    def load(cls, directory: Path, params: BM25Params) -> Bm25sEngine:
        postings = Postings.load(directory)
        indptr = np.load(directory / "term_indptr.npy", mmap_mode="r")
        docs = np.load(directory / "term_docs.npy", mmap_mode="r")
        weights = np.load(directory / "term_weights.npy", mmap_mode="r")
        if len(indptr) < len(postings.vocab) + 1 or indptr[-1] != len(docs) or len(docs) != len(weights):
            raise ValueError("BM25 matrix is inconsistent")
        return cls(postings, params, indptr, docs, weights)

    def save(self, directory: Path) -> None:
        self.postings.save(directory)
        np.save(directory / "term_indptr.npy", self._indptr)
        np.save(directory / "term_docs.npy", self._docs)
        np.save(directory / "term_weights.npy", self._weights)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        get = self._vocab.get
        ids = [i for i in map(get, query_tokens) if i is not None]
        n = self.num_docs
        if not ids:
            return np.zeros(n, dtype=np.float64)
        indptr, docs, weights = self._indptr, self._docs, self._weights
        if len(ids) == 1:
            a, b = indptr[ids[0]], indptr[ids[0] + 1]
            out = np.zeros(n, dtype=np.float64)
            out[docs[a:b]] = weights[a:b]
            return out
        # Gather each query term's slice of weights and sum per passage in one C loop
        # (np.bincount). A repeated query term counts once per occurrence, as in Lucene.
        spans = [(indptr[t], indptr[t + 1]) for t in ids]
        rows = np.concatenate([docs[a:b] for a, b in spans])
        w = np.concatenate([weights[a:b] for a, b in spans])
        return np.bincount(rows, weights=w, minlength=n)


def bm25s_idf(df: np.ndarray, n_docs: int, method: str) -> np.ndarray:
    """bm25s's idf per term (float32; 0 for a term no passage holds), with Python's math.log."""
    dff = df.astype(np.float64)
    inner = (n_docs - dff + 0.5) / (dff + 0.5)
    if method == "lucene":
        inner = 1 + inner
    else:  # robertson: bm25s clamps the ratio at 1, so idf >= 0
        inner = np.maximum(inner, 1.0)
    idf = np.fromiter(map(math.log, inner.tolist()), np.float64, len(inner)).astype(np.float32)
    idf[df == 0] = 0
    return idf


def bm25s_weights(postings: Postings, params: BM25Params, block: int = 1 << 16):
    """Term-major (indptr, docs, weights) of the BM25 weight of every (term, passage) pair.

    Computed in cache-sized blocks, in bm25s's arithmetic: float32 idf and tf, float64 tf
    part and product, stored as float32.
    """
    n, v = postings.n_docs, len(postings.vocab)
    counts = sp.csr_matrix((postings.tf, postings.terms, postings.indptr), shape=(n, max(v, 1)))
    by_term = counts.tocsc()  # O(nnz) counting transpose; passages ascending within a term
    del counts
    indptr = by_term.indptr.astype(np.int64, copy=False)
    docs = by_term.indices.astype(np.int32, copy=False)
    tf = by_term.data
    del by_term
    df = np.diff(indptr)
    idf = bm25s_idf(df, n, params.method).astype(np.float64)
    total = int(postings.lengths.sum(dtype=np.int64))
    avgdl = total / n if n and total else 1.0
    k1, b = params.k1, params.b
    # bm25s: k1 * ((1 - b) + b * l_d / l_avg), in float64, per passage
    norm = k1 * ((1 - b) + b * postings.lengths.astype(np.float64) / avgdl)
    weights = np.empty(len(docs), dtype=np.float32)

    def fill(start: int, stop: int) -> None:
        term = max(int(np.searchsorted(indptr, start, side="right")) - 1, 0)
        for a in range(start, stop, block):
            z = min(a + block, stop)
            # the terms whose postings overlap [a, z), and how many of theirs lie inside
            last = int(np.searchsorted(indptr, z, side="left"))
            bounds = np.clip(indptr[term : last + 1], a, z)
            term_idf = np.repeat(idf[term:last], np.diff(bounds))
            term = max(last - 1, term)
            t = tf[a:z].astype(np.float64)
            weights[a:z] = term_idf * (t / (norm[docs[a:z]] + t))

    # numpy releases the GIL in these loops: two threads halve the time on large indexes.
    nnz = len(docs)
    if nnz > 4 * block and (os.cpu_count() or 1) > 1:
        half = nnz // 2
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda span: fill(*span), [(0, half), (half, nnz)]))
    else:
        fill(0, nnz)
    return indptr, docs, weights


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


def engine_from_postings(name: str, postings: Postings, params: BM25Params, corpus_tokens=None) -> Engine:
    """An engine over counted passages; rank-bm25 needs the token lists (`corpus_tokens()`)."""
    if name == "bm25s":
        return Bm25sEngine.from_postings(postings, params)
    if name == "rank-bm25":
        return RankBm25Engine.build(corpus_tokens(), params)
    raise ValueError(f"unknown BM25 engine {name!r}; choose from {', '.join(ENGINES)}")


def build_engine(name: str, corpus_tokens: list[list[str]], params: BM25Params) -> Engine:
    if name == "bm25s":
        return Bm25sEngine.build(corpus_tokens, params)
    if name == "rank-bm25":
        return RankBm25Engine.build(corpus_tokens, params)
    raise ValueError(f"unknown BM25 engine {name!r}; choose from {', '.join(ENGINES)}")
