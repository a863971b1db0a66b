"""The HTTP backend against misbehaving servers on 127.0.0.1: one deadline per request, honest
retries, and scores that are probabilities or an error.

Timings are asserted only as generous upper bounds (the deadline plus a margin), except where a
sleep the client must have made gives a safe lower bound.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from rerank_tui import http_deadline
from rerank_tui.rerank import RerankServerError
from rerank_tui.rerank import http_backend
from rerank_tui.http_deadline import retry_after as _retry_after
from rerank_tui.rerank.http_backend import HttpReranker

from .helpers import QUERY
from .local_server import LocalServer, json_answer, raw_json, trickle

MARGIN = 1.5  # seconds past the deadline a failure may take (scheduling on a busy machine)


@pytest.fixture(autouse=True)
def _no_thread_outlives_a_test():
    before = set(threading.enumerate())
    yield
    for _ in range(50):  # bounded: 5 s at most for handler threads to finish
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra:
            return
        time.sleep(0.1)
    pytest.fail(f"threads still running after the test: {extra}")


def score_raises(client: HttpReranker, documents=("a",)) -> tuple[RerankServerError, float]:
    started = time.monotonic()
    with pytest.raises(RerankServerError) as info:
        client.score(QUERY, list(documents))
    return info.value, time.monotonic() - started


def test_a_server_that_never_answers_fails_within_the_deadline_retries_included():
    def silent(*request):
        server.release.wait(30)  # accepts, reads the request, never answers
        return json_answer({})

    with LocalServer(silent) as server:
        client = HttpReranker(server.url, "m", timeout=1.5, retries=3, backoff=0.01)
        error, elapsed = score_raises(client)
        client.close()
    assert elapsed < 1.5 + MARGIN
    assert server.url in str(error) and "did not answer within 1.5 s" in str(error)


@pytest.mark.parametrize("where", ["body", "headers"])
def test_a_trickling_server_is_cut_off_at_the_deadline(where):
    """One byte every 2 s keeps httpx's per-read timeout from ever firing; the deadline must."""
    body = b'{"results": [{"index": 0, "relevance_score": 0.5}]}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)

    def slow(*request):
        if where == "body":
            return trickle(head, body, 2.0, server.release)
        return trickle(b"", head + body, 2.0, server.release)

    with LocalServer(slow) as server:
        client = HttpReranker(server.url, "m", timeout=3, retries=2, backoff=0.01)
        error, elapsed = score_raises(client)
        client.close()
    assert elapsed < 3 + MARGIN
    assert "did not answer within 3 s" in str(error) and server.url in str(error)


def test_retry_after_is_honoured_then_the_retry_succeeds(monkeypatch):
    waits = []
    real_sleep = time.sleep
    monkeypatch.setattr(http_deadline.time, "sleep", lambda s: (waits.append(s), real_sleep(s)))
    answers = iter([
        (500, "text/plain", b"warming up", {"Retry-After": "1"}),
        json_answer({"results": [{"index": 0, "relevance_score": 0.25}]}),
    ])
    with LocalServer(lambda *request: next(answers)) as server:
        client = HttpReranker(server.url, "m", timeout=3, retries=2, backoff=0.01)
        assert client.score(QUERY, ["a"]) == [0.25]
        client.close()
    assert waits == [1.0]  # the header's wait, not the 0.01 s backoff
    assert len(server.times) == 2 and server.times[1] - server.times[0] >= 0.9


def test_retry_after_past_the_deadline_fails_at_once():
    busy = (429, "application/json", b'{"error": "slow down"}', {"Retry-After": "30"})
    with LocalServer(lambda *request: busy) as server:
        client = HttpReranker(server.url, "m", timeout=2, retries=3)
        error, elapsed = score_raises(client)
        client.close()
    assert elapsed < 2 + MARGIN
    assert len(server.requests) == 1  # waiting 30 s could not fit in 2 s: no pointless retry
    assert "HTTP 429" in str(error) and "retry in 30 s" in str(error) and server.url in str(error)


