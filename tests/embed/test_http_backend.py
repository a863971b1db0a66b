"""The HTTP backend against a local `/v1/embeddings` server (127.0.0.1 only).

The server computes every vector with a real forward pass of the tiny model
(sentence-transformers loaded inside the server, as `vllm serve`/TEI would run it: texts
embedded as sent, no prompts added, the server's own max length), so "HTTP equals in-process"
compares two real computations, never made-up numbers.
"""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest

from rerank_tui.embed import DEFAULT_QUERY_INSTRUCTION, EmbedServerError, build_embedder
from rerank_tui.embed.http_backend import HttpEmbedder
from rerank_tui.embed.st_backend import SentenceTransformerEmbedder
from tests.rerank.helpers import make_documents
from tests.rerank.local_server import LocalServer, free_port, json_answer, raw_json, trickle

from .reference import min_cosine

AGREE = 1 - 1e-4
QUERIES = ["python dataloader worker error", "river history"]
FAST = {"backoff": 0.01, "backoff_max": 0.05}


def load_served(folder):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def served_bert(tiny_bert):
    return load_served(tiny_bert)


@pytest.fixture(scope="module")
def served_qwen(tiny_qwen3_embedding):
    return load_served(tiny_qwen3_embedding)


def embeddings_handler(model, name, *, mutate=None):
    """A stand-in for `vllm serve --runner pooling`: OpenAI's /v1/models and /v1/embeddings."""

    def handle(method, path, headers, body):
        if method == "GET" and path == "/v1/models":
            return json_answer({"object": "list", "data": [{"id": name, "object": "model"}]})
        if method == "POST" and path == "/v1/embeddings":
            request = json.loads(body)
            inputs = request["input"] if isinstance(request["input"], list) else [request["input"]]
            vectors = model.encode(inputs, prompt="", batch_size=len(inputs), convert_to_numpy=True,
                                   normalize_embeddings=True, show_progress_bar=False)
            ids = model.tokenizer(inputs, truncation=True, max_length=model.max_seq_length)["input_ids"]
            tokens = sum(len(x) for x in ids)
            if request.get("encoding_format") == "base64":
                items = [base64.b64encode(v.astype("<f4").tobytes()).decode() for v in vectors]
            else:
                items = [v.tolist() for v in vectors]
            data = {
                "object": "list",
                "model": request["model"],
                "data": [{"object": "embedding", "index": i, "embedding": e} for i, e in enumerate(items)],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
            if mutate is not None:
                return mutate(data)
            return json_answer(data)
        return json_answer({"detail": "Not Found"}, 404)

    return handle


def posts(server):
    return [r for r in server.requests if r[0] == "POST"]


def test_bert_vectors_match_in_process_with_the_folders_prompts(served_bert, tiny_bert, st_bert, monkeypatch):
    monkeypatch.setenv("RERANK_TUI_API_KEY", "sk-embed-1")
    with LocalServer(embeddings_handler(served_bert, "tiny-bert")) as server:
        client = HttpEmbedder(server.url, model_dir=tiny_bert, batch_size=5)  # model from /v1/models
        assert client.model == "tiny-bert" and client.dims == 32 and client.pooling == "mean"
        assert client.max_length == 256 and client.query_style == "prompt"
        docs = make_documents(13, seed=1)
        ours = client.embed_documents(docs)
        assert min_cosine(ours, st_bert.embed_documents(docs)) >= AGREE
        assert ours.dtype == np.float32 and np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-6)
        sent = posts(server)
        assert len(sent) == 1 + 3  # the dimension probe, then 13 texts in batches of 5
        assert all(r[2]["authorization"] == "Bearer sk-embed-1" for r in server.requests)
        body = json.loads(sent[1][3])
        assert body["model"] == "tiny-bert" and body["encoding_format"] == "float"
        assert all(t.startswith("passage: ") for t in body["input"])
        assert client.last_stats.tokens and client.last_stats.batches == 3
        queries = client.embed_queries(QUERIES)
        assert json.loads(posts(server)[-1][3])["input"][0].startswith("query: ")
        assert min_cosine(queries, st_bert.embed_queries(QUERIES)) >= AGREE
        assert client.identity == "http:tiny-bert" and client.device == "http" and client.thread_safe


