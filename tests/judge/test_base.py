"""same_checkpoint against the reranker identities the rerank layer writes, and the base plumbing."""

from __future__ import annotations

import threading

import pytest

from rerank_tui.judge.base import BaseJudge, reranker_models, same_checkpoint
from rerank_tui.judge.grades import GradeDistribution
from rerank_tui.rerank.errors import RerankCancelled


@pytest.mark.parametrize(
    ("judge", "identity", "same"),
    [
        ("Qwen/Qwen3-Reranker-0.6B", "transformers:Qwen/Qwen3-Reranker-0.6B@abc123:bfloat16", True),
        ("qwen/qwen3-reranker-0.6b", "vllm:Qwen/Qwen3-Reranker-0.6B@abc123:bfloat16", True),
        ("/models/Qwen3-Reranker-0.6B/", "transformers:Qwen/Qwen3-Reranker-0.6B@abc:float32", True),
        ("Qwen/Qwen3-Reranker-0.6B", "http:/srv/models/Qwen3-Reranker-0.6B@http://gpu:8000", True),
        ("Qwen/Qwen3-Reranker-0.6B", "http-plain:Qwen3-Reranker-0.6B@https://[::1]:8000", True),
        ("Qwen/Qwen3-8B", "transformers:Qwen/Qwen3-Reranker-8B@abc:bfloat16", False),
        ("Qwen/Qwen3-8B", "http:Qwen/Qwen3-Reranker-8B@http://gpu:8000", False),
        ("Qwen/Qwen3-Reranker-8B", "cascade[transformers:Qwen/Qwen3-Reranker-0.6B@a:bfloat16 top 100 -> vllm:Qwen/Qwen3-Reranker-8B@b:bfloat16 top 20]", True),
        ("Qwen/Qwen3-4B", "cascade[transformers:Qwen/Qwen3-Reranker-0.6B@a:bfloat16 top 100 -> vllm:Qwen/Qwen3-Reranker-8B@b:bfloat16 top 20]", False),
        ("", "transformers:x@y:float32", False),
    ],
)
def test_same_checkpoint(judge, identity, same):
    assert same_checkpoint(judge, identity) is same


def test_reranker_models_reads_each_identity_format():
    assert reranker_models("transformers:/m/a@b/c@rev:float32") == ["/m/a@b/c"]
    assert reranker_models("http:org/model@http://h:1/x") == ["org/model"]


class _Fake(BaseJudge):
    """A judge whose model is a fixed distribution: for the locking and cancel plumbing only."""

    def __init__(self, entered: threading.Event, release: threading.Event):
        super().__init__(grades=(0, 1))
        self.entered, self.release = entered, release

    def _judge(self, query, messages, cancel):
        self.entered.set()
        self.release.wait(5)
        return [GradeDistribution((0, 1), (0.5, 0.5)) for _ in messages]


def test_a_call_waiting_for_the_model_sees_its_cancel():
    entered, release = threading.Event(), threading.Event()
    judge = _Fake(entered, release)
    first = threading.Thread(target=judge.judge, args=("q", ["p"]))
    first.start()
    assert entered.wait(5)
    with pytest.raises(RerankCancelled):
        judge.judge("q", ["p"], cancel=lambda: True)
    release.set()
    first.join(5)
    assert judge.judge("q", []) == []