def test_retry_after_forms():
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=5), usegmt=True)
    assert 3 <= _retry_after(soon) <= 5.5
    assert _retry_after("2") == 2.0 and _retry_after(" 0 ") == 0.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: retry now
    assert _retry_after("soon") is None and _retry_after(None) is None and _retry_after("nan") is None


def test_an_oversized_answer_is_refused(monkeypatch):
    monkeypatch.setattr(http_backend, "MAX_BODY_BYTES", 1000)
    with LocalServer(lambda *request: (200, "application/json", b" " * 5000)) as server:
        client = HttpReranker(server.url, "m", timeout=3, retries=2)
        error, _ = score_raises(client)
        client.close()
    assert "larger than" in str(error) and server.url in str(error) and len(server.requests) == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{not json", "not JSON"),
        ('{"results": [{"index": 0, "relevance_score": 0.5}]}', "1 scores for 2 documents"),
        ('{"results": [{"index": 0, "relevance_score": 0.5}, {"index": 0, "relevance_score": 0.5}]}', "not a rerank result"),
        ('{"results": [{"index": 0, "relevance_score": NaN}, {"index": 1, "relevance_score": 0.5}]}', "score nan for document 0"),
        ('{"results": [{"index": 0, "relevance_score": 0.5}, {"index": 1, "relevance_score": Infinity}]}', "score inf for document 1"),
        ('{"results": [{"index": 0, "relevance_score": -Infinity}, {"index": 1, "relevance_score": 0.5}]}', "score -inf for document 0"),
        ('{"results": [{"index": 0, "relevance_score": -0.5}, {"index": 1, "relevance_score": 0.5}]}', "-0.5"),
        ('{"results": [{"index": 0, "relevance_score": 1.5}, {"index": 1, "relevance_score": 0.5}]}', "1.5"),
        ('{"results": [{"index": 0, "relevance_score": "0.5"}, {"index": 1, "relevance_score": 0.5}]}', "'0.5'"),
        ('{"results": [{"index": 0, "relevance_score": true}, {"index": 1, "relevance_score": 0.5}]}', "True"),
        ('{"results": [{"index": 0, "relevance_score": null}, {"index": 1, "relevance_score": 0.5}]}', "None"),
    ],
)
def test_answers_that_are_not_probabilities_are_errors(body, expected):
    with LocalServer(lambda *request: raw_json(body)) as server:
        client = HttpReranker(server.url, "m", timeout=3)
        error, _ = score_raises(client, ["a", "b"])
        client.close()
    assert expected in str(error) and server.url in str(error)
    assert len(server.requests) == 1  # a bad answer is not retried


def test_bounds_are_scores_too():
    body = '{"results": [{"index": 0, "relevance_score": 0}, {"index": 1, "relevance_score": 1.0}]}'
    with LocalServer(lambda *request: raw_json(body)) as server:
        client = HttpReranker(server.url, "m", timeout=3)
        assert client.score(QUERY, ["a", "b"]) == [0.0, 1.0]
        client.close()


def test_timeout_must_be_positive():
    for bad in (0, -1, float("nan"), float("inf"), "5"):
        with pytest.raises(ValueError, match="positive number of seconds"):
            HttpReranker("http://127.0.0.1:9", "m", timeout=bad)


def test_http_reranker_may_be_called_from_several_threads():
    assert HttpReranker.thread_safe is True


def test_build_reranker_passes_the_timeout_to_http_only():
    from rerank_tui.rerank import build_reranker

    reranker = build_reranker("http", "m", url="http://127.0.0.1:9", timeout=2.5, cache=False)
    assert isinstance(reranker, HttpReranker) and reranker.timeout == 2.5
    assert build_reranker("http", "m", url="http://127.0.0.1:9", cache=False).timeout == 60
