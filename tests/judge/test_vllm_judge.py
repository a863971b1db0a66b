"""The HTTP judge against a real `vllm serve` on the tiny model (CPU, float32): completions and
chat give the in-process transformers judge's distributions.

One server for the module (a start takes 30–60 s). `--max-logprobs` is the vocabulary size, so
every grade token is among the top logprobs; `--chat-template` is tests/judge/chatml.jinja,
which renders exactly `chatml()` (test_transformers_judge checks that), so both endpoints see
the same prompt tokens as the in-process judge.

Tolerance: vLLM's CPU kernels (float32) and torch's eager forward differ by float rounding
only; measured on this model, the largest |Δp| over 40 passages is 1.6e-6 on both endpoints (printed by the
test). 1e-4 leaves room for other CPUs' kernels while a prompt or token mix-up moves grades by
1e-2 or more.
"""

from __future__ import annotations

import pytest

from rerank_tui.judge.http_judge import HttpJudge
from tests.rerank.helpers import QUERY, make_documents, require_vllm
from tests.rerank.local_server import free_port

from .conftest import CHATML_TEMPLATE
from .vllm_support import VllmGenerateServer

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

GRADES = (0, 1, 2, 3)
VOCAB = 3000
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory):
    require_vllm()
    log = tmp_path_factory.mktemp("vllm-judge") / "server.log"
    srv = VllmGenerateServer(tiny_model, free_port(), log, chat_template=CHATML_TEMPLATE, max_logprobs=VOCAB)
    try:
        srv.wait_healthy()
        yield srv
    finally:
        srv.stop()


def passages() -> list[str]:
    docs = make_documents(36, seed=31, max_words=120)
    docs += ['{query} and {passage} {"a": {1}} \x01\x1b[0m', " ".join(make_documents(60, seed=32, min_words=40)), "", "naïve café 数据"]
    return docs


@pytest.mark.parametrize("endpoint", ["completions", "chat"])
def test_vllm_judge_agrees_with_transformers(server, tiny_model, tiny_judge, endpoint):
    judge = HttpJudge(server.url, endpoint=endpoint, grades=GRADES, top_logprobs=VOCAB, batch_size=8, concurrency=4, timeout=120)
    assert judge.model == str(tiny_model)  # from /v1/models
    docs = passages()
    got = judge.judge(QUERY, docs)
    want = tiny_judge.judge(QUERY, docs)
    assert all(g is not None and g.missing == 0 for g in got)
    diff = max(abs(a - b) for g, w in zip(got, want) for a, b in zip(g.probs, w.probs))
    mass = max(abs(g.mass - w.mass) / w.mass for g, w in zip(got, want))
    print(f"{endpoint}: max |vllm - transformers| over {len(docs)} passages: {diff:.2e}; mass rel. {mass:.2e}")
    assert diff <= TOLERANCE and mass <= 1e-3
    assert [g.argmax for g in got] == [w.argmax for w in want]
    judge.close()


def test_vllm_default_top_logprobs_may_miss_grades(server, tiny_judge):
    """With the default k = 20 a random model's grade tokens are mostly outside the top 20:
    those passages get None or `missing` counts, never a made-up probability."""
    judge = HttpJudge(server.url, grades=GRADES, timeout=120)
    docs = make_documents(10, seed=33)
    for got, want in zip(judge.judge(QUERY, docs), tiny_judge.judge(QUERY, docs)):
        if got is not None:
            present = [i for i, p in enumerate(got.probs) if p > 0]
            assert len(present) == 4 - got.missing
            kept = sum(want.probs[i] for i in present)
            assert all(got.probs[i] == pytest.approx(want.probs[i] / kept, abs=TOLERANCE) for i in present)
    judge.close()
