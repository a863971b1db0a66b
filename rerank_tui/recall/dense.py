"""Exact dense search: the best rows of a (memory-mapped) matrix for one query vector.

`DenseIndex(matrix, ids).search(query_vector, k)` → `[(row, score)]`, best first. The score
is the dot product, which is the cosine for the unit vectors the embed layer stores. Search
is exact (one matrix-vector product over every row; numpy streams a memory-mapped matrix
from the page cache), then `argpartition` keeps the k best without sorting the rest. Ties are
broken by row order, so results are deterministic. Knows nothing of models: vectors in,
rows out; the embed layer turns a query into its vector.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class DenseIndex:
    def __init__(self, matrix: np.ndarray, ids: Sequence | None = None):
        """`matrix`: n × dims float32 (a `np.memmap` is used in place, never copied);
        `ids`: optional labels of the rows (`id_of(row)`)."""
        matrix = np.asarray(matrix) if not isinstance(matrix, np.ndarray) else matrix
        if matrix.ndim != 2:
            raise ValueError(f"a dense index needs an n × dims matrix, not shape {matrix.shape}")
        if ids is not None and len(ids) != matrix.shape[0]:
            raise ValueError(f"{len(ids)} ids for {matrix.shape[0]} rows")
        self.matrix = matrix
        self.ids = ids

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def dims(self) -> int:
        return int(self.matrix.shape[1])

    def id_of(self, row: int):
        return row if self.ids is None else self.ids[row]

    def scores(self, query_vector) -> np.ndarray:
        """The score of every row (float32, length n)."""
        q = query_vector_of(query_vector, self.dims)
        if len(self) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.matrix @ q, dtype=np.float32)

    def search(self, query_vector, k: int = 10) -> list[tuple[int, float]]:
        """The k best rows as (row, score), best first; equal scores keep row order."""
        scores = self.scores(query_vector)
        return top_k(scores, k)


def query_vector_of(query_vector, dims: int) -> np.ndarray:
    """The query as a contiguous float32 vector of `dims` finite values (ValueError if not)."""
    q = np.ascontiguousarray(np.asarray(query_vector, dtype=np.float32).reshape(-1))
    if q.shape[0] != dims:
        raise ValueError(f"query vector has {q.shape[0]} dimensions, the index {dims}")
    if not np.isfinite(q).all():
        raise ValueError("query vector has NaN or infinite values")
    return q


def top_k(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(index, score) of the k largest scores, best first, ties by index. NaN sorts last."""
    n = int(scores.shape[0])
    if k <= 0 or n == 0:
        return []
    s = np.where(np.isnan(scores), -np.inf, scores)
    if k < n:
        # Keep every row scoring at least the k-th best (ties at the boundary included), then
        # order only those.
        kth = s[np.argpartition(-s, k - 1)[k - 1]]
        candidates = np.flatnonzero(s >= kth)
    else:
        candidates = np.arange(n)
    order = candidates[np.lexsort((candidates, -s[candidates]))][:k]
    return [(int(i), float(scores[i])) for i in order]
