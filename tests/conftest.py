"""Suite-wide fixtures: no test touches the developer's own cache or config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_EVAL = REPO.parent / "shared" / "eval"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("RERANK_TUI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("RERANK_TUI_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


def eval_collection(name: str) -> Path:
    """A shared test collection beside the checkout; skip (locally) when it is absent."""
    path = SHARED_EVAL / name
    if not (path / "docs.jsonl").exists():
        message = f"shared collection {name} not found at {path}"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI has shared/ beside the clone: absence is a real failure
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A random-weight Qwen3 with the reranker's tokenizer conventions, built offline once."""
    from tests.support.tiny_qwen3 import build_tiny_qwen3

    return build_tiny_qwen3(tmp_path_factory.mktemp("tiny-qwen3-shared"), seed=0)
