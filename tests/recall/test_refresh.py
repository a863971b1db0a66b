"""Incremental refresh of a folder index: only changed files are re-read, and the result is
exactly a fresh build of the new corpus (same passages, order, scores, stats)."""

import json
import os

import numpy as np
import pytest

from rerank_tui.corpus import load_corpus
from rerank_tui.recall import BM25Params, open_index
from rerank_tui.recall.index import Index
from rerank_tui.recall.manifest import FILE_NAME
from rerank_tui.recall.refresh import persist_refresh, refresh_index

QUERIES = ["dataloader workers", "memory pin", "effect cleanup unmount", "zebra stripes", "数据 加载", "notes"]


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    st = path.stat()  # a distinct mtime, even on coarse clocks
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    write(root, "a.md", "# Loading\n\nSet num_workers to zero when the DataLoader hangs.\n\n## Pinning\n\npin_memory speeds copies.\n")
    write(root, "b.md", "# Effects\n\nuseEffect cleanup runs on unmount.\n")
    write(root, "sub/c.txt", "notes about the DataLoader and memory, memory, memory")
    write(root, "sub/d.txt", "PyTorch 数据加载：num_workers 设为 0。")
    write(root, "e.txt", "more notes: workers and effects")
    return root


def assert_like_fresh_build(opened, root, params=BM25Params()):
    corpus = load_corpus(root)
    fresh = Index.build(corpus.passages, params=params)
    index = opened.index
    assert [p.id for p in index.passages] == [p.id for p in fresh.passages]
    assert list(index.passages) == list(fresh.passages)
    for q in QUERIES:
        np.testing.assert_array_equal(index.scores(q), fresh.scores(q))  # exact, not approximately
        got = [(h.passage.id, h.score, h.index) for h in index.search(q, 10)]
        assert got == [(h.passage.id, h.score, h.index) for h in fresh.search(q, 10)]
    assert opened.stats.passages == len(corpus.passages)
    assert opened.stats.files_read == corpus.files_read
    assert opened.stats.skipped == corpus.skipped


def test_unchanged_folder_is_a_no_op(folder):
    opened = open_index(folder)
    result = refresh_index(opened)
    assert result.opened is opened and not result.changed and not result.full_rebuild


def test_changed_file_is_spliced_in_exactly(folder):
    opened = open_index(folder)
    write(folder, "b.md", "# Effects\n\nThe DataLoader appears here too, twice: DataLoader. zebra stripes\n\n# More\n\nmemory")
    result = refresh_index(opened)
    assert not result.full_rebuild and result.changed
    assert result.files_changed == ["b.md"] and result.files_added == result.files_removed == []
    assert result.passages_removed == 1 and result.passages_added == 2
    assert result.opened is not opened
    assert_like_fresh_build(result.opened, folder)
    # the old index is untouched (a reader may still be searching it)
    assert [h.passage.id for h in opened.index.search("zebra", 5)] == []
    assert len(opened.index) == len(load_corpus(folder).passages) - 1


def test_added_file_with_new_terms(folder):
    opened = open_index(folder)
    write(folder, "sub/aa.md", "zebra stripes and a DataLoader")
    result = refresh_index(opened)
    assert result.files_added == ["sub/aa.md"] and result.passages_added == 1
    assert_like_fresh_build(result.opened, folder)
    assert result.opened.index.search("zebra", 1)[0].passage.id == "sub/aa.md#1"


def test_deleted_file_and_a_term_that_disappears(folder):
    opened = open_index(folder)
    (folder / "b.md").unlink()
    result = refresh_index(opened)
    assert result.files_removed == ["b.md"] and result.passages_removed == 1
    assert_like_fresh_build(result.opened, folder)
    assert result.opened.index.search("cleanup unmount", 5) == []


def test_renamed_file(folder):
    opened = open_index(folder)
    os.rename(folder / "sub" / "c.txt", folder / "zz.txt")
    result = refresh_index(opened)
    assert result.files_removed == ["sub/c.txt"] and result.files_added == ["zz.txt"]
    assert_like_fresh_build(result.opened, folder)


def test_file_that_now_gives_no_passages(folder):
    opened = open_index(folder)
    write(folder, "e.txt", "   \n")
    result = refresh_index(opened)
    assert result.files_changed == ["e.txt"] and result.passages_added == 0
    assert_like_fresh_build(result.opened, folder)
    assert [s.reason for s in result.opened.stats.skipped if s.path == "e.txt"] == ["empty"]
    # ... and gives passages again
    write(folder, "e.txt", "workers are back")
    again = refresh_index(result.opened)
    assert again.files_changed == ["e.txt"] and again.passages_added == 1
    assert_like_fresh_build(again.opened, folder)


