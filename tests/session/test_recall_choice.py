"""The app's recall sources (session/recall_choice.py) on a real index and a tiny random BERT."""

from __future__ import annotations

import numpy as np
import pytest

from rerank_tui.corpus import Passage
from rerank_tui.recall import Index
from rerank_tui.recall.index import index_text
from rerank_tui.session.recall_choice import FOLLOW_KEYS_S, RecallChoice
from rerank_tui.session.recall_run import parse_recall_run, run_candidates
from rerank_tui.session.recall_sources import Fusion, dense_recall
from tests.support.tiny_bert import build_tiny_bert

TEXTS = [
    ("Supersonic flow", "shock waves in supersonic flow over a wedge"),
    ("Heat transfer", "heat transfer in a laminar boundary layer"),
    ("Buckling", "buckling of thin cylindrical shells under axial load"),
    ("Wings", "lift and drag of swept wings at high speed"),
    ("Nozzles", "flow through a convergent divergent nozzle"),
]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), seed=0)


@pytest.fixture(scope="module")
def embedder(tiny_bert):
    from rerank_tui.embed.st_backend import SentenceTransformerEmbedder

    e = SentenceTransformerEmbedder(str(tiny_bert))
    yield e
    e.close()


@pytest.fixture
def index():
    passages = [Passage(id=f"d{i}", doc=f"d{i}", title=t, text=x) for i, (t, x) in enumerate(TEXTS)]
    return Index.build(passages)


def _ids(hits):
    return [h.passage.id for h in hits]


def test_only_configured_sources_cycle():
    assert RecallChoice.of().kinds == ("bm25",)
    choice = RecallChoice.of(embedder_name="bge", run_name="prod")
    assert choice.kinds == ("bm25", "dense", "hybrid", "run") and choice.current == "run"
    assert [choice.cycle() for _ in range(4)] == ["bm25", "dense", "hybrid", "run"]
    with pytest.raises(ValueError, match="needs an embedder"):
        RecallChoice.of(initial="dense")


def test_dense_is_the_models_nearest_passages_and_falls_back_until_ready(index, embedder):
    choice = RecallChoice.of(embedder_name="tiny-bert", initial="dense")
    before = choice.search(index, "supersonic shock", 3)
    assert before.kind == "bm25" and before.asked == "dense" and "not embedded" in before.why
    assert _ids(before.hits) == _ids(index.search("supersonic shock", 3))
    assert "dense (tiny-bert): " in choice.pane_title(before, "supersonic shock")

    choice.set_dense(dense_recall(index, embedder, corpus="five"))
    result = choice.search(index, "supersonic shock", 5)
    docs = embedder.embed_documents([index_text(p) for p in index.passages])
    order = np.argsort(-(docs @ embedder.embed_queries(["supersonic shock"])[0]), kind="stable")
    assert result.kind == "dense" and _ids(result.hits) == [f"d{i}" for i in order]
    assert [h.rank for h in result.hits] == [1, 2, 3, 4, 5]  # ▲/▼ in the reranked pane are against these ranks
    assert choice.pane_title(result, "q") == "dense (tiny-bert) recall · 5 hits"


def test_a_query_is_embedded_once(index, embedder):
    choice = RecallChoice.of(embedder_name="tiny-bert", initial="dense")
    choice.set_dense(dense_recall(index, embedder, corpus="five"))
    calls = []
    real = embedder.embed_queries

    def counting(texts, instruction=None, **kw):
        calls.append(tuple(texts))
        return real(texts, instruction, **kw)

    embedder.embed_queries = counting
    try:
        first = choice.search(index, "heat", 5)
        again = choice.search(index, "heat", 2)
        choice.search(index, "heat", 5, kind="hybrid")
    finally:
        del embedder.embed_queries
    assert calls == [("heat",)]
    assert _ids(again.hits) == _ids(first.hits)[:2]


def test_hybrid_fuses_bm25_and_dense(index, embedder):
    from rerank_tui.embed.search import fuse_hits

    dense = dense_recall(index, embedder, corpus="five")
    choice = RecallChoice.of(embedder_name="m", initial="hybrid", fusion=Fusion("rrf", 60.0))
    choice.set_dense(dense)
    got = choice.search(index, "supersonic flow", 5)
    want = fuse_hits([index.search("supersonic flow", 100), dense.search("supersonic flow", 100)], method="rrf", k=60.0, limit=5)
    assert _ids(got.hits) == _ids(want) and got.kind == "hybrid"
    assert choice.label() == "hybrid (rrf k=60, m)"


def test_run_source_and_its_fallback(index):
    run = parse_recall_run(["q1 Q0 d3 1 9.0 prod", "q1 Q0 nope 2 8.0 prod", "q1 Q0 d1 3 7.0 prod"], "prod.trec")
    choice = RecallChoice.of(run_name=run.name)
    waiting = choice.search(index, "supersonic", 5, "q1")
    assert waiting.kind == "bm25" and "not read yet" in waiting.why
    choice.run = run_candidates(run, index)
    hit = choice.search(index, "anything", 5, "q1")
    assert hit.kind == "run" and _ids(hit.hits) == ["d3", "d1"]  # the unknown id is skipped
    other = choice.search(index, "supersonic", 5, "q2")
    assert other.kind == "bm25" and _ids(other.hits) == _ids(index.search("supersonic", 5))
    assert choice.pane_title(other, "supersonic").startswith("run prod: no run for this query · BM25 recall · ")


def test_slow_sources_search_on_enter():
    choice = RecallChoice.of(embedder_name="m")
    assert choice.follows_keys("dense")  # not measured yet: try
    choice.seconds["dense"] = FOLLOW_KEYS_S * 3
    assert not choice.follows_keys("dense") and choice.follows_keys("bm25")
