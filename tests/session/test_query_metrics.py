import math

import pytest

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.index import Hit
from rerank_tui.session.labels import Label
from rerank_tui.session.query_metrics import query_metrics
from rerank_tui.session.ranking import RerankedHit, run_scores


def hits(*ids):
    return [Hit(rank=i, score=10.0 - i, index=i, passage=Passage(pid, pid, "", "t")) for i, pid in enumerate(ids, start=1)]


def test_no_labels_no_metrics():
    assert query_metrics({}, hits("a"), None) is None


def test_bm25_and_reranked_values():
    bm25 = hits("b", "a", "c")
    labels = {"a": Label("a", 3), "c": Label("c", 1)}
    reranked = [RerankedHit(bm25[1], 0.9, 1), RerankedHit(bm25[0], 0.5, 2)]  # a, b; c not reranked
    m = query_metrics(labels, bm25, reranked)
    assert m.labeled == 2
    assert m.bm25["RR@10"] == pytest.approx(0.5)
    assert m.reranked["RR@10"] == pytest.approx(1.0)
    # nDCG@10 of [a, b, c] with gains 3 (rank 1) and 1 (rank 3), ideal [a, c]: trec_eval's formula.
    dcg = 3 / math.log2(2) + 1 / math.log2(4)
    ideal = 3 / math.log2(2) + 1 / math.log2(3)
    assert m.reranked["nDCG@10"] == pytest.approx(dcg / ideal, abs=1e-6)


def test_reranked_run_puts_the_head_first_then_bm25():
    bm25 = hits("b", "a", "c", "d")
    run = run_scores([RerankedHit(bm25[2], 0.9, 1), RerankedHit(bm25[0], 0.1, 2)], bm25)
    ordered = [d for d, _ in sorted(run, key=lambda x: -x[1])]
    assert ordered == ["c", "b", "a", "d"]


def test_run_scores_keep_the_order_with_unscored_passages_below_the_head():
    bm25 = hits("a", "b", "c", "d")
    ranked = [RerankedHit(bm25[1], 0.7, 1), RerankedHit(bm25[0], 0.2, 2), RerankedHit(bm25[2], None, 3)]
    run = run_scores(ranked, bm25)
    assert [d for d, _ in run] == ["b", "a", "c", "d"]
    scores = [s for _, s in run]
    assert scores[:2] == [0.7, 0.2] and all(x > y for x, y in zip(scores, scores[1:]))


def test_score_text_shows_unscored_as_a_dash():
    from rerank_tui.session.ranking import score_text

    assert score_text(0.91234) == "0.912" and score_text(None) == "–" and score_text(0.5, "6.3f") == " 0.500"
