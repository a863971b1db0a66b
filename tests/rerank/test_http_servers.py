"""The HTTP backend against the rerank APIs it meets (fakes on 127.0.0.1): vLLM's routes old and
new, usage in both shapes, plain (non-Qwen3) servers in the Jina/Cohere and TEI shapes, the
score cache keyed by server, and requests in flight at once (--concurrency)."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import pytest

from rerank_tui.rerank import RerankCancelled, RerankServerError, ScoreCache, build_reranker
from rerank_tui.rerank.base import RankRequest, rank_many
from rerank_tui.rerank.http_backend import HttpReranker
from rerank_tui.rerank.prompt import document_side, query_side
from rerank_tui.rerank.score_cache import CachedReranker, cache_keys

from .helpers import QUERY
from .local_server import InFlight, LocalServer, json_answer

QWEN3_QUERY_START = "<|im_start|>system\n"


def fake_score(query: str, document: str, salt: str = "") -> float:
    """A deterministic "score" in [0, 1) for a pair."""
    digest = hashlib.sha1(f"{salt}\x00{query}\x00{document}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def qwen3_score(query: str, document: str, salt: str = "") -> float:
    """What the fake answers for a Qwen3 client's prompt of (query, document)."""
    return fake_score(query_side(query), document_side(document), salt)


def rerank_api(
    *,
    routes=("/rerank", "/v1/rerank"),
    model="served-model",
    usage=None,
    salt="",
    in_flight: InFlight | None = None,
    delay: float = 0.0,
    scale=lambda s: s,
):
    """A Jina/Cohere/vLLM-style server: `{"model", "query", "documents"}` → `{"results"}`."""

    def handle(method, path, headers, body):
        if method == "GET" and path == "/v1/models":
            return json_answer({"object": "list", "data": [{"id": model, "object": "model"}]})
        if method != "POST" or path not in routes:
            return json_answer({"detail": "Not Found"}, 404)
        request = json.loads(body)
        with in_flight if in_flight is not None else _nothing():
            if delay:
                time.sleep(delay)
        results = [
            {"index": i, "relevance_score": scale(fake_score(request["query"], d, salt))}
            for i, d in enumerate(request["documents"])
        ]
        results.sort(key=lambda r: -r["relevance_score"])
        answer = {"id": "rerank-1", "model": request.get("model"), "results": results}
        if usage is not None:
            answer["usage"] = usage(request)
        return json_answer(answer)

    return handle


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def tei(model_id="BAAI/bge-reranker-base", tokens_header=True):
    """text-embeddings-inference: no /v1/models, `/info`, `/rerank` taking `{"query", "texts"}`
    and answering a bare list `[{"index", "score"}]` (tokens in `x-compute-tokens`)."""

    def handle(method, path, headers, body):
        if method == "GET" and path == "/info":
            return json_answer({"model_id": model_id, "model_type": {"reranker": {"id2label": {"0": "LABEL_0"}}}})
        if method == "POST" and path == "/rerank":
            request = json.loads(body)
            if "texts" not in request:
                return 422, "text/plain", b"Failed to deserialize the JSON body into the target type: missing field `texts` at line 1 column 80"
            ranks = [{"index": i, "score": fake_score(request["query"], t)} for i, t in enumerate(request["texts"])]
            ranks.sort(key=lambda r: -r["score"])
            extra = {"x-compute-tokens": str(7 * len(request["texts"]))} if tokens_header else {}
            return json_answer(ranks, headers=extra)
        return 404, "text/plain", b""

    return handle


def posts(server) -> list[tuple[str, dict]]:
    return [(r[1], json.loads(r[3])) for r in server.requests if r[0] == "POST"]


