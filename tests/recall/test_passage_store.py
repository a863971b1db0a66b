import numpy as np
import pytest

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.passage_store import StoredPassages, save_passages

PASSAGES = [
    Passage("a.md#1", "a.md", "a.md › Intro", "plain text", 0, 10),
    Passage("zh.md#1", "zh.md", "数据 › 加载", "中文段落，没有空格", 3, 12),
    Passage("e.md#1", "e.md", "", "", 0, 0),
    Passage("x.md#2", "x.md", "x", "escapes \x1b[31m and [bold]markup[/bold] 🙂", 5, 40),
]


def test_round_trip_is_exact(tmp_path):
    save_passages(PASSAGES, tmp_path)
    stored = StoredPassages(tmp_path)
    assert len(stored) == 4
    assert list(stored) == PASSAGES
    assert stored[1] == PASSAGES[1] and stored[-1] == PASSAGES[-1]
    assert stored[1:3] == PASSAGES[1:3]
    with pytest.raises(IndexError):
        stored[4]


def test_empty_store(tmp_path):
    save_passages([], tmp_path)
    assert list(StoredPassages(tmp_path)) == []


def test_inconsistent_files_are_refused(tmp_path):
    save_passages(PASSAGES, tmp_path)
    np.save(tmp_path / "text_offsets.npy", np.array([0, 1], dtype=np.int64))
    with pytest.raises(ValueError):
        StoredPassages(tmp_path)


def test_ids_come_without_reading_texts(tmp_path):
    from rerank_tui.corpus.passage import Passage
    from rerank_tui.recall.index import passage_ids
    from rerank_tui.recall.passage_store import StoredPassages, save_passages

    passages = [Passage(f"a/{i}.md#1", f"a/{i}.md", "", f"text {i}") for i in range(3)]
    save_passages(passages, tmp_path)
    stored = StoredPassages(tmp_path)
    stored._texts = None  # any text read would fail
    assert passage_ids(stored) == [p.id for p in passages] == passage_ids(passages)


def test_spliced_passages_flatten_and_index_like_a_list(tmp_path):
    from rerank_tui.recall.passage_store import SplicedPassages

    save_passages(PASSAGES, tmp_path)
    stored = StoredPassages(tmp_path)
    extra = [Passage("n.md#1", "n.md", "n", "new")]
    first = SplicedPassages([(stored, 0, 2), (extra, 0, 1), (stored, 3, 4)])
    expect = PASSAGES[:2] + extra + PASSAGES[3:]
    assert list(first) == expect and len(first) == 4
    assert [first[i] for i in range(-4, 4)] == expect + expect
    assert first.ids() == [p.id for p in expect]
    second = SplicedPassages([(first, 1, 4), (stored, 2, 3)])
    assert list(second) == expect[1:] + [PASSAGES[2]]
    assert all(not isinstance(seq, SplicedPassages) for seq, _, _ in second._blocks)  # never nested
    with pytest.raises(IndexError):
        second[4]
