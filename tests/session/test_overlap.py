import math

import pytest

from rerank_tui.session.overlap import (
    DeltaCounts,
    Overlap,
    compare_per_query,
    delta_counts,
    doc_ids,
    jaccard,
    mean_overlap,
    per_query_overlap,
    rbo,
)


def test_jaccard_over_the_top_k():
    assert jaccard(["x", "y", "z"], ["y", "z", "w"]) == 2 / 4  # {y, z} of {x, y, z, w}
    assert jaccard(["x", "y", "z"], ["y", "z", "w"], k=2) == 1 / 3  # {y} of {x, y, z}
    assert jaccard([], []) == 1.0
    assert jaccard(["x"], []) == 0.0
    assert jaccard(["a", "b"], ["b", "a"]) == 1.0  # a set measure: order does not count


@pytest.mark.parametrize("p", [0.5, 0.9, 0.98])
def test_rbo_of_identical_and_disjoint_lists(p):
    docs = [f"d{i}" for i in range(25)]
    assert rbo(docs, docs, p) == pytest.approx(1.0)
    assert rbo(docs, [f"e{i}" for i in range(25)], p) == 0.0
    assert rbo([], [], p) == 1.0
    assert rbo(docs, [], p) == 0.0


def test_rbo_ext_by_hand_equal_depth():
    # RBO_EXT = X_k/k·p^k + (1−p)/p · Σ X_d/d·p^d, X_d = overlap of the top d.
    # a, b, c against b, a, d with p = 1/2: X_1 = 0, X_2 = 2, X_3 = 2.
    #   Σ = 0·½ + (2/2)·¼ + (2/3)·⅛ = 1/4 + 1/12 = 1/3;  (1−p)/p = 1
    #   tail = (2/3)·⅛ = 1/12  →  1/3 + 1/12 = 5/12
    assert rbo(["a", "b", "c"], ["b", "a", "d"], p=0.5) == pytest.approx(5 / 12)
    # a, b against a, c with p = 0.9: X_1 = 1, X_2 = 1.
    #   Σ = 1·0.9 + (1/2)·0.81 = 1.305;  (1−p)/p = 1/9 → 0.145
    #   tail = (1/2)·0.81 = 0.405  →  0.55
    assert rbo(["a", "b"], ["a", "c"], p=0.9) == pytest.approx(0.55)


def test_rbo_ext_by_hand_uneven_depth():
    # Eq. (32), s = 1 (short list), l = 2: Σ_{d≤l} X_d/d·p^d + Σ_{s<d≤l} X_s(d−s)/(s·d)·p^d, times
    # (1−p)/p, plus ((X_l − X_s)/l + X_s/s)·p^l.
    # [a] against [b, a], p = ½: X_1 = 0, X_2 = 1 (a is in both once b's 2nd item is seen), X_s = 0.
    #   1·(0 + (1/2)·¼ + 0) + ((1 − 0)/2 + 0)·¼ = 1/8 + 1/8 = 1/4
    assert rbo(["a"], ["b", "a"], p=0.5) == pytest.approx(1 / 4)
    assert rbo(["b", "a"], ["a"], p=0.5) == pytest.approx(1 / 4)  # symmetric
    # A prefix of the other ranking: extrapolation assumes it goes on agreeing.
    # [a] against [a, b], p = ½: X_1 = 1, X_2 = 1, X_s = 1:
    #   1·(½ + (1/2)·¼ + 1·1/(1·2)·¼) + (0 + 1)·¼ = ½ + ⅛ + ⅛ + ¼ = 1
    assert rbo(["a"], ["a", "b"], p=0.5) == pytest.approx(1.0)


def test_rbo_is_top_weighted_and_k_truncates():
    base = ["a", "b", "c", "d", "e", "f"]
    swap_top = ["b", "a", "c", "d", "e", "f"]
    swap_bottom = ["a", "b", "c", "d", "f", "e"]
    assert rbo(base, swap_top) < rbo(base, swap_bottom) < 1.0
    assert rbo(base, swap_bottom, k=4) == pytest.approx(1.0)  # the swap is below the top 4
    with pytest.raises(ValueError):
        rbo(base, base, p=1.0)


def test_per_query_overlap_and_means():
    runs_a = {"q1": ["a", "b", "c"], "q2": ["x", "y"], "q3": ["only", "in", "a"]}
    runs_b = {"q1": ["a", "b", "c"], "q2": ["z", "w"]}
    values = per_query_overlap(runs_a, runs_b, k=10, p=0.9)
    assert list(values) == ["q1", "q2"]  # queries both sides have
    assert values["q1"] == (1.0, pytest.approx(1.0))
    assert values["q2"] == Overlap(0.0, 0.0)
    means = mean_overlap(values)
    assert means.jaccard == 0.5 and means.rbo == pytest.approx(0.5)
    assert all(math.isnan(v) for v in mean_overlap({}))
    assert doc_ids({"q": [("a", 2.0), ("b", 1.0)]}) == {"q": ["a", "b"]}


def test_compare_per_query_worst_first_with_counts():
    a = {"q1": 0.5, "q2": 0.8, "q3": 0.3, "q4": 0.6, "only-a": 1.0}
    b = {"q1": 0.9, "q2": 0.2, "q3": 0.3, "q4": 0.5, "only-b": 0.0}
    deltas = compare_per_query(a, b)
    assert [(d.qid, round(d.delta, 9)) for d in deltas] == [("q2", -0.6), ("q4", -0.1), ("q3", 0.0), ("q1", 0.4)]
    assert (deltas[0].a, deltas[0].b) == (0.8, 0.2)
    assert delta_counts(deltas) == DeltaCounts(better=1, worse=2, same=1)
    assert delta_counts(deltas, tolerance=0.2) == DeltaCounts(better=1, worse=1, same=2)