# -- routes -----------------------------------------------------------------------------------
def test_the_current_route_is_tried_first():
    with LocalServer(rerank_api()) as server:
        client = HttpReranker(server.url, "m")
        client.score(QUERY, ["a", "b"])
        client.score(QUERY, ["c"])
        assert [path for path, _ in posts(server)] == ["/rerank", "/rerank"]
        assert client.rerank_url == f"{server.url}/rerank"
        client.close()


def test_an_older_server_falls_back_to_v1_rerank_once_and_remembers():
    with LocalServer(rerank_api(routes=("/v1/rerank",))) as server:
        client = HttpReranker(server.url, "m", batch_size=2, concurrency=4)
        scores = client.score(QUERY, list("abcdefgh"))  # 4 batches at once: each may try /rerank first
        assert scores == [qwen3_score(QUERY, d) for d in "abcdefgh"]
        first = len(posts(server))
        client.score(QUERY, ["x"])
        paths = [path for path, _ in posts(server)]
        assert 1 <= paths.count("/rerank") <= 4 and paths.count("/v1/rerank") == 5
        assert paths[first:] == ["/v1/rerank"] and client.rerank_url == f"{server.url}/v1/rerank"  # remembered
        client.close()


def test_a_model_404_is_not_a_missing_route():
    missing = json_answer({"error": {"message": "The model `nope` does not exist.", "type": "NotFoundError", "code": 404}}, 404)
    with LocalServer(lambda *request: missing) as server:
        with pytest.raises(RerankServerError, match="The model `nope` does not exist") as info:
            HttpReranker(server.url, "nope").score(QUERY, ["a"])
        assert len(server.requests) == 1 and f"{server.url}/rerank" in str(info.value)


def test_an_explicit_endpoint_is_used_as_given():
    with LocalServer(rerank_api(routes=("/v2/rerank",))) as server:
        client = HttpReranker(f"{server.url}/v2/rerank", "rerank-v3.5")
        client.score(QUERY, ["a"])
        assert [path for path, _ in posts(server)] == ["/v2/rerank"]


# -- usage ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (lambda r: {"prompt_tokens": 11 * len(r["documents"]), "total_tokens": 11 * len(r["documents"])}, 11 * 5),  # vLLM now
        (lambda r: {"total_tokens": 13 * len(r["documents"])}, 13 * 5),  # older vLLM, Jina
        (lambda r: {"prompt_tokens": "many"}, None),
        (None, None),  # Cohere: billed units, no tokens
    ],
)
def test_usage_in_either_shape(usage, expected):
    with LocalServer(rerank_api(usage=usage)) as server:
        ranking = HttpReranker(server.url, "m", batch_size=2).rank(QUERY, list("abcde"))
    assert ranking.stats.tokens == expected and ranking.stats.batches == 3


# -- kinds: qwen3 or plain --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("Qwen/Qwen3-Reranker-0.6B", "qwen3"),
        ("/models/qwen3-reranker-8b-finetune", "qwen3"),
        ("/srv/checkpoints/step-1200", "qwen3"),  # nothing known: the Qwen3 contract, as before
        ("BAAI/bge-reranker-v2-m3", "plain"),
        ("jinaai/jina-reranker-v2-base-multilingual", "plain"),
        ("rerank-v3.5", "plain"),
        ("cross-encoder/ms-marco-MiniLM-L6-v2", "plain"),
        ("mixedbread-ai/mxbai-rerank-large-v2", "plain"),
    ],
)
def test_auto_kind_from_the_served_model(model, kind):
    assert HttpReranker("http://127.0.0.1:9", model).server_kind == kind


