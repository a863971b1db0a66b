"""Fixtures for the rerank tests: a tiny offline Qwen3 reranker, built once per session."""

from __future__ import annotations

import pytest

from tests.support.tiny_qwen3 import build_tiny_qwen3


@pytest.fixture(autouse=True)
def _hub_offline(monkeypatch):
    """No test may reach the Hugging Face hub (there is no network here anyway)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    """Folder of a random-weight Qwen3 with the reranker's tokenizer conventions (shared)."""
    return tiny_model_dir


@pytest.fixture(scope="session")
def tiny_model_b(tmp_path_factory):
    """A second, differently seeded tiny model (the "large" stage of a cascade)."""
    return build_tiny_qwen3(tmp_path_factory.mktemp("tiny-qwen3-b"), seed=1)


@pytest.fixture(scope="session")
def tiny_reranker(tiny_model):
    """The transformers backend on the tiny model, uncached (max_length 512, batch 8)."""
    from rerank_tui.rerank.checkpoint import resolve
    from rerank_tui.rerank.transformers_backend import TransformersReranker

    reranker = TransformersReranker(resolve(str(tiny_model)), max_length=512, batch_size=8)
    yield reranker
    reranker.close()
