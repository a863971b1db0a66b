"""Reciprocal rank fusion and the weighted sum of normalised scores, checked by hand."""

from __future__ import annotations

import pytest

from rerank_tui.recall.fusion import linear, minmax, rrf


def test_rrf_hand_checked():
    bm25 = [("a", 12.0), ("b", 9.0), ("c", 1.0)]
    dense = [("c", 0.9), ("a", 0.8), ("d", 0.1)]
    fused = dict(rrf([bm25, dense], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert fused["d"] == pytest.approx(1 / 63)
    assert [d for d, _ in rrf([bm25, dense])] == ["a", "c", "b", "d"]  # k = 60 by default


def test_rrf_uses_ranks_not_scores_and_first_places():
    one = [("x", 1000.0), ("y", -5.0), ("x", 3.0)]  # a repeated id counts at its first place
    assert rrf([one], k=0) == [("x", 1.0), ("y", 0.5)]
    assert rrf([one], k=1, limit=1) == [("x", 0.5)]
    assert rrf([]) == [] and rrf([[]]) == []
    with pytest.raises(ValueError):
        rrf([one], k=-1)


def test_rrf_ties_are_deterministic():
    # a is rank 1 in run 0 only, b rank 1 in run 1 only: equal scores, run 0 first
    assert [d for d, _ in rrf([[("a", 1)], [("b", 1)]])] == ["a", "b"]
    assert [d for d, _ in rrf([[("b", 1)], [("a", 1)]])] == ["b", "a"]
    # equal fused scores from different rank pairs: the better best rank first
    runs = [[("p", 1), ("q", 1), ("r", 1)], [("r", 1), ("s", 1), ("p", 1)]]
    fused = rrf(runs)
    assert fused[0][0] in ("p", "r") and fused[0][1] == fused[1][1]
    assert [d for d, _ in fused[:2]] == ["p", "r"]  # both best rank 1: run 0's first
    # the fused score does not depend on the order of the runs (exact summation)
    three = [[("u", 1), ("v", 1), ("w", 1)], [("v", 1), ("w", 1), ("u", 1)], [("w", 1), ("u", 1), ("v", 1)]]
    scores = {d: s for d, s in rrf(three)}
    assert scores["u"] == scores["v"] == scores["w"]
    assert [d for d, _ in rrf(three)] == ["u", "v", "w"]


def test_minmax():
    assert minmax([3.0, 1.0, 2.0]) == [1.0, 0.0, 0.5]
    assert minmax([7.0, 7.0]) == [1.0, 1.0]
    assert minmax([4.0]) == [1.0]
    assert minmax([]) == []
    with pytest.raises(ValueError):
        minmax([1.0, float("nan")])


def test_linear_hand_checked():
    bm25 = [("a", 10.0), ("b", 6.0), ("c", 2.0)]  # → a 1, b 0.5, c 0
    dense = [("c", 0.9), ("d", 0.5), ("a", 0.1)]  # → c 1, d 0.5, a 0
    fused = dict(linear([bm25, dense], alpha=0.25))
    assert fused["a"] == pytest.approx(0.75 * 1 + 0.25 * 0)
    assert fused["b"] == pytest.approx(0.75 * 0.5)
    assert fused["c"] == pytest.approx(0.75 * 0 + 0.25 * 1)
    assert fused["d"] == pytest.approx(0.25 * 0.5)
    assert [d for d, _ in linear([bm25, dense], alpha=0.25)] == ["a", "b", "c", "d"]
    # alpha 0: BM25's order, its last hit (normalised to 0) still before dense-only ids;
    # alpha 1: dense's order
    assert [d for d, _ in linear([bm25, dense], alpha=0.0)] == ["a", "b", "c", "d"]
    assert [d for d, _ in linear([bm25, dense], alpha=1.0)] == ["c", "d", "a", "b"]


def test_linear_ties_and_options():
    # a: 0.5·1 from run 0; b: 0.5·1 from run 1: tie → run 0's rank 1 first
    assert [d for d, _ in linear([[("a", 3.0)], [("b", 0.2)]], alpha=0.5)] == ["a", "b"]
    assert linear([[("a", 3.0)], [("b", 0.2)]], alpha=0.5, limit=1) == [("a", 0.5)]
    weighted = linear([[("a", 2.0), ("b", 1.0)], [("b", 1.0)], [("c", 5.0)]], None, weights=[1, 1, 0.5])
    # tie at 1.0: b is listed by runs of more weight (2 against a's 1)
    assert weighted == [("b", 1.0), ("a", 1.0), ("c", 0.5)]
    with pytest.raises(ValueError):
        linear([[("a", 1.0)]], alpha=0.5)
    with pytest.raises(ValueError):
        linear([[("a", 1.0)], [("a", 1.0)]], alpha=1.5)
    with pytest.raises(ValueError):
        linear([[("a", 1.0)], [("a", 1.0)]], weights=[1.0])
