"""The embedder contract as `BaseEmbedder` enforces it: order, unit rows, batches, cancel, stats."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from rerank_tui.embed import (
    DEFAULT_QUERY_INSTRUCTION,
    BadVectorsError,
    EmbedCancelled,
    Embedder,
    EmbedderError,
    EmbedStats,
    instruct_prompt,
    instruct_task,
    l2_normalize,
    query_text,
)

from .fakes import CountingEmbedder, hashed_vector


def test_qwen3_embedding_query_form():
    assert DEFAULT_QUERY_INSTRUCTION == "Given a web search query, retrieve relevant passages that answer the query"
    assert query_text("what is bm25") == f"Instruct: {DEFAULT_QUERY_INSTRUCTION}\nQuery:what is bm25"
    assert query_text("q", "Find code") == "Instruct: Find code\nQuery:q"
    assert query_text("q", "") == "Instruct: \nQuery:q"  # an empty task is kept, as the reranker does
    assert query_text("q", "ignored", style="prompt", prompt="query: ") == "query: q"
    assert query_text("q", style="prompt") == "q"
    with pytest.raises(ValueError):
        query_text("q", style="nope")
    assert instruct_task(instruct_prompt()) == DEFAULT_QUERY_INSTRUCTION
    assert instruct_task("Instruct: Given a claim, find evidence\nQuery: ") == "Given a claim, find evidence"
    assert instruct_task("query: ") is None and instruct_task(None) is None and instruct_task("") is None


def test_vectors_are_unit_float32_rows_in_input_order():
    e = CountingEmbedder(dims=6, batch_size=2)
    texts = ["a", "bbb bbb", "cc", "dddd dddd dddd", "e"]
    out = e.embed_documents(texts)
    assert out.dtype == np.float32 and out.shape == (5, 6)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
    for row, t in zip(out, texts):
        expected = hashed_vector(t, 6)
        assert np.allclose(row, expected / np.linalg.norm(expected), atol=1e-6)
    # longest first into batches of two: little padding per batch
    assert e.embedded == ["dddd dddd dddd", "bbb bbb", "cc", "a", "e"]
    assert isinstance(e, Embedder)


def test_stats_progress_and_prompts():
    e = CountingEmbedder(dims=4, batch_size=2)
    e.document_prompt, e.query_prompt = "passage: ", "query: "
    seen = []
    mine = EmbedStats()
    e.embed_documents(["one two", "three", "four five six"], progress=lambda d, t: seen.append((d, t)), stats=mine)
    assert seen == [(2, 3), (3, 3)]
    assert mine.items == 3 and mine.batches == 2 and mine.tokens == 6 and mine.seconds > 0
    assert e.last_stats is mine and mine.items_per_second > 0
    assert not any(t.startswith("passage: ") for t in e.embedded)  # the prompt reaches the hook separately
    q = e.embed_queries(["hello"], instruction="ignored in the prompt style")
    assert np.allclose(q[0], l2_normalize(hashed_vector("query: hello", 4)[None])[0], atol=1e-6)
    e.query_style, e.default_instruction = "instruct", "Default task"
    assert e.query_text("x") == "Instruct: Default task\nQuery:x"
    assert e.query_text("x", "Other") == "Instruct: Other\nQuery:x"
    v = e.embed_query("x")
    assert np.allclose(v, l2_normalize(hashed_vector("Instruct: Default task\nQuery:x", 4)[None])[0], atol=1e-6)
    assert e.embed_documents([]).shape == (0, 4)
    total = EmbedStats()
    total.add(EmbedStats(items=2, tokens=5, seconds=1.0, batches=1))
    total.add(EmbedStats(items=1, tokens=None, seconds=0.5, batches=1))
    assert (total.items, total.tokens, total.seconds, total.batches) == (3, None, 1.5, 2)


def test_cancel_is_checked_before_each_batch():
    e = CountingEmbedder(dims=4, batch_size=2)
    batches = []
    with pytest.raises(EmbedCancelled):
        e.embed_documents(["a", "b", "c", "d", "e"], cancel=lambda: len(batches) >= 1,
                          progress=lambda d, t: batches.append(d))
    assert len(e.embedded) == 2  # one batch ran, the cancel stopped the second
    with pytest.raises(EmbedCancelled):
        CountingEmbedder().embed_documents([], cancel=lambda: True)


def test_a_call_waiting_for_the_model_still_sees_its_cancel():
    e = CountingEmbedder(dims=4, batch_size=1, delay=0.3)
    worker = threading.Thread(target=e.embed_documents, args=(["slow"],))
    worker.start()
    time.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(EmbedCancelled):
        e.embed_documents(["x"], cancel=lambda: time.monotonic() - started > 0.1)
    assert time.monotonic() - started < 0.3
    worker.join()
    stats = EmbedStats()
    worker = threading.Thread(target=e.embed_documents, args=(["slow"],))
    worker.start()
    time.sleep(0.05)
    e.embed_documents(["y"], stats=stats)
    worker.join()
    assert stats.waited > 0.1


class Broken(CountingEmbedder):
    def __init__(self, make):
        super().__init__(dims=3)
        self.make = make

    def _embed_batch(self, texts, prompt, kind):
        return self.make(len(texts)), None


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda n: np.ones((n, 2)), "shape"),
        (lambda n: np.ones((n + 1, 3)), "shape"),
        (lambda n: np.full((n, 3), np.nan), "NaN"),
        (lambda n: np.zeros((n, 3)), "all-zero"),
    ],
)
def test_bad_vectors_never_leave_the_embedder(make, match):
    with pytest.raises(BadVectorsError, match=match) as caught:
        Broken(make).embed_documents(["a", "b"])
    assert isinstance(caught.value, EmbedderError)


def test_unknown_token_counts_make_tokens_none():
    e = Broken(lambda n: np.ones((n, 3)))
    e.embed_documents(["a"])
    assert e.last_stats.tokens is None
    assert np.allclose(e.embed_documents(["a"])[0], np.ones(3) / np.sqrt(3))


def test_l2_normalize():
    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 2.0]]))
    assert out.dtype == np.float32
    assert np.allclose(out, [[0.6, 0.8], [0.0, 1.0]], atol=1e-7)
    with pytest.raises(BadVectorsError):
        l2_normalize(np.ones(3))