def test_a_plain_server_gets_the_query_and_documents_as_they_are():
    logits = lambda s: 8 * s - 4  # noqa: E731 - a cross-encoder's raw scores: not in [0, 1]
    with LocalServer(rerank_api(model="BAAI/bge-reranker-v2-m3", scale=logits, usage=lambda r: {"total_tokens": 9})) as server:
        reranker = build_reranker("http", url=server.url, cache=False)  # auto: from /v1/models
        scores = reranker.score(QUERY, ["doc one", "doc two"], "Prefer code")
        [(path, sent)] = posts(server)
    assert sent == {"model": "BAAI/bge-reranker-v2-m3", "query": QUERY, "documents": ["doc one", "doc two"], "top_n": 2}
    assert scores == [logits(fake_score(QUERY, "doc one")), logits(fake_score(QUERY, "doc two"))]
    assert reranker.label == "bge-reranker-v2-m3 · http plain" and reranker.score_label == "score"
    assert reranker.identity == f"http-plain:BAAI/bge-reranker-v2-m3@{server.url}"
    [note] = reranker.notes
    assert "without the Qwen3 prompt or any instruction" in note and "--server-kind qwen3" in note


def test_qwen3_can_be_forced_and_then_scores_must_be_probabilities():
    with LocalServer(rerank_api(model="BAAI/bge-reranker-v2-m3", scale=lambda s: s + 2)) as server:
        client = HttpReranker(server.url, server_kind="qwen3")
        with pytest.raises(RerankServerError, match="not a probability") as info:
            client.score(QUERY, ["a"])
        [(_, sent)] = posts(server)
    assert sent["query"].startswith(QWEN3_QUERY_START) and "--server-kind plain" in str(info.value)
    assert client.label.endswith("· http") and client.score_label == "p(yes)" and client.notes == ()


def test_plain_can_be_forced_on_any_model_and_says_so():
    with LocalServer(rerank_api()) as server:
        client = HttpReranker(server.url, "/srv/checkpoints/step-1200", server_kind="plain")
        client.score(QUERY, ["a"], "an instruction")
        [(_, sent)] = posts(server)
    assert sent["query"] == QUERY and client.label == "step-1200 · http plain"
    assert client.notes and "(" not in client.notes[0].split(":")[0]  # forced: no "is not Qwen3-Reranker" reason


@pytest.mark.parametrize("non_finite", ["NaN", "Infinity"])
def test_a_plain_server_still_may_not_send_non_numbers(non_finite):
    body = '{"results": [{"index": 0, "relevance_score": %s}]}' % non_finite
    with LocalServer(lambda *request: (200, "application/json", body.encode())) as server:
        with pytest.raises(RerankServerError, match="not a finite number"):
            HttpReranker(server.url, "bge-reranker-base").score(QUERY, ["a"])


def test_tei_is_found_by_its_info_and_spoken_to_in_its_shape():
    with LocalServer(tei()) as server:
        reranker = build_reranker("http", url=server.url, cache=False)
        ranking = reranker.rank(QUERY, ["first", "second", "third"], "ignored instruction")
        [(path, sent)] = posts(server)
    assert [r[1] for r in server.requests if r[0] == "GET"] == ["/v1/models", "/info"]
    assert path == "/rerank" and sent == {"query": QUERY, "texts": ["first", "second", "third"], "truncate": True}
    assert ranking.scores(3) == [fake_score(QUERY, t) for t in ("first", "second", "third")]
    assert ranking.stats.tokens == 21  # from x-compute-tokens
    assert reranker.label == "bge-reranker-base · http plain" and reranker.identity.startswith("http-plain:BAAI/bge-reranker-base@")


def test_tei_with_a_given_model_is_found_by_its_answer_once():
    with LocalServer(tei(tokens_header=False)) as server:
        client = HttpReranker(f"{server.url}/rerank", "BAAI/bge-reranker-base", batch_size=2)
        first = client.score(QUERY, ["a", "b", "c"])
        client.score(QUERY, ["d"])
        shapes = ["texts" in sent for _, sent in posts(server)]
    assert first == [fake_score(QUERY, t) for t in "abc"]
    # A 422 asking for `texts` for each batch sent before the first answer (the first call's two
    # batches go out together), then TEI's shape only.
    assert 1 <= shapes.count(False) <= 2 and shapes.count(True) == 3 and shapes[-1] is True


