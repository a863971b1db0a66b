"""Shared test data and guards for the rerank tests."""

from __future__ import annotations

import os
import random

import pytest

from tests.support.tiny_qwen3 import WORDS

def make_documents(n: int, seed: int = 0, min_words: int = 2, max_words: int = 60) -> list[str]:
    """Varied-length generated documents (some punctuation, digits and non-ASCII)."""
    rng = random.Random(seed)
    extras = ["naïve", "café", "数据", "!", "?", "2024", "\n", "  "]
    docs = []
    for _ in range(n):
        words = rng.choices(WORDS + extras, k=rng.randint(min_words, max_words))
        docs.append(" ".join(words))
    return docs


QUERY = "python dataloader worker error"


def require_vllm():
    """Import vllm, or skip; inside the vLLM environment (RERANK_TUI_REQUIRE_VLLM=1) fail."""
    if os.environ.get("RERANK_TUI_REQUIRE_VLLM") == "1":
        try:
            import vllm  # noqa: F401
        except Exception as error:  # noqa: BLE001 - any import failure is the finding
            pytest.fail(f"RERANK_TUI_REQUIRE_VLLM=1 but vllm cannot be imported: {error!r}")
        return
    pytest.importorskip("vllm")
