"""The query set ranked and scored: cache first, then the model; metrics as ir-measures gives them."""

import math

import pytest

from rerank_tui.recall.index import Index
from rerank_tui.rerank import build_reranker
from rerank_tui.rerank.errors import RerankCancelled
from rerank_tui.session.labels import Label
from rerank_tui.session.metrics import per_query
from rerank_tui.session.query_set import QueryEntry
from rerank_tui.session.query_set_scores import rank_query_set, score_rows, sorted_rows
from rerank_tui.session.ranking import rerank_hits, run_scores
from tests.recall.helpers import passages

TEXTS = [
    "dataloader workers hang in jupyter with num_workers",
    "pin memory speeds up dataloader copies to the gpu",
    "worker seeds repeat augmentations in the dataloader",
    "react hooks cleanup runs before the next effect",
    "jupyter kernels restart when memory runs out",
    "gpu memory fragments with many small tensors",
]
ENTRIES = [QueryEntry("1", "dataloader workers"), QueryEntry("2", "gpu memory"), QueryEntry("3", "react effect cleanup")]


@pytest.fixture(scope="module")
def index():
    return Index.build(passages(*TEXTS))


@pytest.fixture
def reranker(tiny_model_dir, tmp_path):
    model = build_reranker("transformers", str(tiny_model_dir), max_length=256, cache=tmp_path / "scores.sqlite")
    yield model
    model.close()


def test_first_pass_is_bm25_and_cache_then_the_model_ranks_the_rest(index, reranker):
    first = list(rank_query_set(index, ENTRIES, reranker=reranker, instruction=None, depth=10, rerank_depth=4))
    assert [r.entry.id for r in first] == ["1", "2", "3", "1", "2", "3"]  # BM25 pass, then the model's
    assert all(r.ranking is None for r in first[:3]) and all(r.ranking and not r.from_cache for r in first[3:])
    again = list(rank_query_set(index, ENTRIES, reranker=reranker, instruction=None, depth=10, rerank_depth=4))
    assert len(again) == 3 and all(r.from_cache for r in again)  # every score cached: one pass
    for cached, ranked in zip(again, first[3:]):
        direct, _ = rerank_hits(reranker, cached.entry.text, cached.hits[:4], None)
        assert [(r.hit.passage.id, r.score) for r in cached.ranking] == [(r.hit.passage.id, r.score) for r in direct]
        assert [r.hit.passage.id for r in cached.ranking] == [r.hit.passage.id for r in ranked.ranking]


def test_cancel_stops_between_queries(index, reranker):
    calls = iter(range(100))
    with pytest.raises(RerankCancelled):
        list(rank_query_set(index, ENTRIES, reranker=reranker, instruction=None, depth=10, rerank_depth=4, cancel=lambda: next(calls) >= 2))


def test_rows_give_the_metrics_ir_measures_gives_and_count_holes(index, reranker):
    runs = {r.entry.id: r for r in rank_query_set(index, ENTRIES, reranker=reranker, instruction=None, depth=10, rerank_depth=4)}
    runs = list(runs.values())
    top = runs[0].ranking[0].hit.passage.id
    labels = {"dataloader workers": {top: Label(top, 3), "doc1.md#1": Label("doc1.md#1", 0)}}
    scored = score_rows(runs, labels, rerank_depth=4)
    row = scored.rows[0]
    qrels = {"1": {top: 3, "doc1.md#1": 0}}
    expected_rr = per_query(qrels, {"1": run_scores(runs[0].ranking, runs[0].hits[4:])}, ["nDCG@10"])["nDCG@10"]["1"]
    assert row.reranked == pytest.approx(expected_rr) and row.reranked == 1.0
    assert row.judged == 2 and row.recall is not None
    pool = {h.passage.id for h in runs[0].hits[:10]} | {r.hit.passage.id for r in runs[0].ranking[:10]}
    assert row.holes == len(pool - {top, "doc1.md#1"})
    assert scored.rows[1].recall is None and scored.rows[1].overlap is not None  # unjudged: overlap only
    assert 0.0 <= scored.rows[1].overlap.rbo <= 1.0
    assert scored.means.judged_queries == 1 and scored.means.recall == pytest.approx(row.recall)
    assert not math.isnan(scored.means.rbo)


def test_a_compared_side_and_the_orders(index, reranker):
    runs = list(rank_query_set(index, ENTRIES, reranker=None, instruction=None, depth=10, rerank_depth=4))
    first = runs[0].hits[0].passage.id
    labels = {"dataloader workers": {first: Label(first, 2)}, "gpu memory": {runs[1].hits[-1].passage.id: Label(runs[1].hits[-1].passage.id, 3)}}
    other = {"1": [(first, 1.0)], "2": [(runs[1].hits[0].passage.id, 1.0)]}
    scored = score_rows(runs, labels, rerank_depth=4, other=other)
    one, two, three = scored.rows
    assert one.reranked is None and one.other == 1.0 and one.other_delta == pytest.approx(1.0 - one.recall)
    assert two.other_delta is not None and three.other is None
    assert [r.entry.id for r in sorted_rows(scored.rows, "text")] == ["1", "2", "3"]
    assert [r.entry.id for r in sorted_rows(scored.rows, "holes")][0] in {"1", "2", "3"}
    assert [r.entry.id for r in sorted_rows(scored.rows, "other")][-1] == "3"  # no value: last
    assert [r.entry.id for r in sorted_rows(scored.rows, "set", "GPU")] == ["2"]
    assert sorted_rows(scored.rows, "set", "react nothing") == []
