"""The HTTP backend against servers started here on 127.0.0.1 (never anywhere else)."""

from __future__ import annotations

import json
import time

import pytest

from rerank_tui import http_deadline
from rerank_tui.rerank import RerankServerError, build_reranker
from rerank_tui.rerank.http_backend import HttpReranker

from .helpers import QUERY, make_documents
from .local_server import LocalServer, free_port, json_answer
from .reference import Reference


@pytest.fixture(scope="module")
def ref(tiny_model):
    return Reference(tiny_model)


@pytest.fixture
def rerank_server(ref, tiny_model):
    """A stand-in for `vllm serve`: scores query + document with the reference model and
    answers like vLLM (results sorted by score, usage counted)."""

    def handle(method, path, headers, body):
        if method == "GET" and path == "/v1/models":
            return json_answer({"object": "list", "data": [{"id": str(tiny_model), "object": "model"}]})
        if method == "POST" and path in ("/rerank", "/v1/rerank"):  # vLLM serves both
            request = json.loads(body)
            ids = [ref.tokenizer(request["query"] + d, add_special_tokens=False)["input_ids"] for d in request["documents"]]
            results = [
                {"index": i, "document": {"text": d}, "relevance_score": ref.score_ids(x)}
                for i, (d, x) in enumerate(zip(request["documents"], ids))
            ]
            results.sort(key=lambda r: -r["relevance_score"])
            usage = sum(len(x) for x in ids)
            return json_answer({"id": "rerank-1", "model": request["model"], "usage": {"prompt_tokens": usage, "total_tokens": usage}, "results": results})
        return json_answer({"detail": "Not Found"}, 404)

    with LocalServer(handle) as server:
        yield server


def test_scores_match_in_process_and_keep_input_order(rerank_server, tiny_model, tiny_reranker, monkeypatch):
    monkeypatch.setenv("RERANK_TUI_API_KEY", "sk-test-123")
    client = HttpReranker(rerank_server.url, batch_size=7)  # model from /v1/models
    assert rerank_server.requests[0][:2] == ("GET", "/v1/models") and client.model == str(tiny_model)
    docs = make_documents(15, seed=20)
    ranking = client.rank(QUERY, docs, "Prefer code")
    ours = ranking.scores(len(docs))
    local = tiny_reranker.score(QUERY, docs, "Prefer code")
    assert max(abs(a - b) for a, b in zip(ours, local)) <= 1e-5
    posts = [r for r in rerank_server.requests if r[0] == "POST"]
    assert len(posts) == 3 and ranking.stats.batches == 3
    assert all(r[2]["authorization"] == "Bearer sk-test-123" for r in posts)
    sent = [json.loads(post[3]) for post in posts]  # batches go out concurrently: in any order
    assert all(s["query"].endswith("<Instruct>: Prefer code\n<Query>: python dataloader worker error\n") for s in sent)
    documents = [d for s in sent for d in s["documents"]]
    assert f"<Document>: {docs[0]}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n" in documents
    assert len(documents) == len(docs)
    assert ranking.stats.tokens and ranking.stats.tokens > 15 * 50
    ranked = client.rank(QUERY, docs, "Prefer code", top_k=3).results
    assert [r.index for r in ranked] == sorted(range(15), key=lambda i: -local[i])[:3]
    assert client.device == "http" and client.thread_safe


def test_client_side_truncation_matches_in_process(rerank_server, tiny_model, tiny_reranker):
    client = HttpReranker(rerank_server.url, str(tiny_model), max_length=512, tokenizer=tiny_model)
    long_docs = [" ".join(make_documents(20, seed=s, min_words=40)) for s in (21, 22)]
    ours = client.score(QUERY, long_docs)
    local = tiny_reranker.score(QUERY, long_docs)  # max_length 512 as well
    assert max(abs(a - b) for a, b in zip(ours, local)) <= 1e-5


def test_api_key_is_not_sent_when_unset(rerank_server, monkeypatch, tiny_model):
    monkeypatch.delenv("RERANK_TUI_API_KEY", raising=False)
    monkeypatch.setenv("MY_KEY", "k2")
    HttpReranker(rerank_server.url, "m", api_key_env="MY_KEY").score(QUERY, ["a"])
    HttpReranker(rerank_server.url, "m").score(QUERY, ["a"])
    assert [r[2].get("authorization") for r in rerank_server.requests] == ["Bearer k2", None]


