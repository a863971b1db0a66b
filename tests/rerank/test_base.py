"""The shared plumbing without a model: one call at a time, on_wait, cancellation, device, None."""

from __future__ import annotations

import threading
import time

import pytest

from rerank_tui.rerank import (
    BaseReranker,
    CachedReranker,
    CascadeReranker,
    Ranking,
    RerankCancelled,
    Reranker,
    ScoreCache,
)


class Gated(BaseReranker):
    """Scores len(document) / 100; each batch of one waits for `gate` (when set up)."""

    def __init__(self, device: str = "cpu", thread_safe: bool = False):
        super().__init__()
        self.identity, self.max_length, self.device, self.thread_safe = "gated", 64, device, thread_safe
        self.entered = threading.Event()
        self.gate: threading.Event | None = None
        self.active = 0
        self.most_active = 0

    def _score(self, query, documents, instruction, call):
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            scores = []
            for d in documents:
                call.check()
                self.entered.set()
                if self.gate is not None:
                    assert self.gate.wait(10)
                scores.append(len(d) / 100)
                call.stats.batches += 1
            return scores
        finally:
            self.active -= 1


def in_thread(fn):
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_rank_returns_results_best_first_and_stats():
    model = Gated()
    ranking = model.rank("q", ["a", "ccc", "bb"], top_k=2)
    assert isinstance(ranking, Ranking) and isinstance(model, Reranker)
    assert [(r.index, r.score) for r in ranking.results] == [(1, 0.03), (2, 0.02)]
    assert ranking.stats.pairs == 3 and ranking.stats.batches == 3 and ranking.stats.waited == 0.0
    assert ranking.scores(3) == [None, 0.03, 0.02]  # top_k left document 0 out
    assert model.score("q", ["a", "ccc"]) == [0.01, 0.03]


def test_an_in_process_model_serves_one_call_at_a_time_and_says_when_a_call_waits():
    model = Gated()
    model.gate = threading.Event()
    waits = []
    first, first_box = in_thread(lambda: model.rank("q", ["aa", "b"], on_wait=lambda: waits.append("first")))
    assert model.entered.wait(5)
    second, second_box = in_thread(lambda: model.rank("q", ["ccc"], on_wait=lambda: waits.append("second")))
    wait_until(lambda: waits == ["second"])  # called once, before waiting
    time.sleep(0.1)
    assert second.is_alive() and model.most_active == 1  # the second waits for the first
    model.gate.set()
    first.join(5), second.join(5)
    assert model.most_active == 1 and waits == ["second"]
    assert [r.index for r in first_box["value"].results] == [0, 1]
    assert second_box["value"].stats.waited > 0.05  # seconds minus waited: the work itself
    assert second_box["value"].stats.pairs_per_second > 0


def test_a_call_waiting_for_the_model_sees_its_cancel():
    model = Gated()
    model.gate = threading.Event()
    first, _ = in_thread(lambda: model.rank("q", ["a"]))
    assert model.entered.wait(5)
    stop = threading.Event()
    waiting, box = in_thread(lambda: model.rank("q", ["b"], cancel=stop.is_set))
    time.sleep(0.1)
    stop.set()
    waiting.join(2)
    assert not waiting.is_alive() and isinstance(box.get("error"), RerankCancelled)  # before the first ends
    model.gate.set()
    first.join(5)
    assert model.score("q", ["ok"]) == [0.02]  # the lock was given back


def test_cancel_is_checked_between_batches():
    model = Gated()
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2  # once the model is ours, before batch 1, then stop before batch 2

    with pytest.raises(RerankCancelled):
        model.score("q", ["a", "b", "c"], cancel=cancel)
    assert len(calls) == 3 and model.score("q", ["ok"]) == [0.02]


def test_a_server_takes_overlapping_calls():
    model = Gated(device="http", thread_safe=True)
    model.gate = threading.Event()
    waits = []
    threads = [in_thread(lambda: model.score("q", ["a"], on_wait=lambda: waits.append(1)))[0] for _ in range(2)]
    wait_until(lambda: model.most_active == 2)
    assert waits == []
    model.gate.set()
    for t in threads:
        t.join(5)


def test_the_cache_neither_deadlocks_nor_waits_for_hits(tmp_path):
    backend = Gated(device="cuda:0")
    cached = CachedReranker(backend, ScoreCache(tmp_path / "s.sqlite"))
    assert cached.device == "cuda:0" and cached.thread_safe
    assert cached.score("q", ["known"]) == [0.05]
    backend.entered.clear()
    backend.gate = threading.Event()
    waits = []
    slow, slow_box = in_thread(lambda: cached.rank("q", ["a miss"]))
    assert backend.entered.wait(5)
    hit = cached.rank("q", ["known"], on_wait=lambda: waits.append("hit"))  # served while the model is busy
    assert hit.stats.cache_hits == 1 and hit.results[0].score == 0.05 and waits == []
    behind, behind_box = in_thread(lambda: cached.rank("q", ["another miss"], on_wait=lambda: waits.append("miss")))
    wait_until(lambda: waits == ["miss"])
    time.sleep(0.1)
    assert behind.is_alive()  # a miss waits for the model
    backend.gate.set()
    slow.join(5), behind.join(5)
    assert backend.most_active == 1
    assert slow_box["value"].results[0].score == 0.06
    assert behind_box["value"].stats.waited > 0.05


def test_cascade_composes_device_and_leaves_the_tail_unscored():
    small, large = Gated(device="cpu"), Gated(device="http", thread_safe=True)
    cascade = CascadeReranker(small, large, small_top_n=3, large_top_m=1)
    assert cascade.device == "cpu→http" and cascade.thread_safe
    docs = ["a", "bbbb", "cc", "ddddddd", "e"]
    ranking = cascade.rank("q", docs)
    assert [(r.index, r.score) for r in ranking.results] == [(1, 0.04), (2, 0.02), (0, 0.01), (3, None), (4, None)]
    assert cascade.score("q", docs) == [0.01, 0.04, 0.02, None, None]
    assert ranking.stats.pairs == 5 and ranking.stats.batches == 3 + 1


def test_a_cascade_waiting_at_both_stages_says_so_once():
    small, large = Gated(device="cpu"), Gated(device="cuda:0")
    cascade = CascadeReranker(small, large, small_top_n=2, large_top_m=1)
    small.gate, large.gate = threading.Event(), threading.Event()
    holders = [in_thread(lambda m=m: m.score("q", ["x"]))[0] for m in (small, large)]
    assert small.entered.wait(5) and large.entered.wait(5)
    small.entered.clear(), large.entered.clear()
    waits = []
    thread, box = in_thread(lambda: cascade.rank("q", ["a", "bb", "c"], on_wait=lambda: waits.append(1)))
    wait_until(lambda: waits == [1])
    small.gate.set()  # the small stage runs, then the cascade waits for the large one
    time.sleep(0.1)
    assert thread.is_alive()
    large.gate.set()
    thread.join(5)
    for t in holders:
        t.join(5)
    assert waits == [1] and [r.index for r in box["value"].results] == [1, 0, 2]
    assert box["value"].stats.waited > 0.1


def test_an_event_is_not_a_cancel():
    with pytest.raises(TypeError):
        Gated().score("q", ["a"], cancel=threading.Event())
