"""Fixtures for the embedding tests: tiny random-weight models built offline, once per session."""

from __future__ import annotations

import pytest

from tests.embed.tiny_qwen3_embedding import build_tiny_qwen3_embedding
from tests.support.tiny_bert import build_tiny_bert

E5_PROMPTS = {"query": "query: ", "document": "passage: "}


@pytest.fixture(autouse=True)
def _hub_offline(monkeypatch):
    """No test may reach the Hugging Face hub (there is no network here anyway)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    """A BERT with mean pooling and e5-style prompts ("query: " / "passage: "), max length 256."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), seed=0, prompts=E5_PROMPTS)


@pytest.fixture(scope="session")
def tiny_qwen3_embedding(tmp_path_factory):
    """A Qwen3 with last-token pooling, left padding and the Qwen3-Embedding query prompt."""
    return build_tiny_qwen3_embedding(tmp_path_factory.mktemp("tiny-qwen3-embedding"), seed=0)


@pytest.fixture(scope="session")
def st_bert(tiny_bert):
    from rerank_tui.embed.st_backend import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(str(tiny_bert), batch_size=4)
    yield embedder
    embedder.close()


@pytest.fixture(scope="session")
def st_qwen(tiny_qwen3_embedding):
    from rerank_tui.embed.st_backend import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(str(tiny_qwen3_embedding), batch_size=4)
    yield embedder
    embedder.close()
