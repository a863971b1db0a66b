"""Dense recall as Hits, and hybrid fusion with BM25, on a real (tiny) model."""

from __future__ import annotations

import numpy as np
import pytest

from rerank_tui.corpus.passage import Passage
from rerank_tui.embed import DenseRecall, embed_corpus, fuse_hits, passage_texts
from rerank_tui.recall.fusion import rrf
from rerank_tui.recall.index import Hit, Index
from tests.rerank.helpers import make_documents


@pytest.fixture(scope="module")
def passages():
    return [Passage(id=f"d{i}.md#1", doc=f"d{i}.md", title=f"d{i}.md", text=t) for i, t in enumerate(make_documents(30, seed=9))]


def test_dense_recall_returns_hits_in_cosine_order(st_bert, passages, tmp_path):
    vectors = embed_corpus(passages, st_bert, corpus="docs", root=tmp_path)
    dense = DenseRecall(st_bert, passages, vectors.matrix)
    hits = dense.search("python dataloader worker", k=5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    q = st_bert.embed_queries(["python dataloader worker"])[0]
    cos = st_bert.embed_documents(passage_texts(passages)) @ q
    assert [h.index for h in hits] == np.argsort(-cos, kind="stable")[:5].tolist()
    assert all(h.passage is passages[h.index] for h in hits)
    assert hits[0].score == pytest.approx(float(cos.max()), abs=1e-5)
    assert dense.search("x", k=0) == [] and len(dense) == 30
    with pytest.raises(ValueError):
        DenseRecall(st_bert, passages[:3], vectors.matrix)


def test_hybrid_fusion_of_bm25_and_dense_hits(st_bert, passages, tmp_path):
    bm25 = Index.build(passages)
    dense = DenseRecall(st_bert, passages, embed_corpus(passages, st_bert, corpus="docs", root=tmp_path).matrix)
    query = "river water energy"
    lexical, semantic = bm25.search(query, 10), dense.search(query, 10)
    fused = fuse_hits([lexical, semantic], method="rrf", k=60)
    expected = rrf([[(h.index, h.score) for h in lexical], [(h.index, h.score) for h in semantic]], 60)
    assert [(h.index, h.score) for h in fused] == expected
    assert [h.rank for h in fused] == list(range(1, len(fused) + 1))
    assert all(isinstance(h, Hit) and h.passage is passages[h.index] for h in fused)
    only_bm25 = fuse_hits([lexical, semantic], method="linear", alpha=0.0)
    assert [h.index for h in only_bm25][: len(lexical)] == [h.index for h in lexical]
    only_dense = fuse_hits([lexical, semantic], method="linear", alpha=1.0, limit=5)
    assert [h.index for h in only_dense] == [h.index for h in semantic][:5]
    with pytest.raises(ValueError):
        fuse_hits([lexical, semantic], method="max")


def test_dense_recall_picks_exact_below_the_threshold_and_approximate_above(st_bert, passages, tmp_path):
    from rerank_tui.recall.approximate import ApproximateIndex
    from rerank_tui.recall.dense import DenseIndex

    vectors = embed_corpus(passages, st_bert, corpus="docs", root=tmp_path)
    exact = DenseRecall(st_bert, passages, vectors.matrix)  # the default threshold is far above 30
    assert type(exact.index) is DenseIndex
    for threshold in (None, 0, 30):
        assert type(DenseRecall(st_bert, passages, vectors, approximate_above=threshold).index) is DenseIndex
    stored = DenseRecall(st_bert, passages, vectors, approximate_above=29)
    assert isinstance(stored.index, ApproximateIndex) and list(vectors.location.glob("ann1-*.faiss"))
    in_memory = DenseRecall(st_bert, passages, vectors.matrix, approximate_above=29)
    assert isinstance(in_memory.index, ApproximateIndex)
    query = "python dataloader worker"
    expected = exact.search(query, 5)
    for dense in (stored, in_memory):
        got = dense.search(query, 5)
        assert [h.index for h in got] == [h.index for h in expected]
        assert [h.score for h in got] == pytest.approx([h.score for h in expected], abs=1e-6)
        assert len(dense.search(query, 100)) == 30  # k larger than the corpus


def test_dense_recall_source_passes_the_threshold_through(st_bert, passages):
    from rerank_tui.recall.approximate import ApproximateIndex
    from rerank_tui.recall.dense import DenseIndex
    from rerank_tui.session.recall_sources import dense_recall, hits_function

    index = Index.build(passages)
    assert type(dense_recall(index, st_bert, corpus="docs-threshold").index) is DenseIndex
    dense = dense_recall(index, st_bert, corpus="docs-threshold", approximate_above=10)
    assert isinstance(dense.index, ApproximateIndex) and dense.vectors.reused == 30
    hits = hits_function("dense", index, dense)("q1", "river water energy", 3)
    assert [h.rank for h in hits] == [1, 2, 3]
