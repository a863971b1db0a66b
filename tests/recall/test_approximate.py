"""The approximate index agrees with exact search, scores exactly, and round-trips a file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rerank_tui.recall.approximate import (
    MIN_CANDIDATES,
    ApproximateIndex,
    default_nlist,
    use_approximate,
)
from rerank_tui.recall.dense import DenseIndex

REPO = Path(__file__).resolve().parents[2]


def clustered(n: int, d: int, clusters: int, *, seed: int, spread: float = 1.0) -> np.ndarray:
    """Unit vectors around `clusters` random unit centres (fixed by `clusters` and `d`)."""
    centres = np.random.default_rng(1000 + clusters).standard_normal((clusters, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    x = centres[rng.integers(0, clusters, n)] + rng.standard_normal((n, d)) * (spread / np.sqrt(d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def matrix():
    return clustered(6000, 32, 40, seed=1)


@pytest.fixture(scope="module")
def approximate(matrix):
    return ApproximateIndex.build(matrix, seed=0)


def test_agrees_with_exact_and_scores_are_exact_dot_products(matrix, approximate):
    assert approximate.built and approximate.nlist > 1 and len(approximate) == 6000 and approximate.dims == 32
    exact = DenseIndex(matrix)
    found = 0
    for q in clustered(30, 32, 40, seed=2):
        got = approximate.search(q, 10)
        assert len(got) == 10
        rows = [r for r, _ in got]
        assert len(set(rows)) == 10
        assert [s for _, s in got] == pytest.approx([float(matrix[r] @ q) for r in rows], abs=1e-6)
        assert all(a[1] >= b[1] for a, b in zip(got, got[1:]))
        found += len(set(rows) & {r for r, _ in exact.search(q, 10)})
    assert found / (30 * 10) >= 0.95


def test_ties_keep_row_order_and_ids_label_rows():
    base = clustered(4, 16, 4, seed=3)
    matrix = np.repeat(base, 100, axis=0)  # 400 rows: four vectors, a hundred copies each
    index = ApproximateIndex.build(matrix, ids=[f"p{i}" for i in range(400)])
    got = index.search(base[1], 5)
    assert [r for r, _ in got] == [100, 101, 102, 103, 104]
    assert index.id_of(got[0][0]) == "p100"


def test_k_larger_than_n_zero_and_empty(matrix):
    small = ApproximateIndex.build(matrix[:300])
    q = matrix[7]
    assert MIN_CANDIDATES < 300  # k = 10 goes through the lists, k = 500 covers every row
    assert small.search(q, 10)[0][0] == 7
    everything = small.search(q, 500)
    assert len(everything) == 300 and everything == DenseIndex(matrix[:300]).search(q, 500)
    assert small.search(q, 0) == []
    empty = ApproximateIndex.build(np.zeros((0, 8), np.float32))
    assert len(empty) == 0 and empty.search(np.ones(8), 5) == []


def test_bad_queries_are_refused(approximate):
    with pytest.raises(ValueError, match="dimensions"):
        approximate.search(np.ones(5), 3)
    with pytest.raises(ValueError, match="NaN"):
        approximate.search(np.full(32, np.nan), 3)


def test_written_and_read_back_it_answers_the_same(tmp_path, matrix, approximate):
    path = tmp_path / "index.faiss"
    with open(path, "wb") as f:
        approximate.write(f)
    mapped = np.lib.format.open_memmap(tmp_path / "m.npy", mode="w+", dtype=np.float32, shape=matrix.shape)
    mapped[:] = matrix
    again = ApproximateIndex.read(path, mapped)
    assert not again.built and again.matrix is mapped and again.nlist == approximate.nlist
    for q in clustered(5, 32, 40, seed=4):
        assert again.search(q, 20) == approximate.search(q, 20)


def test_a_file_that_is_not_this_matrix_index_is_refused(tmp_path, matrix, approximate):
    garbage = tmp_path / "garbage.faiss"
    garbage.write_bytes(b"not an index" * 100)
    with pytest.raises(ValueError):
        ApproximateIndex.read(garbage, matrix)
    buffer = io.BytesIO()
    approximate.write(buffer)
    truncated = tmp_path / "truncated.faiss"
    truncated.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ValueError):
        ApproximateIndex.read(truncated, matrix)
    whole = tmp_path / "whole.faiss"
    whole.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="matrix"):
        ApproximateIndex.read(whole, matrix[:100])  # an index of another size


def test_a_build_can_be_stopped_between_batches(matrix):
    class Stop(Exception):
        pass

    seen = []

    def on_batch(done, total):
        seen.append((done, total))
        raise Stop

    with pytest.raises(Stop):
        ApproximateIndex.build(matrix, on_batch=on_batch)
    assert seen == [(0, 6000)]


def test_the_threshold_and_the_list_count():
    assert not use_approximate(10, None) and not use_approximate(10, 0)
    assert not use_approximate(10, 10) and use_approximate(11, 10)
    assert default_nlist(1_000_000) == 2000 and default_nlist(400) == 10 and default_nlist(0) == 1


def test_faiss_is_imported_only_when_an_index_is_built_or_read():
    code = (
        "import sys, rerank_tui.recall.approximate, rerank_tui.embed, rerank_tui.session.recall_sources;"
        "print('faiss' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=os.environ | {"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
