"""The index persists in the cache dir and is reopened, not rebuilt, while the corpus is unchanged."""

import os

import pytest

from rerank_tui.corpus import CorpusOptions
from rerank_tui.recall import BM25Params, open_index
from rerank_tui.recall.store import source_dir


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.md").write_text("# Loading\n\nSet num_workers to zero when the DataLoader hangs.\n")
    (root / "b.md").write_text("# Effects\n\nuseEffect cleanup runs on unmount.\n")
    return root


def ids(opened, query="dataloader"):
    return [h.passage.id for h in opened.index.search(query, 5)]


def test_second_open_loads_the_cached_index(folder):
    first = open_index(folder)
    second = open_index(folder)
    assert first.built and not second.built
    assert ids(first) == ids(second) == ["a.md#1"]
    assert [p.text for p in second.index.passages] == [p.text for p in first.index.passages]
    assert second.stats.files_read == first.stats.files_read == 2


def test_a_changed_file_triggers_a_rebuild(folder):
    open_index(folder)
    (folder / "b.md").write_text("# Effects\n\nThe DataLoader appears here too, twice: DataLoader.\n")
    reopened = open_index(folder)
    assert reopened.built
    assert set(ids(reopened)) == {"a.md#1", "b.md#1"}


def test_an_added_file_triggers_a_rebuild(folder):
    open_index(folder)
    (folder / "c.txt").write_text("another dataloader note")
    assert "c.txt#1" in ids(open_index(folder))


def test_other_parameters_or_engine_build_their_own_index(folder):
    open_index(folder)
    assert open_index(folder, params=BM25Params(k1=2.0)).built
    assert open_index(folder, options=CorpusOptions(max_passage_words=64)).built
    assert open_index(folder, engine="rank-bm25").built
    assert not open_index(folder, engine="rank-bm25").built


def test_only_the_newest_build_of_a_source_is_kept(folder):
    open_index(folder)
    open_index(folder, params=BM25Params(k1=2.0))
    entries = [p for p in source_dir(folder).iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1


def test_a_damaged_cache_entry_is_rebuilt_not_fatal(folder):
    first = open_index(folder)
    (first.location / "passages.json").write_text("{ not json")
    again = open_index(folder)
    assert again.built and ids(again) == ["a.md#1"]
    assert not open_index(folder).built


def test_missing_cache_files_are_rebuilt(folder):
    first = open_index(folder)
    for name in os.listdir(first.location):
        if name.endswith(".npy"):
            os.remove(first.location / name)
    assert open_index(folder).built


def test_rebuild_flag_and_no_cache(folder):
    open_index(folder)
    assert open_index(folder, rebuild=True).built
    assert not open_index(folder).built
    assert open_index(folder, use_cache=False).built


def test_skipped_files_are_remembered_by_the_cache(folder):
    (folder / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    built = open_index(folder)
    loaded = open_index(folder)
    assert not loaded.built
    assert loaded.stats.skipped_by_reason() == built.stats.skipped_by_reason() == {"binary": 1}
