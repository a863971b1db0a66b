"""The HTTP judge against a local OpenAI-compatible server computing real logprobs with the
tiny model: the same distributions as the in-process judge, and every failure one clear error."""

from __future__ import annotations

import json

import pytest

from rerank_tui.judge.errors import JudgeServerError
from rerank_tui.judge.http_judge import HttpJudge
from rerank_tui.judge.prompt import chatml
from rerank_tui.rerank.errors import RerankCancelled
from tests.rerank.helpers import QUERY, make_documents
from tests.rerank.local_server import LocalServer, free_port, json_answer

from .logprob_server import MODEL, LogprobHandler

GRADES = (0, 1, 2, 3)
VOCAB = 3000  # the tiny tokenizer's: top-k of the whole vocabulary has every grade token


@pytest.fixture(scope="module")
def handler(reference):
    return LogprobHandler(reference)


@pytest.fixture(scope="module")
def server(handler):
    with LocalServer(handler) as srv:
        yield srv


def docs() -> list[str]:
    out = make_documents(9, seed=21, max_words=100)
    out.append('{query} {"x": 1} \x01 {passage}')
    out.append(" ".join(make_documents(50, seed=22, min_words=40)))  # cut to 4000 characters
    return out


def max_diff(xs, ys) -> float:
    return max(abs(a - b) for x, y in zip(xs, ys) for a, b in zip(x.probs, y.probs))


@pytest.mark.parametrize(("endpoint", "concurrency"), [("completions", 2), ("chat", 4), ("chat", 1)])
def test_equals_the_in_process_judge(server, handler, tiny_judge, endpoint, concurrency):
    judge = HttpJudge(server.url, endpoint=endpoint, grades=GRADES, top_logprobs=VOCAB, batch_size=4, concurrency=concurrency)
    passages = docs()
    got = judge.judge(QUERY, passages)
    want = tiny_judge.judge(QUERY, passages)
    assert max_diff(got, want) <= 1e-5
    assert all(g.missing == 0 and g.mass == pytest.approx(w.mass, rel=1e-4) for g, w in zip(got, want))
    assert [g.argmax for g in got] == [w.argmax for w in want]
    last = handler.payloads[-1]
    assert last["max_tokens"] == 1 and last["temperature"] == 0 and last["model"] == MODEL
    if endpoint == "completions":
        assert isinstance(last["prompt"], list) and all(p.startswith("<|im_start|>user\n") for p in last["prompt"])
    judge.close()


def test_the_completions_prompt_is_chatml_of_the_message(server, handler):
    judge = HttpJudge(server.url, grades=GRADES, top_logprobs=VOCAB)
    judge.judge(QUERY, ["one passage"])
    assert handler.payloads[-1]["prompt"] == [chatml(judge.messages(QUERY, ["one passage"])[0])]
    assert handler.payloads[-1]["logprobs"] == VOCAB


def _grade_ranks(handler, text: str) -> list[int]:
    """The 1-based rank of each grade token among the server's top logprobs (distinct token
    texts, most probable first)."""
    order = [token for token, _ in handler.top(text, VOCAB)]
    return [order.index(str(g)) + 1 for g in GRADES]


def test_a_grade_outside_the_top_k_is_missing_and_the_rest_renormalised(server, handler, tiny_judge):
    passage = make_documents(1, seed=23)[0]
    text = chatml(tiny_judge.messages(QUERY, [passage])[0])
    ranks = _grade_ranks(handler, text)
    worst = max(ranks)
    k = worst - 1  # every grade token but the least probable one
    (d,) = HttpJudge(server.url, grades=GRADES, top_logprobs=k).judge(QUERY, [passage])
    (full,) = tiny_judge.judge(QUERY, [passage])
    gone = ranks.index(worst)
    assert d.missing == 1 and d.probs[gone] == 0.0
    kept = sum(p for i, p in enumerate(full.probs) if i != gone)
    for i in range(4):
        if i != gone:
            assert d.probs[i] == pytest.approx(full.probs[i] / kept, abs=1e-5)
    assert d.mass < full.mass