def test_several_changes_and_refreshes_in_a_row(folder):
    opened = open_index(folder, params=BM25Params(k1=0.9, b=0.4))
    for step in range(4):
        write(folder, f"new{step}.md", f"step {step} memory notes zebra {'x' * step}")
        write(folder, "a.md", f"# Loading\n\nrewritten {step} times: DataLoader workers\n")
        if step == 2:
            (folder / "b.md").unlink()
        opened = refresh_index(opened).opened
        assert_like_fresh_build(opened, folder, BM25Params(k1=0.9, b=0.4))


def test_refreshed_entry_reopens_as_the_updated_index(folder):
    opened = open_index(folder)
    write(folder, "sub/c.txt", "zebra notes")
    result = refresh_index(opened)
    assert result.persist_seconds is not None
    reopened = open_index(folder)
    assert not reopened.built  # the refreshed entry is the cache entry of the folder as it is now
    assert_like_fresh_build(reopened, folder)
    assert refresh_index(reopened).changed is False


def test_persisting_later(folder):
    opened = open_index(folder)
    write(folder, "b.md", "zebra")
    result = refresh_index(opened, persist=False)
    assert result.persist_seconds is None
    assert open_index(folder).built  # nothing stored yet: a new process would rebuild
    write(folder, "b.md", "zebra again")
    result = refresh_index(open_index(folder), persist=False)
    persist_refresh(result)
    assert result.persist_seconds is not None and result.persist_seconds >= 0
    assert not open_index(folder).built


@pytest.mark.parametrize("damage", ["missing", "corrupt", "wrong counts", "swapped counts"])
def test_unusable_manifest_means_a_full_rebuild(folder, damage):
    first = open_index(folder)
    manifest = first.location / FILE_NAME
    if damage == "missing":
        manifest.unlink()
    elif damage == "corrupt":
        manifest.write_text("{not json")
    elif damage == "wrong counts":
        data = json.loads(manifest.read_text())
        data["files"][0][3] += 5
        manifest.write_text(json.dumps(data))
    else:  # same total, wrong runs: a.md has 2 passages, b.md 1
        data = json.loads(manifest.read_text())
        assert [row[3] for row in data["files"][:2]] == [2, 1]
        data["files"][0][3], data["files"][1][3] = 1, 2
        manifest.write_text(json.dumps(data))
    opened = open_index(folder)  # from the cache: manifest read on refresh
    assert not opened.built
    write(folder, "b.md", "zebra")
    result = refresh_index(opened)
    assert result.full_rebuild and result.reason
    assert result.opened.built
    assert_like_fresh_build(result.opened, folder)
    assert not refresh_index(open_index(folder)).full_rebuild  # the rebuilt entry has a manifest again


def test_jsonl_corpus_is_rebuilt_whole(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "1", "text": "memory notes"}\n{"id": "2", "text": "workers"}\n')
    opened = open_index(path)
    assert refresh_index(opened).changed is False
    path.write_text('{"id": "1", "text": "memory notes"}\n{"id": "3", "text": "zebra"}\n')
    result = refresh_index(opened)
    assert result.full_rebuild and result.passages_added == 1 and result.passages_removed == 1
    assert [h.passage.id for h in result.opened.index.search("zebra", 3)] == ["3"]


def test_rank_bm25_engine_is_rebuilt_whole(folder):
    opened = open_index(folder, engine="rank-bm25")
    write(folder, "b.md", "zebra")
    result = refresh_index(opened)
    assert result.full_rebuild and "rank-bm25" in result.reason
    assert result.opened.index.search("zebra", 1)[0].passage.id == "b.md#1"


def test_without_the_cache(folder):
    opened = open_index(folder, use_cache=False)
    write(folder, "b.md", "zebra")
    result = refresh_index(opened)
    assert not result.full_rebuild and result.persist_seconds == 0.0
    assert_like_fresh_build(result.opened, folder)


def test_unchanged_jsonl_without_the_cache_is_not_rebuilt(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "1", "text": "memory notes"}\n')
    opened = open_index(path, use_cache=False)
    result = refresh_index(opened)
    assert result.opened is opened and not result.full_rebuild
