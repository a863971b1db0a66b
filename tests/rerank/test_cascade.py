"""Small model on the top N, large model on the top M of those."""

from __future__ import annotations

import pytest

from rerank_tui.rerank import CascadeReranker, build_cascade
from rerank_tui.rerank.checkpoint import resolve
from rerank_tui.rerank.transformers_backend import TransformersReranker

from .helpers import QUERY, make_documents


@pytest.fixture(scope="module")
def stages(tiny_model, tiny_model_b):
    small = TransformersReranker(resolve(str(tiny_model)), max_length=256)
    large = TransformersReranker(resolve(str(tiny_model_b)), max_length=256)
    return small, large


def test_order_is_large_top_m_then_small_rest_then_unscored(stages):
    small, large = stages
    docs = make_documents(14, seed=30)
    cascade = CascadeReranker(small, large, small_top_n=10, large_top_m=4)
    small_scores = small.score(QUERY, docs[:10])
    by_small = sorted(range(10), key=lambda i: -small_scores[i])
    top4 = by_small[:4]
    large_scores = dict(zip(top4, large.score(QUERY, [docs[i] for i in top4])))
    expected = sorted(top4, key=lambda i: -large_scores[i]) + by_small[4:] + [10, 11, 12, 13]

    ranking = cascade.rank(QUERY, docs)
    ranked = ranking.results
    assert [r.index for r in ranked] == expected
    assert sorted(top4, key=lambda i: -large_scores[i]) != sorted(top4, key=lambda i: -small_scores[i])  # the large model matters
    for r in ranked[:4]:
        assert abs(r.score - large_scores[r.index]) <= 1e-5
    for r in ranked[4:10]:
        assert abs(r.score - small_scores[r.index]) <= 1e-5
    assert all(r.score is None for r in ranked[10:])
    stats = ranking.stats
    assert stats.pairs == 14 and stats.batches == 1 + 1 and stats.seconds > 0
    assert [r.index for r in cascade.rank(QUERY, docs, top_k=3).results] == expected[:3]

    scores = cascade.score(QUERY, docs)
    assert all(abs(scores[i] - large_scores[i]) <= 1e-5 for i in top4)
    assert all(abs(scores[i] - small_scores[i]) <= 1e-5 for i in by_small[4:])
    assert all(s is None for s in scores[10:])
    assert cascade.device == "cpu→cpu" and cascade.thread_safe


def test_each_model_sees_only_its_share(stages, monkeypatch):
    small, large = stages
    seen = {"small": 0, "large": 0}
    for name, model in (("small", small), ("large", large)):
        forward = model._forward
        monkeypatch.setattr(model, "_forward", lambda rows, f=forward, n=name: seen.__setitem__(n, seen[n] + len(rows)) or f(rows))
    CascadeReranker(small, large, small_top_n=12, large_top_m=3).rank(QUERY, make_documents(20, seed=31))
    assert seen == {"small": 12, "large": 3}


def test_built_from_a_yaml_dict(tiny_model, tiny_model_b):
    config = {
        "small": {"backend": "transformers", "model": str(tiny_model), "max_length": 256},
        "large": {"backend": "transformers", "model": str(tiny_model_b), "max_length": 256},
        "small_top_n": 8,
        "large_top_m": 2,
    }
    cascade = build_cascade(config)
    docs = make_documents(10, seed=32)
    first = cascade.rank(QUERY, docs).results
    assert len(first) == 10 and cascade.small_top_n == 8 and cascade.large_top_m == 2
    again = cascade.rank(QUERY, docs)
    assert again.results == first
    assert again.stats.cache_hits == 8 + 2  # each stage has its own cache entries
    with pytest.raises(ValueError, match="unknown keys"):
        build_cascade({**config, "top": 3})
    with pytest.raises(ValueError, match="missing"):
        build_cascade({"small": config["small"]})