def test_qwen3_embedding_vectors_and_instructions_match_in_process(served_qwen, tiny_qwen3_embedding, st_qwen):
    with LocalServer(embeddings_handler(served_qwen, "Qwen/Qwen3-Embedding-tiny")) as server:
        client = HttpEmbedder(server.url + "/v1/embeddings", "Qwen/Qwen3-Embedding-tiny", model_dir=tiny_qwen3_embedding)
        assert client.query_style == "instruct" and client.pooling == "lasttoken"
        docs = make_documents(9, seed=2)
        assert min_cosine(client.embed_documents(docs), st_qwen.embed_documents(docs)) >= AGREE
        assert json.loads(posts(server)[-1][3])["input"][0] in docs  # documents go in plain
        assert min_cosine(client.embed_queries(QUERIES), st_qwen.embed_queries(QUERIES)) >= AGREE
        task = "Given a question, retrieve code that answers it"
        ours = client.embed_queries(QUERIES, instruction=task)
        assert json.loads(posts(server)[-1][3])["input"][0] == f"Instruct: {task}\nQuery:{QUERIES[0]}"
        assert min_cosine(ours, st_qwen.embed_queries(QUERIES, instruction=task)) >= AGREE
        # without the folder, the served name alone selects the Qwen3-Embedding query form
        bare = HttpEmbedder(server.url, "Qwen/Qwen3-Embedding-tiny", dims=64)
        assert bare.query_style == "instruct" and bare.default_instruction == DEFAULT_QUERY_INSTRUCTION
        assert bare.max_length == 0 and bare.pooling == "server"
        assert min_cosine(bare.embed_queries(QUERIES), st_qwen.embed_queries(QUERIES)) >= AGREE


def test_client_side_truncation_matches_in_process(served_bert, served_qwen, tiny_bert, tiny_qwen3_embedding):
    long_docs = [" ".join(make_documents(8, seed=s, min_words=30)) for s in (4, 5, 6)]
    for served, folder in ((served_bert, tiny_bert), (served_qwen, tiny_qwen3_embedding)):
        local = SentenceTransformerEmbedder(str(folder), max_length=48)
        with LocalServer(embeddings_handler(served, "m")) as server:
            client = HttpEmbedder(server.url, "m", model_dir=folder, max_length=48)
            ours = client.embed_documents(long_docs)
            sent = json.loads(posts(server)[-1][3])["input"]
        assert all(len(s) < len(d) for s, d in zip(sorted(sent, key=len), sorted(long_docs, key=len)))
        assert min_cosine(ours, local.embed_documents(long_docs)) >= AGREE


def test_base64_answers(served_bert, tiny_bert, st_bert):
    with LocalServer(embeddings_handler(served_bert, "m")) as server:
        client = HttpEmbedder(server.url, "m", model_dir=tiny_bert, encoding_format="base64")
        docs = make_documents(4, seed=7)
        assert min_cosine(client.embed_documents(docs), st_bert.embed_documents(docs)) >= AGREE
        assert json.loads(posts(server)[-1][3])["encoding_format"] == "base64"


def test_answers_in_any_order_are_put_back_by_index(served_bert, tiny_bert, st_bert):
    def shuffle(data):
        data["data"] = data["data"][::-1]
        return json_answer(data)

    with LocalServer(embeddings_handler(served_bert, "m", mutate=shuffle)) as server:
        client = HttpEmbedder(server.url, "m", model_dir=tiny_bert)
        docs = make_documents(6, seed=8)
        assert min_cosine(client.embed_documents(docs), st_bert.embed_documents(docs)) >= AGREE


def _bad(kind):
    def mutate(data):
        items = data["data"]
        if kind == "count":
            data["data"] = items[:-1]
        elif kind == "duplicate":
            items[-1]["index"] = 0
        elif kind == "dims":
            items[0]["embedding"] = items[0]["embedding"][:-1]
        elif kind == "strings":
            items[0]["embedding"] = ["0.1"] * len(items[0]["embedding"])
        elif kind == "shape":
            data["data"] = {"0": items}
        elif kind == "nan":
            text = json.dumps(data).replace(json.dumps(items[0]["embedding"][0]), "NaN", 1)
            return raw_json(text)
        return json_answer(data)

    return mutate


@pytest.mark.parametrize(
    "kind,match",
    [
        ("count", "returned 2 vectors for 3 texts"),
        ("duplicate", "not an embeddings result"),
        ("dims", "dimensions"),
        ("strings", "not an embeddings result"),
        ("shape", "not an embeddings result"),
        ("nan", "NaN"),
    ],
)
def test_answers_that_break_the_contract_are_errors(served_bert, kind, match):
    with LocalServer(embeddings_handler(served_bert, "m", mutate=_bad(kind))) as server:
        client = HttpEmbedder(server.url, "m", dims=32)
        with pytest.raises(EmbedServerError, match=match):
            client.embed_documents(["a b", "c d e", "f"])


def test_dims_mismatch_with_the_declared_length(served_bert):
    with LocalServer(embeddings_handler(served_bert, "m")) as server:
        client = HttpEmbedder(server.url, "m", dims=64)
        with pytest.raises(EmbedServerError, match="32 dimensions, expected 64"):
            client.embed_documents(["a"])


def scripted(answers, fallback):
    """Answer POSTs from `answers` in turn, then with `fallback` (a handler)."""
    queue = list(answers)

    def handle(method, path, headers, body):
        if method == "POST" and queue:
            return queue.pop(0)
        return fallback(method, path, headers, body)

    return handle


