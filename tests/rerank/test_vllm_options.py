"""The vLLM backend's plumbing, against a stand-in `vllm` module (runs without vLLM).

The stand-in's `LLM.score` scores query_side + document_side with the reference model, so the
scores still come from real forward passes; what is checked here is what the backend passes
to the engine and how it reads the answers. The real engine is tested in test_vllm_*.py.
"""

from __future__ import annotations

import dataclasses
import importlib.machinery
import sys
import types
from types import SimpleNamespace

import pytest

from rerank_tui.rerank import RerankerError, build_reranker
from rerank_tui.rerank.vllm_backend import QWEN3_OVERRIDES, _pooling_args

from .helpers import QUERY, make_documents
from .reference import Reference


def fake_vllm(monkeypatch, tiny_model, *, engine_fields=("runner",), fail_index=None):
    ref = Reference(tiny_model)
    calls = []

    class LLM:
        def __init__(self, **kwargs):
            calls.append(("init", kwargs))
            self.llm_engine = SimpleNamespace(model_config=SimpleNamespace(dtype="torch.float32"), shutdown=lambda: calls.append(("shutdown",)))

        def get_tokenizer(self):
            return ref.tokenizer

        def score(self, q_side, sides, use_tqdm=True):
            calls.append(("score", q_side, list(sides)))
            out = []
            for i, side in enumerate(sides):
                ids = ref.tokenizer(q_side + side, add_special_tokens=False)["input_ids"]
                error = "prompt too long" if i == fail_index else None
                out.append(SimpleNamespace(outputs=SimpleNamespace(score=0.0 if error else ref.score_ids(ids)), prompt_token_ids=ids, error=error))
            return out

    EngineArgs = dataclasses.make_dataclass("EngineArgs", [(name, object, None) for name in engine_fields])
    vllm = types.ModuleType("vllm")
    vllm.__spec__ = importlib.machinery.ModuleSpec("vllm", None)
    vllm.__version__ = "0.99.0"
    vllm.LLM = LLM
    engine = types.ModuleType("vllm.engine")
    arg_utils = types.ModuleType("vllm.engine.arg_utils")
    arg_utils.EngineArgs = EngineArgs
    for name, module in (("vllm", vllm), ("vllm.engine", engine), ("vllm.engine.arg_utils", arg_utils)):
        monkeypatch.setitem(sys.modules, name, module)
    return calls, ref


def test_engine_options_and_scores(monkeypatch, tiny_model, tiny_reranker):
    calls, _ = fake_vllm(monkeypatch, tiny_model)
    reranker = build_reranker(
        "vllm", str(tiny_model), max_length=512, dtype="float32", cache=False, batch_size=4,
        tensor_parallel_size=2, gpu_memory_utilization=0.5, kv_cache_memory_bytes=123, enforce_eager=True,
    )
    init = calls[0][1]
    assert init["runner"] == "pooling" and "task" not in init
    assert init["hf_overrides"] == QWEN3_OVERRIDES and init["max_model_len"] == 512
    assert (init["tensor_parallel_size"], init["gpu_memory_utilization"], init["kv_cache_memory_bytes"]) == (2, 0.5, 123)
    assert init["enforce_eager"] is True and init["dtype"] == "float32" and init["model"] == str(tiny_model.resolve())
    docs = make_documents(10, seed=70) + [" ".join(make_documents(20, seed=71, min_words=40))]
    ranking = reranker.rank(QUERY, docs)
    scores = ranking.scores(len(docs))
    assert max(abs(a - b) for a, b in zip(scores, tiny_reranker.score(QUERY, docs))) <= 1e-5
    score_calls = [c for c in calls if c[0] == "score"]
    assert len(score_calls) == 3 and all(c[1] == score_calls[0][1] for c in score_calls)  # batches of 4
    assert ranking.stats.tokens == sum(len(tiny_reranker.encode_pair(QUERY, d, None)) for d in docs)
    assert reranker.identity.endswith(":float32") and reranker.device == "vllm"
    reranker.close()
    assert calls[-1] == ("shutdown",)


def test_old_vllm_gets_task_score(monkeypatch, tiny_model):
    fake_vllm(monkeypatch, tiny_model, engine_fields=("task", "model"))
    assert _pooling_args() == {"task": "score"}
    fake_vllm(monkeypatch, tiny_model, engine_fields=("runner", "convert"))
    assert _pooling_args() == {"runner": "pooling"}


def test_a_failed_request_is_an_error_not_a_zero(monkeypatch, tiny_model):
    fake_vllm(monkeypatch, tiny_model, fail_index=1)
    reranker = build_reranker("vllm", str(tiny_model), max_length=512, cache=False)
    with pytest.raises(RerankerError, match="could not score 1 of 3 documents: prompt too long"):
        reranker.score(QUERY, ["a", "b", "c"])
