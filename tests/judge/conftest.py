"""Fixtures for the judge tests: the tiny offline Qwen3 (shared with the rerank tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHATML_TEMPLATE = Path(__file__).with_name("chatml.jinja")


@pytest.fixture(autouse=True)
def _hub_offline(monkeypatch):
    """No test may reach the Hugging Face hub (there is no network here anyway)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    return tiny_model_dir


@pytest.fixture(scope="session")
def tiny_judge(tiny_model):
    """The transformers judge on the tiny model, 0–3, batches of 4."""
    from rerank_tui.judge.transformers_judge import TransformersJudge
    from rerank_tui.rerank.checkpoint import resolve

    judge = TransformersJudge(resolve(str(tiny_model)), grades=(0, 1, 2, 3), batch_size=4)
    yield judge
    judge.close()


@pytest.fixture(scope="session")
def reference(tiny_model):
    from .reference import Reference

    return Reference(tiny_model)


def with_chat_template(src: Path, dst: Path, template: str) -> Path:
    """A copy of the model folder whose tokenizer carries `template` as its chat template."""
    from transformers import AutoTokenizer

    shutil.copytree(src, dst)
    tok = AutoTokenizer.from_pretrained(dst)
    tok.chat_template = template
    tok.save_pretrained(dst)
    return dst
