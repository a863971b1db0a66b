"""`build_reranker`: backend choice, clear errors, and no heavy imports until a backend is built."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rerank_tui.rerank import (
    BackendUnavailableError,
    CachedReranker,
    ModelNotFoundError,
    NotQwen3RerankerError,
    RerankerError,
    build_reranker,
)
from rerank_tui.rerank.transformers_backend import TransformersReranker

from .helpers import QUERY, make_documents

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "vllm")


def _heavy_modules_after(code: str) -> list[str]:
    probe = code + f"\nimport sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)}
    )
    assert result.returncode == 0, result.stderr
    return [m for m in result.stdout.strip().split(",") if m]


def test_importing_the_package_imports_no_model_library():
    assert _heavy_modules_after("import rerank_tui.rerank") == []


def test_building_the_http_backend_imports_no_model_library():
    code = "from rerank_tui.rerank import build_reranker\nr = build_reranker('http', model='m', url='http://127.0.0.1:9')"
    assert _heavy_modules_after(code) == []


def test_auto_on_cpu_is_transformers_with_a_visible_note(tiny_model):
    notes = []
    reranker = build_reranker("auto", str(tiny_model), max_length=256, on_note=notes.append)
    assert isinstance(reranker, CachedReranker) and isinstance(reranker.backend, TransformersReranker)
    assert any("CPU" in n for n in notes) and reranker.notes == tuple(notes)
    assert reranker.identity.startswith("transformers:") and reranker.max_length == 256
    docs = make_documents(5, seed=40)
    assert reranker.score(QUERY, docs) == pytest.approx(reranker.backend.score(QUERY, docs), abs=1e-5)
    plain = build_reranker("transformers", str(tiny_model), cache=False, batch_size=3)
    assert isinstance(plain, TransformersReranker) and plain.batch_size == 3
    assert plain.max_length == 8192  # the default; the tiny model has 8192 positions


def test_max_length_is_capped_at_the_model_context(tiny_model):
    reranker = build_reranker("transformers", str(tiny_model), cache=False, max_length=100_000)
    assert reranker.max_length == 8192 and any("8192 positions" in n for n in reranker.notes)


def test_missing_hub_model_offline_is_one_clear_line():
    with pytest.raises(ModelNotFoundError) as info:
        build_reranker("transformers", "nobody-here/no-such-reranker")
    text = str(info.value)
    assert "nobody-here/no-such-reranker" in text and "hint:" in text and "\n" not in text


def test_missing_local_folder():
    with pytest.raises(ModelNotFoundError, match="no such folder"):
        build_reranker("transformers", "./models/not-here")


def test_non_qwen3_checkpoint_is_refused(tiny_model, tmp_path):
    llama = tmp_path / "llama"
    shutil.copytree(tiny_model, llama)
    config = json.loads((llama / "config.json").read_text())
    (llama / "config.json").write_text(json.dumps(config | {"model_type": "llama", "architectures": ["LlamaForCausalLM"]}))
    with pytest.raises(NotQwen3RerankerError, match="'llama' model, not a Qwen3 reranker"):
        build_reranker("transformers", str(llama))


def test_tokenizer_without_single_yes_no_is_refused(tiny_model, tmp_path):
    from tests.support.tiny_qwen3 import build_tokenizer

    odd = tmp_path / "odd"
    shutil.copytree(tiny_model, odd)
    build_tokenizer(600, single_yes_no=False).save_pretrained(odd)
    with pytest.raises(NotQwen3RerankerError, match="no single 'yes' token"):
        build_reranker("transformers", str(odd))


def test_vllm_missing_is_a_clear_error(tiny_model):
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    with pytest.raises(BackendUnavailableError, match="vLLM is not installed") as info:
        build_reranker("vllm", str(tiny_model))
    assert isinstance(info.value, RerankerError) and "--backend transformers" in str(info.value)


def test_bad_arguments():
    with pytest.raises(ValueError, match="choose one of"):
        build_reranker("onnx")
    with pytest.raises(ValueError, match="url="):
        build_reranker("http")
