"""Exact dense search equals a brute-force sort; ties keep row order."""

from __future__ import annotations

import numpy as np
import pytest

from rerank_tui.recall.dense import DenseIndex, top_k


def unit_rows(n: int, d: int, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


@pytest.mark.parametrize("n,k", [(1, 1), (50, 10), (1000, 1), (1000, 37), (300, 300), (20, 100)])
def test_search_equals_brute_force_argsort(n, k):
    matrix = unit_rows(n, 24, seed=n)
    index = DenseIndex(matrix)
    for q in unit_rows(5, 24, seed=n + 1):
        got = index.search(q, k)
        scores = matrix @ q
        expected = np.argsort(-scores, kind="stable")[:k]
        assert [row for row, _ in got] == expected.tolist()
        assert [s for _, s in got] == pytest.approx(scores[expected].tolist(), abs=1e-6)
        assert all(a[1] >= b[1] for a, b in zip(got, got[1:]))


def test_search_over_a_memory_mapped_matrix(tmp_path):
    matrix = unit_rows(500, 16, seed=3)
    np.save(tmp_path / "m.npy", matrix)
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    index = DenseIndex(mapped, ids=[f"p{i}" for i in range(500)])
    assert index.matrix is mapped  # used in place, not copied
    q = unit_rows(1, 16, seed=4)[0]
    got = index.search(q, 5)
    assert [r for r, _ in got] == np.argsort(-(matrix @ q), kind="stable")[:5].tolist()
    assert index.id_of(got[0][0]) == f"p{got[0][0]}"


def test_ties_are_broken_by_row_order_at_the_boundary_too():
    base = unit_rows(3, 8, seed=5)
    # rows 0..9: copies of three vectors, so many exact ties
    matrix = np.stack([base[i % 3] for i in range(10)])
    q = base[1]
    got = DenseIndex(matrix).search(q, 4)
    rows = [r for r, _ in got]
    assert rows[:3] == [1, 4, 7]  # all copies of base[1], in row order
    scores = matrix @ q
    expected = np.argsort(-scores, kind="stable")[:4].tolist()
    assert rows == expected
    assert DenseIndex(matrix).search(q, 4) == got  # deterministic


def test_edge_cases():
    assert DenseIndex(np.zeros((0, 4), np.float32)).search(np.ones(4), 3) == []
    index = DenseIndex(unit_rows(5, 4, seed=0))
    assert index.search(np.ones(4), 0) == []
    assert len(index.search(np.ones(4), 99)) == 5
    with pytest.raises(ValueError, match="dimensions"):
        index.search(np.ones(3), 1)
    with pytest.raises(ValueError, match="NaN"):
        index.search(np.array([np.nan, 0, 0, 0]), 1)
    with pytest.raises(ValueError):
        DenseIndex(np.ones(4))
    with pytest.raises(ValueError, match="ids"):
        DenseIndex(np.ones((2, 4)), ids=["a"])


def test_top_k_puts_nan_last():
    scores = np.array([0.5, np.nan, 0.9, 0.5], dtype=np.float32)
    assert [i for i, _ in top_k(scores, 4)] == [2, 0, 3, 1]
    assert [i for i, _ in top_k(scores, 2)] == [2, 0]