def test_no_grade_token_in_the_top_k_gives_none(server, handler, tiny_judge):
    passage = make_documents(1, seed=24)[0]
    best = min(_grade_ranks(handler, chatml(tiny_judge.messages(QUERY, [passage])[0])))
    assert best > 1  # the random model's favourite next token is not a digit
    for endpoint in ("completions", "chat"):
        assert HttpJudge(server.url, endpoint=endpoint, grades=GRADES, top_logprobs=best - 1).judge(QUERY, [passage]) == [None]


def test_the_served_model_is_discovered(server):
    judge = HttpJudge(f"{server.url}/v1/", endpoint="chat", grades=GRADES)
    assert judge.model == judge.model_name == MODEL
    assert judge.identity == f"http:{server.url}:{MODEL}:chat" and judge.device == "http"


def test_an_unknown_model_is_named(server):
    with pytest.raises(JudgeServerError) as info:
        HttpJudge(server.url, model="nope", grades=GRADES, retries=0).judge(QUERY, ["p"])
    assert "nope" in str(info.value) and "404" in str(info.value)


def _serve(answer):
    return LocalServer(lambda method, path, headers, body: answer(path, json.loads(body) if body else None))


def test_a_server_error_is_one_clear_error():
    with _serve(lambda path, body: json_answer({"error": {"message": "engine died"}}, 500)) as srv:
        with pytest.raises(JudgeServerError) as info:
            HttpJudge(srv.url, model="m", grades=GRADES, retries=1, timeout=5, top_logprobs=5).judge(QUERY, ["p"])
    message = str(info.value)
    assert "HTTP 500" in message and "engine died" in message and srv.url in message and "check the server log" in message
    assert "\n" not in message


def test_a_logprobs_limit_says_how_to_raise_it():
    def answer(path, body):
        return json_answer({"error": {"message": "Requested logprobs of 50, which is greater than max allowed: 20"}}, 400)

    with _serve(answer) as srv, pytest.raises(JudgeServerError, match="--max-logprobs 50"):
        HttpJudge(srv.url, model="m", grades=GRADES, top_logprobs=50).judge(QUERY, ["p"])


def test_a_silent_server_times_out():
    holder = {}

    def answer(path, body):
        holder["srv"].release.wait(10)
        return json_answer({})

    with _serve(answer) as srv:
        holder["srv"] = srv
        judge = HttpJudge(srv.url, model="m", grades=GRADES, timeout=0.5, retries=0)
        with pytest.raises(JudgeServerError, match=r"did not answer within 0.5 s"):
            judge.judge(QUERY, ["p"])


@pytest.mark.parametrize(
    "body",
    [{"choices": [{"index": 0, "text": "3", "logprobs": None}]}, {"choices": []}, {"result": "3"}, [1, 2]],
)
def test_an_answer_without_logprobs_is_refused(body):
    with _serve(lambda path, _: json_answer(body)) as srv, pytest.raises(JudgeServerError) as info:
        HttpJudge(srv.url, model="m", grades=GRADES).judge(QUERY, ["p"])
    assert "logprobs" in str(info.value) or "choices" in str(info.value)


def test_not_json_and_no_server():
    with _serve(lambda path, _: (200, "text/html", b"<html>hello</html>")) as srv, pytest.raises(JudgeServerError, match="not JSON"):
        HttpJudge(srv.url, model="m", grades=GRADES).judge(QUERY, ["p"])
    with pytest.raises(JudgeServerError, match="cannot reach"):
        HttpJudge(f"http://127.0.0.1:{free_port()}", grades=GRADES, retries=0)  # /v1/models


def test_the_api_key_is_sent(server):
    judge = HttpJudge(server.url, grades=GRADES, api_key="s3cret", top_logprobs=VOCAB)
    judge.judge(QUERY, ["p"])
    assert server.requests[-1][2]["authorization"] == "Bearer s3cret"


def test_cancel_stops_the_requests(server):
    judge = HttpJudge(server.url, endpoint="chat", grades=GRADES, concurrency=2, top_logprobs=VOCAB)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(RerankCancelled):
        judge.judge(QUERY, make_documents(40, seed=25), cancel=cancel)
    judge.close()


def test_build_judge_with_a_url(server):
    from rerank_tui.judge import build_judge

    judge = build_judge(None, url=server.url, endpoint="chat", grades=GRADES, device="cuda", top_logprobs=7, timeout=3)
    assert isinstance(judge, HttpJudge) and judge.top_logprobs == 7 and judge.model == MODEL
    assert any("device" in n for n in judge.notes)
