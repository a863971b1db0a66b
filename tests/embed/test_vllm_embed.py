"""The in-process vLLM embedder on the tiny Qwen3-Embedding agrees with sentence-transformers.

Run in .venv-vllm (scripts/vllm-env.sh); elsewhere these tests skip. One engine for the module,
on a tiny random-weight Qwen3 laid out like Qwen3-Embedding (tests/embed/tiny_qwen3_embedding.py)
whose folder saves its own query task and a max sequence length of 64, so both backends must
read them from the folder. Every vector comes from a real forward pass: vLLM's on one side,
sentence-transformers' (and a direct transformers one, tests/embed/reference.py) on the other.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from tests.rerank.helpers import make_documents, require_vllm
from tests.rerank.vllm_support import CPU_ENV, KV_CACHE_BYTES

from .reference import min_cosine, reference_vectors
from .tiny_qwen3_embedding import build_tiny_qwen3_embedding

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

AGREE = 1 - 1e-4
MAX_LENGTH = 64
SAVED_TASK = "Given a bug report, retrieve the commit that fixes it"
CUSTOM_TASK = "Given a question, find passages with runnable code"
QUERIES = ["python dataloader worker error", "river history", "how do I install the package"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return build_tiny_qwen3_embedding(
        tmp_path_factory.mktemp("tiny-qwen3-embedding-vllm"), seed=0, max_seq_length=MAX_LENGTH,
        query_prompt=f"Instruct: {SAVED_TASK}\nQuery:",
    )


@pytest.fixture(scope="module")
def engine(folder):
    require_vllm()
    from rerank_tui.embed import build_embedder

    with pytest.MonkeyPatch.context() as mp:
        for key, value in CPU_ENV.items():
            mp.setenv(key, value)
        mp.setenv("HF_HUB_OFFLINE", "1")
        embedder = build_embedder(
            "vllm", str(folder), dtype="float32", kv_cache_memory_bytes=KV_CACHE_BYTES, enforce_eager=True, batch_size=16
        )
    yield embedder
    embedder.close()


@pytest.fixture(scope="module")
def st(folder):
    from rerank_tui.embed.st_backend import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(str(folder), batch_size=16)
    yield embedder
    embedder.close()


def _long_texts(st, seeds) -> list[str]:
    texts = [" ".join(make_documents(6, seed=s, min_words=30)) for s in seeds]
    lengths = [len(st._tokenizer(t)["input_ids"]) for t in texts]
    assert min(lengths) > 2 * MAX_LENGTH, lengths  # really cut
    return texts


def test_built_by_the_factory_with_the_folders_settings(engine, st, folder):
    from rerank_tui.embed import BACKENDS, DEFAULT_QUERY_INSTRUCTION
    from rerank_tui.embed.vllm_backend import VllmEmbedder

    assert isinstance(engine, VllmEmbedder) and "vllm" in BACKENDS
    assert (engine.pooling, engine.dims, engine.max_length) == ("lasttoken", 64, MAX_LENGTH)
    assert engine.query_style == "instruct" and engine.default_instruction == SAVED_TASK != DEFAULT_QUERY_INSTRUCTION
    assert engine.query_text("q") == f"Instruct: {SAVED_TASK}\nQuery:q" == st.query_text("q")
    for name in ("pooling", "dims", "max_length", "query_style", "default_instruction", "query_prompt", "document_prompt"):
        assert getattr(engine, name) == getattr(st, name), name
    assert engine.identity.startswith(f"vllm:{folder}@") and engine.identity.endswith(":float32")
    assert engine.device == "vllm" and any("CPU" in n for n in engine.notes)


def test_documents_agree_with_sentence_transformers_and_transformers(engine, st, folder):
    docs = make_documents(40, seed=20) + _long_texts(st, (21, 22, 23))
    ours = engine.embed_documents(docs)
    theirs = st.embed_documents(docs)
    ref = reference_vectors(folder, docs, pooling="lasttoken", max_length=MAX_LENGTH)
    agreement = min_cosine(ours, theirs)
    print(f"documents: 1 - min cosine, vllm vs sentence-transformers {1 - agreement:.1e}, vs transformers {1 - min_cosine(ours, ref):.1e}")
    assert ours.dtype == np.float32 and ours.shape == (43, 64)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-6)
    assert agreement >= AGREE and min_cosine(ours, ref) >= AGREE
    # the long ones are cut where sentence-transformers cuts them, not merely somewhere
    stats = engine.last_stats
    assert stats.items == 43 and stats.batches == 3 and stats.tokens == st.last_stats.tokens
    engine.embed_documents(docs[-3:])
    assert engine.last_stats.tokens == 3 * MAX_LENGTH


def test_queries_agree_with_the_saved_and_a_custom_instruction(engine, st, folder):
    queries = QUERIES + _long_texts(st, (24,))
    default = engine.embed_queries(queries)
    agreement = min_cosine(default, st.embed_queries(queries))
    texts = [f"Instruct: {SAVED_TASK}\nQuery:{q}" for q in queries]
    assert min_cosine(default, reference_vectors(folder, texts, pooling="lasttoken", max_length=MAX_LENGTH)) >= AGREE
    custom = engine.embed_queries(queries, instruction=CUSTOM_TASK)
    custom_agreement = min_cosine(custom, st.embed_queries(queries, instruction=CUSTOM_TASK))
    texts = [f"Instruct: {CUSTOM_TASK}\nQuery:{q}" for q in queries]
    assert min_cosine(custom, reference_vectors(folder, texts, pooling="lasttoken", max_length=MAX_LENGTH)) >= AGREE
    print(f"queries: 1 - min cosine, vllm vs sentence-transformers {1 - agreement:.1e} (saved task), {1 - custom_agreement:.1e} (custom)")
    assert agreement >= AGREE and custom_agreement >= AGREE
    assert min_cosine(custom[:3], default[:3]) < 0.9999  # the instruction is part of the query
    assert engine.last_stats.items == 4 and engine.last_stats.tokens == st.last_stats.tokens
    assert min_cosine(engine.embed_query(QUERIES[0])[None], default[:1]) >= 1 - 1e-5


def test_stats_progress_and_cancel(engine):
    from rerank_tui.embed import EmbedCancelled, EmbedStats

    docs = make_documents(10, seed=25)
    seen = []
    mine = EmbedStats()
    engine.embed_documents(docs, batch_size=4, progress=lambda d, t: seen.append((d, t)), stats=mine)
    assert seen == [(4, 10), (8, 10), (10, 10)]
    assert mine.items == 10 and mine.batches == 3 and mine.tokens > mine.items
    assert mine.seconds > 0 and engine.last_stats is mine
    with pytest.raises(EmbedCancelled):
        engine.embed_documents(docs, cancel=lambda: True)
    with pytest.raises(EmbedCancelled):
        engine.embed_queries(QUERIES, cancel=lambda: True)
    with pytest.raises(EmbedCancelled):
        engine.embed_documents(docs, batch_size=4, cancel=lambda: len(seen) >= 4, progress=lambda d, t: seen.append(d))
    assert len(seen) == 4  # one batch, then the cancel


def test_load_failures_are_embedder_errors(tmp_path, folder):
    require_vllm()
    from rerank_tui.embed import EmbedderError, EmbedModelNotFoundError
    from rerank_tui.embed.vllm_backend import VllmEmbedder
    from tests.support.tiny_bert import build_tiny_bert

    with pytest.raises(EmbedModelNotFoundError, match="no such folder"):
        VllmEmbedder(str(tmp_path / "nope"))
    with pytest.raises(EmbedderError, match="vLLM cannot do") as caught:
        VllmEmbedder(str(build_tiny_bert(tmp_path / "max-pooled", pooling="max")))
    assert "sentence-transformers" in caught.value.hint
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "config.json").write_text(json.dumps({"model_type": "no-such-architecture"}))
    with pytest.raises(EmbedderError, match="vLLM could not start") as caught:
        VllmEmbedder(str(broken), dtype="float32", kv_cache_memory_bytes=KV_CACHE_BYTES, enforce_eager=True)
    assert caught.value.hint


def test_close_stops_the_engine(engine):
    """Last in the module: the fixture's own close then finds nothing to do."""
    import multiprocessing

    from rerank_tui.embed import EmbedderError

    def engine_cores():
        return [p for p in multiprocessing.active_children() if "EngineCore" in p.name]

    assert engine_cores()  # the engine runs in a child process ...
    engine.close()
    engine.close()
    assert engine.llm is None and not engine_cores()  # ... which close stopped
    with pytest.raises(EmbedderError, match="closed"):
        engine.embed_documents(["after close"])


def test_environment_is_the_vllm_one():
    if os.environ.get("RERANK_TUI_REQUIRE_VLLM") != "1":
        pytest.skip("only meaningful inside .venv-vllm")
    import vllm

    assert vllm.__version__
