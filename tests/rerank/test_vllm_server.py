"""The HTTP backend against a real `vllm serve` (its module entry point) on 127.0.0.1."""

from __future__ import annotations

import pytest

from .helpers import QUERY, make_documents, require_vllm
from .local_server import free_port
from .vllm_support import VllmServer

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory):
    require_vllm()
    log = tmp_path_factory.mktemp("vllm-server") / "server.log"
    srv = VllmServer(tiny_model, free_port(), log, max_model_len=512)
    try:
        srv.wait_healthy()
        yield srv
    finally:
        srv.stop()


def test_http_backend_agrees_with_transformers(server, tiny_model, tiny_reranker):
    from rerank_tui.rerank import build_reranker

    client = build_reranker("http", url=server.url, max_length=512, tokenizer=tiny_model, cache=False)
    assert client.model == str(tiny_model)  # from /v1/models
    docs = make_documents(120, seed=60, max_words=80)
    long_docs = [" ".join(make_documents(20, seed=s, min_words=40)) for s in (61, 62)]
    ranking = client.rank(QUERY, docs + long_docs, "Prefer code")
    ours = ranking.scores(len(docs + long_docs))
    reference = tiny_reranker.score(QUERY, docs + long_docs, "Prefer code")
    diff = max(abs(a - b) for a, b in zip(ours, reference))
    print(f"max |http - transformers| over {len(ours)} pairs: {diff:.2e}")
    assert diff <= 1e-4
    assert ranking.stats.tokens and ranking.stats.batches == 2


def test_server_rejects_an_unknown_model_clearly(server):
    from rerank_tui.rerank import RerankServerError
    from rerank_tui.rerank.http_backend import HttpReranker

    with pytest.raises(RerankServerError) as info:
        HttpReranker(server.url, "no-such-model", retries=0).score(QUERY, ["a"])
    assert server.url in str(info.value) and "no-such-model" in str(info.value), str(info.value)


def test_the_current_route_and_concurrency_give_the_same_scores(server, tiny_model):
    from rerank_tui.rerank.base import RankRequest
    from rerank_tui.rerank.http_backend import HttpReranker

    options = dict(max_length=512, tokenizer=tiny_model, batch_size=8)
    sequential = HttpReranker(server.url, concurrency=1, **options)
    parallel = HttpReranker(server.url, concurrency=4, **options)
    assert sequential.server_kind == "qwen3"  # the tiny model's folder name says nothing: the Qwen3 contract
    requests = [RankRequest(f"{QUERY} {i}", make_documents(20, seed=70 + i, max_words=80), "Prefer code") for i in range(8)]
    one = [r.scores(20) for r in sequential.rank_many(requests)]
    rankings = list(parallel.rank_many(requests))  # 4 queries at once, each of 3 batches at once
    many = [r.scores(20) for r in rankings]
    diff = max(abs(a - b) for xs, ys in zip(one, many) for a, b in zip(xs, ys))
    print(f"max |concurrency 4 - concurrency 1| over {20 * len(requests)} pairs: {diff:.2e}")
    assert diff <= 1e-5
    assert parallel.rerank_url == f"{server.url}/rerank"  # vLLM's current route, no fallback needed
    assert all(r.stats.tokens and r.stats.batches == 3 for r in rankings)  # usage: prompt_tokens
    older = HttpReranker(f"{server.url}/v1/rerank", **options)  # the deprecated route still answers
    assert older.score(*requests[0]) == pytest.approx(one[0], abs=1e-5)
    for client in (sequential, parallel, older):
        client.close()