# -- the score cache, keyed by server ----------------------------------------------------------
def test_two_servers_under_one_model_name_do_not_share_scores(tmp_path):
    cache = ScoreCache(tmp_path / "scores.sqlite")
    with LocalServer(rerank_api(salt="a")) as a, LocalServer(rerank_api(salt="b")) as b:
        from_a = build_reranker("http", "shared-name", url=a.url, cache=cache).score(QUERY, ["x", "y"])
        from_b = build_reranker("http", "shared-name", url=b.url, cache=cache).score(QUERY, ["x", "y"])
        again_a = build_reranker("http", "shared-name", url=a.url + "/v1/", cache=cache).rank(QUERY, ["x", "y"])
        assert len(posts(a)) == 1 and len(posts(b)) == 1  # b was asked; a's second look was all hits
    assert from_a == [qwen3_score(QUERY, d, "a") for d in "xy"] and from_b == [qwen3_score(QUERY, d, "b") for d in "xy"]
    assert again_a.scores(2) == from_a and again_a.stats.cache_hits == 2


def test_entries_from_before_the_url_was_in_the_key_are_never_hit(tmp_path):
    cache = ScoreCache(tmp_path / "scores.sqlite")
    old_identity = "http:shared-name"  # what the key named before
    with LocalServer(rerank_api()) as server:
        reranker = build_reranker("http", "shared-name", url=server.url, cache=cache)
        cache.put_many((k, 0.123) for k in cache_keys(old_identity, reranker.max_length, None, QUERY, ["x"]))
        [score] = reranker.score(QUERY, ["x"])
        assert len(posts(server)) == 1 and score != 0.123


def test_the_url_is_normalised_in_the_identity():
    forms = ["HTTP://LocalHost:8000/", "http://localhost:8000/v1", "http://user:secret@localhost:8000/v1/rerank"]
    assert {HttpReranker(url, "m").identity for url in forms} == {"http:m@http://localhost:8000"}
    assert HttpReranker("https://api.example.com:443/v1", "m").identity == "http:m@https://api.example.com"


def test_a_plain_cache_entry_serves_every_instruction(tmp_path):
    with LocalServer(rerank_api(model="bge-reranker-base")) as server:
        reranker = build_reranker("http", url=server.url, cache=tmp_path / "scores.sqlite")
        first = reranker.rank(QUERY, ["x", "y"], "one instruction")
        second = reranker.rank(QUERY, ["x", "y"], "another one")
        assert len(posts(server)) == 1
    assert isinstance(reranker, CachedReranker) and not reranker.uses_instruction
    assert second.stats.cache_hits == 2 and second.scores(2) == first.scores(2)


# -- requests in flight at once ----------------------------------------------------------------
def many_queries(n: int = 8, docs: int = 3) -> list[RankRequest]:
    return [RankRequest(f"query {q}", [f"doc {q}.{d}" for d in range(docs)], None) for q in range(n)]


@pytest.mark.parametrize(("concurrency", "overlap"), [(1, False), (4, True)])
def test_many_queries_go_concurrently(concurrency, overlap):
    counter = InFlight()
    with LocalServer(rerank_api(in_flight=counter, delay=0.15)) as server:
        client = HttpReranker(server.url, "m", concurrency=concurrency)
        rankings = list(client.rank_many(many_queries()))
        client.close()
    assert (counter.most > 1) is overlap and counter.most <= concurrency
    for request, ranking in zip(many_queries(), rankings):  # in order, each its own query's
        assert ranking.scores(len(request.documents)) == [qwen3_score(request.query, d) for d in request.documents]