def test_5xx_and_429_are_retried(served_bert, tiny_bert, st_bert):
    answers = [json_answer({"error": "busy"}, 503), json_answer({"error": "slow down"}, 429, {"Retry-After": "0.2"})]
    with LocalServer(scripted(answers, embeddings_handler(served_bert, "m"))) as server:
        client = HttpEmbedder(server.url, "m", model_dir=tiny_bert, dims=32, **FAST)
        out = client.embed_documents(["retried text"])
        assert len(posts(server)) == 3
        assert server.times[2] - server.times[1] >= 0.2  # Retry-After was honoured
        assert min_cosine(out, st_bert.embed_documents(["retried text"])) >= AGREE


def test_retry_after_past_the_deadline_fails_at_once(served_bert):
    answers = [json_answer({"error": "later"}, 429, {"Retry-After": "30"})]
    with LocalServer(scripted(answers, embeddings_handler(served_bert, "m"))) as server:
        client = HttpEmbedder(server.url, "m", dims=32, timeout=2, **FAST)
        started = time.monotonic()
        with pytest.raises(EmbedServerError, match="past the 2 s deadline"):
            client.embed_documents(["x"])
        assert time.monotonic() - started < 1


def test_retries_are_bounded(served_bert):
    answers = [json_answer({"error": "down"}, 500)] * 10
    with LocalServer(scripted(answers, embeddings_handler(served_bert, "m"))) as server:
        client = HttpEmbedder(server.url, "m", dims=32, retries=2, **FAST)
        with pytest.raises(EmbedServerError, match="HTTP 500"):
            client.embed_documents(["x"])
        assert len(posts(server)) == 3


@pytest.mark.parametrize(
    "status,body,match,hint",
    [
        (401, {"error": "no key"}, "refused the request", "RERANK_TUI_API_KEY"),
        (404, {"error": {"message": "The model `x` does not exist."}}, "does not exist", "served model"),
        (404, {"detail": "Not Found"}, "not an embeddings API", "vllm serve"),
        (400, {"error": {"message": "maximum context length is 512 tokens"}}, "maximum context length", "truncate"),
    ],
)
def test_client_errors_say_what_to_do(status, body, match, hint):
    with LocalServer(lambda *a: json_answer(body, status)) as server:
        client = HttpEmbedder(server.url, "x", dims=8)
        with pytest.raises(EmbedServerError, match=match) as caught:
            client.embed_documents(["a"])
        assert hint in caught.value.hint


def test_not_json_and_no_server():
    with LocalServer(lambda *a: (200, "text/html", b"<html>hello</html>")) as server:
        with pytest.raises(EmbedServerError, match="not JSON"):
            HttpEmbedder(server.url, "x", dims=8).embed_documents(["a"])
        with pytest.raises(EmbedServerError, match="not JSON"):
            HttpEmbedder(server.url)  # no model given: /v1/models must answer
    with LocalServer(lambda *a: json_answer({"models": []})) as server:
        with pytest.raises(EmbedServerError, match="model list"):
            HttpEmbedder(server.url)
    with pytest.raises(EmbedServerError, match="cannot reach"):
        HttpEmbedder(f"http://127.0.0.1:{free_port()}", "x", retries=1, **FAST)


def test_the_deadline_covers_a_trickling_answer():
    body = json.dumps({"data": [{"index": 0, "embedding": [1.0, 0.0]}]}).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    with LocalServer(lambda *a: trickle(head, body, 0.2, server.release)) as server:
        client = HttpEmbedder(server.url, "x", dims=2, timeout=1.0, retries=0)
        started = time.monotonic()
        with pytest.raises(EmbedServerError, match="within 1 s"):
            client.embed_documents(["a"])
        assert time.monotonic() - started < 2


def test_api_key_env_and_notes(served_bert, monkeypatch):
    monkeypatch.delenv("RERANK_TUI_API_KEY", raising=False)
    monkeypatch.setenv("MY_EMBED_KEY", "k2")
    with LocalServer(embeddings_handler(served_bert, "m")) as server:
        HttpEmbedder(server.url, "m", dims=32).embed_documents(["a"])
        assert "authorization" not in server.requests[-1][2]
        client = HttpEmbedder(server.url, "m", api_key_env="MY_EMBED_KEY", max_length=128)
        assert server.requests[-1][2]["authorization"] == "Bearer k2"
        assert client.max_length == 0 and "server's own limit" in client.notes[0]
        assert isinstance(build_embedder("auto", "m", url=server.url), HttpEmbedder)
    with pytest.raises(EmbedServerError, match="tokenizer.json"):
        HttpEmbedder("http://127.0.0.1:9", "m", dims=4, tokenizer="/nonexistent/tokenizer.json")
    with pytest.raises(ValueError):
        HttpEmbedder("http://127.0.0.1:9", "m", dims=4, timeout=0)
