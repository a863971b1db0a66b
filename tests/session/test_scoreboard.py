"""The tries board: stable try names, its order, and BM25's row without a reranker."""

from itertools import count

import pytest

from rerank_tui.rerank.base import BaseReranker
from rerank_tui.recall.index import Index
from rerank_tui.session import tries as tries_module
from rerank_tui.session.labels import LabelStore
from rerank_tui.session.presets import PresetStore
from rerank_tui.session.scoreboard import BOARD_METRICS, bm25_means, board_entries, score_entries
from rerank_tui.session.tries import TryLog
from tests.recall.helpers import passages

TEXTS = [
    "dataloader workers hang in jupyter with num_workers",
    "pin memory speeds up dataloader copies to the gpu",
    "worker seeds repeat augmentations in the dataloader",
    "react hooks cleanup runs before the next effect",
    "jupyter kernels restart when memory runs out",
]


@pytest.fixture
def clock(monkeypatch):
    """Each use of a try one second after the previous one."""
    ticks = count()
    monkeypatch.setattr(tries_module, "utc_now", lambda: f"2026-01-01T00:00:{next(ticks):02d}Z")


def names(entries) -> dict[str, str]:
    return {e.instruction: e.name for e in entries if e.source == "try"}


def test_a_try_keeps_its_name_when_used_again_and_when_read_again(tmp_path, clock):
    presets = PresetStore.load(tmp_path / "presets.yaml")
    log = TryLog.load(tmp_path / "tries.yaml")
    for instruction in ("first", presets.get("default"), "second", "third"):
        log.record(instruction)
    before = names(board_entries(presets, log))
    assert before == {"first": "try 1", "second": "try 2", "third": "try 3"}  # by first use; presets not counted

    log.record("first")  # used again: the most recent now, still "try 1"
    entries = board_entries(presets, log)
    assert names(entries) == before
    assert [e.name for e in entries] == [*presets.names(), "try 1", "try 3", "try 2"]  # presets, then most recent first
    assert names(board_entries(presets, TryLog.load(tmp_path / "tries.yaml"))) == before

    log.record("fourth")
    assert names(board_entries(presets, log)) == before | {"fourth": "try 4"}


def test_a_preset_takes_the_use_count_and_last_use_of_its_tries(tmp_path, clock):
    presets = PresetStore.load(tmp_path / "presets.yaml")
    log = TryLog.load(tmp_path / "tries.yaml")
    log.record(presets.get("chinese"))
    log.record(presets.get("chinese"))
    chinese = next(e for e in board_entries(presets, log) if e.name == "chinese")
    assert (chinese.uses, chinese.last_used) == (2, log.tries[0].last_used)


class Overlap(BaseReranker):
    """Scores a document by how many words it shares with the query (no model needed)."""

    identity, max_length, device = "overlap", 64, "cpu"

    def _score(self, query, documents, instruction, call):
        words = set(query.split())
        return [len(words & set(d.split())) / 10 for d in documents]


@pytest.fixture
def labels(tmp_path):
    store = LabelStore.load(tmp_path / "labels.yaml")
    yield store
    store.close()


def test_bm25_means_without_a_reranker_are_the_board_s_bm25_row(tmp_path, labels):
    index = Index.build(passages(*TEXTS))
    assert bm25_means(index, labels) == {}  # nothing labeled yet
    hits = index.search("dataloader memory", 10)
    relevant = hits[1].passage  # BM25 ranks it second
    labels.set("dataloader memory", relevant.id, 3, relevant.text)
    labels.set("react cleanup", "doc3.md#1", 2, TEXTS[3])

    means = bm25_means(index, labels)
    assert set(means) == set(BOARD_METRICS)
    assert means["RR@10"] == pytest.approx((1 / 2 + 1) / 2)  # ranks 2 and 1
    assert means["P@5"] == pytest.approx((1 / 5 + 1 / 5) / 2)

    presets = PresetStore.load(tmp_path / "presets.yaml")
    entries = board_entries(presets, TryLog.load(tmp_path / "tries.yaml"))
    assert score_entries(index, Overlap(), labels, entries, rerank_depth=10) == pytest.approx(means)