@pytest.mark.parametrize(("concurrency", "overlap"), [(1, False), (4, True)])
def test_one_long_list_sends_its_batches_concurrently(concurrency, overlap):
    counter = InFlight()
    docs = [f"document {i}" for i in range(16)]
    with LocalServer(rerank_api(in_flight=counter, delay=0.15)) as server:
        client = HttpReranker(server.url, "bge-reranker-base", batch_size=4, concurrency=concurrency)
        ranking = client.rank(QUERY, docs)
        client.close()
    assert (counter.most > 1) is overlap and counter.most <= concurrency
    assert ranking.scores(16) == [fake_score(QUERY, d) for d in docs] and ranking.stats.batches == 4


def test_in_flight_never_passes_the_concurrency_from_every_side():
    counter = InFlight()
    with LocalServer(rerank_api(in_flight=counter, delay=0.05)) as server:
        client = HttpReranker(server.url, "bge-reranker-base", batch_size=2, concurrency=2)
        long = [RankRequest(f"q{q}", [f"d{d}" for d in range(6)]) for q in range(6)]  # 3 batches each
        threads = [threading.Thread(target=lambda: list(client.rank_many(long))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        client.close()
    assert counter.most == 2 and len(posts(server)) == 2 * 6 * 3


def test_rank_many_stops_sending_once_cancelled():
    counter = InFlight()
    cancelled = threading.Event()
    with LocalServer(rerank_api(in_flight=counter, delay=0.1)) as server:
        client = HttpReranker(server.url, "m", concurrency=2)
        seen = 0
        with pytest.raises(RerankCancelled):
            for _ in client.rank_many(many_queries(30), cancel=cancelled.is_set):
                seen += 1
                cancelled.set()
        client.close()
        sent = len(posts(server))
    assert seen == 1 and sent < 30


def test_an_error_in_one_query_is_raised_in_its_place():
    def handle(method, path, headers, body):
        if b"query 3" in body:
            return json_answer({"error": "bad"}, 400)
        return rerank_api()(method, path, headers, body)

    with LocalServer(handle) as server:
        client = HttpReranker(server.url, "m", concurrency=4)
        got = []
        with pytest.raises(RerankServerError, match="HTTP 400"):
            for ranking in client.rank_many(many_queries(8)):
                got.append(ranking)
        client.close()
    assert len(got) == 3


def test_rank_many_works_for_any_reranker_and_through_the_cache(tmp_path):
    counter = InFlight()
    with LocalServer(rerank_api(in_flight=counter, delay=0.1)) as server:
        cached = build_reranker("http", "m", url=server.url, cache=tmp_path / "s.sqlite", concurrency=4)
        assert cached.parallel_calls == 4
        first = [r.scores(3) for r in rank_many(cached, many_queries())]
        assert counter.most > 1
        again = list(rank_many(cached, many_queries()))
        assert [r.scores(3) for r in again] == first and all(r.stats.cache_hits == 3 for r in again)
        cached.close()


def test_evaluate_ranks_queries_concurrently():
    from rerank_tui.corpus.passage import Passage
    from rerank_tui.recall.index import Hit
    from rerank_tui.session.evaluation import evaluate

    hits = {f"q{i}": [Hit(r, 10.0 - r, r, Passage(f"d{i}.{r}", f"d{i}.{r}", "", f"text {i} {r}")) for r in range(1, 6)] for i in range(8)}
    counter = InFlight()
    with LocalServer(rerank_api(in_flight=counter, delay=0.1)) as server:
        reranker = HttpReranker(server.url, "m", concurrency=4)
        done = []
        results = evaluate(
            None, [(qid, f"query {qid}") for qid in hits], {qid: {f"d{qid[1:]}.1": 1} for qid in hits}, [("default", None)],
            reranker=reranker, metrics=["nDCG@10"], depth=5, rerank_depth=5,
            progress=lambda d, t, n: done.append(d), hits_of=lambda qid, text, k: hits[qid][:k],
        )
        reranker.close()
    assert counter.most > 1 and done == list(range(1, 9))
    [bm25, system] = results
    assert list(system.run) == list(hits) and all(len(run) == 5 for run in system.run.values())