def test_refused_connection_names_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    client = HttpReranker(url, "m", retries=2, backoff=0.01)
    started = time.monotonic()
    with pytest.raises(RerankServerError) as info:
        client.score(QUERY, ["a"])
    assert f"{url}/rerank" in str(info.value) and "refused" in str(info.value)
    assert "hint:" in str(info.value)
    assert time.monotonic() - started < 5


def test_model_lookup_on_a_dead_server_fails_at_build():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RerankServerError, match="127.0.0.1"):
        build_reranker("http", url=url, cache=False, retries=0)


def test_stalled_server_times_out_within_the_one_deadline():
    def stall(method, path, headers, body):
        server.release.wait(10)
        return json_answer({})

    with LocalServer(stall) as server:
        client = HttpReranker(server.url, "m", timeout=0.3, retries=1, backoff=0.01)
        started = time.monotonic()
        with pytest.raises(RerankServerError) as info:
            client.score(QUERY, ["a"])
        assert server.url in str(info.value) and "did not answer within 0.3 s (1 try)" in str(info.value)
        # the timeout bounds the call, retries included: the stall used it all up
        assert len(server.requests) == 1 and time.monotonic() - started < 0.3 + 1.5


def test_5xx_is_retried_with_jittered_exponential_backoff_then_reported(monkeypatch):
    sleeps = []
    monkeypatch.setattr(http_deadline.time, "sleep", sleeps.append)
    with LocalServer(lambda *a: (503, "text/plain", b"busy")) as server:
        client = HttpReranker(server.url, "m", retries=3, backoff=0.5, backoff_max=1.5)
        with pytest.raises(RerankServerError) as info:
            client.score(QUERY, ["a"])
    assert len(server.requests) == 4 and len(sleeps) == 3
    assert all(0 <= wait <= cap for wait, cap in zip(sleeps, [0.5, 1.0, 1.5]))  # full jitter
    assert "HTTP 503" in str(info.value) and server.url in str(info.value)


def test_a_retry_that_succeeds_is_invisible(monkeypatch, ref):
    monkeypatch.setattr(http_deadline.time, "sleep", lambda s: None)
    answers = iter([(502, "text/plain", b"bad gateway"), json_answer({"results": [{"index": 0, "relevance_score": 0.75}]})])
    with LocalServer(lambda *a: next(answers)) as server:
        assert HttpReranker(server.url, "m").score(QUERY, ["a"]) == [0.75]
        assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((200, "text/html", b"<html><body>Welcome to nginx!</body></html>"), "not JSON"),
        ((200, "text/plain", b"garbage \x00\x01"), "not JSON"),
        ((404, "application/json", b'{"detail": "Not Found"}'), "404: not a rerank API"),
        ((200, "application/json", b'{"object": "list", "data": []}'), "not a rerank result"),
        ((200, "application/json", b'{"results": [{"index": 0, "relevance_score": 0.5}]}'), "1 scores for 2 documents"),
        ((400, "application/json", b'{"error": "too long"}'), "HTTP 400"),
        ((404, "application/json", b'{"error": {"message": "The model `m` does not exist."}}'), "The model `m` does not exist"),
        ((401, "application/json", b'{"error": "bad key"}'), "RERANK_TUI_API_KEY"),
    ],
)
def test_answers_that_are_not_the_rerank_api(answer, expected):
    with LocalServer(lambda *a: answer) as server:
        client = HttpReranker(server.url, "m", retries=3, backoff=0.01)
        with pytest.raises(RerankServerError) as info:
            client.score(QUERY, ["a", "b"])
        assert expected in str(info.value) and server.url in str(info.value)
        # client errors are not retried; a bare 404 is: once, on the older route /v1/rerank
        unknown_route = answer[0] == 404 and b"model" not in answer[2]
        assert [r[1] for r in server.requests] == (["/rerank", "/v1/rerank"] if unknown_route else ["/rerank"])


def test_base_url_forms_are_normalised():
    for url in ("http://127.0.0.1:9", "http://127.0.0.1:9/", "http://127.0.0.1:9/v1"):
        client = HttpReranker(url, "m")
        assert client.base_url == "http://127.0.0.1:9" and client.rerank_url == "http://127.0.0.1:9/rerank"
    for endpoint in ("http://127.0.0.1:9/v1/rerank", "http://127.0.0.1:9/v2/rerank", "http://127.0.0.1:9/rerank"):
        client = HttpReranker(endpoint + "/", "m")  # a full endpoint is used as it is
        assert client.base_url == "http://127.0.0.1:9" and client.rerank_url == endpoint
