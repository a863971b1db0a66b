"""Approximate dense search for big corpora: a faiss IVF index over the same unit vectors.

`ApproximateIndex.build(matrix).search(query_vector, k)` → `[(row, score)]`, best first, like
`DenseIndex`. The index (faiss `IVF{nlist},SQ8`, inner product) clusters the rows into
`nlist` lists (k-means on a sample) and keeps an 8-bit code per row: a quarter of the matrix's
size. A query scans the `nprobe` lists whose centroids are nearest, takes the best
`candidates(k)` rows by their codes (more than k: `oversample` × k, at least
`MIN_CANDIDATES`), then scores those rows exactly against the matrix, so every score shown is
the true dot product (the cosine for unit vectors) and the order is the exact order among the
candidates. Ties are broken by row order, as in `DenseIndex`.

Why IVF and not a graph (HNSW): on 2 cores an HNSW graph (faiss's or usearch's) took about
a minute for 100k × 1024 alone and grows faster than linearly, where this IVF index builds 1M ×
1024 in a minute or two; with the exact re-scoring recall@100 against exact search is ≥ 0.98
at a few ms a query (bench/dense.py), and the 8-bit codes keep the file at a quarter of the
matrix.

The index knows nothing of files: `write(file)` streams it into an open binary file and
`read(path, matrix)` loads one (memory-mapped, so a warm reopen reads almost nothing); the
vector store decides where it lives. faiss is imported only when an index is built or read.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np

from .dense import DenseIndex, query_vector_of, top_k
from .params import DEFAULT_APPROXIMATE_ABOVE  # noqa: F401 - re-exported

DEFAULT_NPROBE = 32
DEFAULT_OVERSAMPLE = 4
MIN_CANDIDATES = 256
TRAIN_POINTS_PER_LIST = 40  # faiss warns below 39 training points per centroid
ADD_BATCH = 65_536


def use_approximate(rows: int, approximate_above: int | None) -> bool:
    """Whether a matrix of `rows` rows gets an approximate index: more rows than
    `approximate_above` (0 or None: never, search stays exact).

    The default, 500k rows: exact search reads the whole matrix per query, n × dims × 4 bytes;
    at 500k that is 0.8 GB (384 dims) to 2 GB (1024 dims), tens of ms to ~100 ms on 2 cores,
    past the 20 ms an approximate query is held to, so a 1M corpus is approximate; below it
    exact search stays in the tens of ms, and is exact, with nothing to build or store."""
    if not approximate_above:
        return False
    return rows > int(approximate_above)


def default_nlist(rows: int) -> int:
    """About 2·√rows lists (2,000 at 1M rows), never fewer than `TRAIN_POINTS_PER_LIST` rows a
    list. Building costs rows × lists dot products, so on 2 cores 2·√n builds 1M × 1024 in about
    a minute where the textbook 4·√n takes twice that, for a search that is still a few ms."""
    return max(1, min(int(round(2 * math.sqrt(max(rows, 1)))), rows // TRAIN_POINTS_PER_LIST))


class ApproximateIndex:
    """An IVF index over `matrix` (used in place, never copied) that answers like `DenseIndex`."""

    def __init__(self, matrix: np.ndarray, index, ids: Sequence | None = None, *,
                 nprobe: int = DEFAULT_NPROBE, oversample: int = DEFAULT_OVERSAMPLE):
        self.exact = DenseIndex(matrix, ids)  # validates the matrix; the fallback for tiny searches
        if index.ntotal != len(self.exact) or index.d != self.exact.dims:
            raise ValueError(f"an index of {index.ntotal} × {index.d} for a {len(self.exact)} × {self.exact.dims} matrix")
        self.index = index
        self.built = False  # True for an index built by this process, False for one read from a file
        self.oversample = max(1, int(oversample))
        self.nprobe = nprobe

    # -- building and files ---------------------------------------------------------------------
    @classmethod
    def build(cls, matrix: np.ndarray, ids: Sequence | None = None, *, nlist: int | None = None,
              seed: int = 0, on_batch: Callable[[int, int], None] | None = None, **options) -> ApproximateIndex:
        """Train the lists on a sample of the rows and add every row, in batches of `ADD_BATCH`;
        `on_batch(rows added, rows)` runs before each batch (raising there stops the build)."""
        import faiss

        exact = DenseIndex(matrix, ids)
        n, dims = len(exact), exact.dims
        nlist = default_nlist(n) if nlist is None else max(1, min(int(nlist), max(n, 1)))
        index = faiss.index_factory(dims, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        if n:
            take = min(n, TRAIN_POINTS_PER_LIST * nlist)
            rows = np.sort(np.random.default_rng(seed).choice(n, take, replace=False)) if take < n else slice(None)
            # "IVF…" builds an IndexIVF; faiss's stub types index_factory's result as the base Index.
            ivf = cast("faiss.IndexIVF", index)
            ivf.cp.seed = seed
            ivf.cp.max_points_per_centroid = max(TRAIN_POINTS_PER_LIST, -(-take // nlist))  # no second subsample
            index.train(np.ascontiguousarray(matrix[rows], dtype=np.float32))
            for first in range(0, n, ADD_BATCH):
                if on_batch is not None:
                    on_batch(first, n)
                index.add(np.ascontiguousarray(matrix[first : first + ADD_BATCH], dtype=np.float32))
        built = cls(matrix, index, ids, **options)
        built.built = True
        return built

    def write(self, file) -> None:
        """Stream the index into an open binary file (`file.write`)."""
        import faiss

        # PyCallbackIOWriter exists (swigfaiss) but faiss's __init__.pyi leaves it out.
        faiss.write_index(self.index, faiss.PyCallbackIOWriter(file.write))  # type: ignore[attr-defined]

    @classmethod
    def read(cls, path: str | os.PathLike, matrix: np.ndarray, ids: Sequence | None = None,
             **options) -> ApproximateIndex:
        """The index written to `path` for this matrix (its lists memory-mapped). ValueError
        when the file is not an index of this matrix's shape (truncated, garbage, another size)."""
        import faiss

        try:
            index = faiss.read_index(os.fspath(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        except RuntimeError as e:
            raise ValueError(f"{path}: not a faiss index ({str(e).splitlines()[0][:200]})") from None
        if not isinstance(index, faiss.IndexIVF) or index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError(f"{path}: not an inner-product IVF index")
        return cls(matrix, index, ids, **options)

    # -- searching ------------------------------------------------------------------------------
    @property
    def matrix(self) -> np.ndarray:
        return self.exact.matrix

    @property
    def ids(self):
        return self.exact.ids

    def __len__(self) -> int:
        return len(self.exact)

    @property
    def dims(self) -> int:
        return self.exact.dims

    @property
    def nlist(self) -> int:
        return int(self.index.nlist)

    @property
    def nprobe(self) -> int:
        return int(self.index.nprobe)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        self.index.nprobe = max(1, min(int(value), self.nlist))

    def id_of(self, row: int):
        return self.exact.id_of(row)

    def candidates(self, k: int) -> int:
        """How many rows the lists hand to the exact re-scoring for a top k."""
        return max(k * self.oversample, MIN_CANDIDATES)

    def search(self, query_vector, k: int = 10) -> list[tuple[int, float]]:
        """The k best rows as (row, score), best first; scores are exact dot products."""
        q = query_vector_of(query_vector, self.dims)
        n = len(self)
        if k <= 0 or n == 0:
            return []
        want = self.candidates(k)
        if want >= n:  # the candidates would be (nearly) every row: exact costs no more
            return self.exact.search(q, k)
        _, labels = self.index.search(q.reshape(1, -1), want)
        rows = np.unique(labels[0])  # sorted: row order for ties and for reading the matrix
        rows = rows[(rows >= 0) & (rows < n)]
        if rows.size < k:  # the probed lists hold fewer than k rows: never answer short
            return self.exact.search(q, k)
        scores = np.asarray(self.matrix[rows] @ q, dtype=np.float32)
        return [(int(rows[i]), score) for i, score in top_k(scores, k)]

