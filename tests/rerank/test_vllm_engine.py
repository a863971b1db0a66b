"""The in-process vLLM backend on the tiny model agrees with transformers (run in .venv-vllm)."""

from __future__ import annotations

import os

import pytest

from .helpers import QUERY, make_documents, require_vllm
from .vllm_support import CPU_ENV, KV_CACHE_BYTES

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


@pytest.fixture(scope="module")
def engine(tiny_model):
    require_vllm()
    from rerank_tui.rerank import build_reranker

    with pytest.MonkeyPatch.context() as mp:
        for key, value in CPU_ENV.items():
            mp.setenv(key, value)
        reranker = build_reranker(
            "vllm", str(tiny_model), max_length=512, dtype="float32", cache=False,
            kv_cache_memory_bytes=KV_CACHE_BYTES, enforce_eager=True, batch_size=64,
        )
    yield reranker
    reranker.close()


def test_engine_agrees_with_transformers(engine, tiny_reranker):
    docs = make_documents(150, seed=50, max_words=80)
    long_docs = [" ".join(make_documents(20, seed=s, min_words=40)) for s in (51, 52, 53)]  # cut to 512
    for instruction in (None, "Prefer passages with runnable code"):
        ranking = engine.rank(QUERY, docs + long_docs, instruction)
        ours = ranking.scores(len(docs + long_docs))
        reference = tiny_reranker.score(QUERY, docs + long_docs, instruction)
        diff = max(abs(a - b) for a, b in zip(ours, reference))
        print(f"max |vllm - transformers| over {len(ours)} pairs: {diff:.2e}")
        assert diff <= 1e-4
    assert ranking.stats.batches == 3 and ranking.stats.pairs == 153
    assert engine.identity.startswith("vllm:") and engine.identity.endswith(":float32") and engine.device == "vllm"


def test_engine_rank_and_cancel(engine):
    from rerank_tui.rerank import RerankCancelled

    docs = make_documents(20, seed=54)
    scores = engine.score(QUERY, docs)
    assert [r.index for r in engine.rank(QUERY, docs, top_k=5).results] == sorted(range(20), key=lambda i: -scores[i])[:5]
    with pytest.raises(RerankCancelled):
        engine.score(QUERY, docs, cancel=lambda: True)


def test_environment_is_the_vllm_one():
    if os.environ.get("RERANK_TUI_REQUIRE_VLLM") != "1":
        pytest.skip("only meaningful inside .venv-vllm")
    import vllm

    assert vllm.__version__
