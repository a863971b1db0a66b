"""An index built in a child process is the index an in-process build gives, read from the cache."""

from __future__ import annotations

import pytest

from rerank_tui.corpus import CorpusError, CorpusOptions
from rerank_tui.recall import BM25Params, open_index
from rerank_tui.recall.child_build import build_in_child


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(30):
        (root / f"n{i:02}.md").write_text(f"# Note {i}\n\nThe DataLoader note number {i} mentions workers {'twice ' * (i % 4)}.\n")
    return root


def test_the_child_stores_the_index_the_caller_then_opens(folder, tmp_path, monkeypatch):
    seen = []
    build_in_child(folder, options=CorpusOptions(), engine="bm25s", params=BM25Params(k1=0.9, b=0.4),
                   progress=lambda done, total, what="": seen.append((done, total)))
    opened = open_index(folder, params=BM25Params(k1=0.9, b=0.4))
    assert not opened.built  # the child wrote the cache entry this open read
    assert seen and seen[-1][0] == seen[-1][1]  # its progress came through, to the end
    monkeypatch.setenv("RERANK_TUI_CACHE_DIR", str(tmp_path / "elsewhere"))
    fresh = open_index(folder, params=BM25Params(k1=0.9, b=0.4))
    assert fresh.built
    for query in ("dataloader workers", "note twice", "number 7"):
        got = [(h.passage.id, round(h.score, 9)) for h in opened.index.search(query, 10)]
        assert got == [(h.passage.id, round(h.score, 9)) for h in fresh.index.search(query, 10)]


def test_a_corpus_error_in_the_child_is_raised_with_its_message(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="no passages in"):
        build_in_child(empty, options=CorpusOptions(), engine="bm25s", params=BM25Params())


@pytest.mark.timeout(180)
def test_the_child_tokenizes_in_forked_workers_without_hanging(tmp_path, monkeypatch):
    """The child watches its standard input for the caller's end; the workers it forks must
    not inherit a lock on it (they would hang closing their stdin: a deadlock, not an error)."""
    from rerank_tui.recall.counting import CHUNK

    corpus = tmp_path / "docs.jsonl"
    n = CHUNK + 50  # two chunks: a pool of workers
    corpus.write_text("".join(f'{{"id": "d{i}", "text": "passage {i} about loaders and workers"}}\n' for i in range(n)))
    monkeypatch.setenv("RERANK_TUI_PARALLEL_ABOVE", "5")
    build_in_child(corpus, options=CorpusOptions(), engine="bm25s", params=BM25Params())
    opened = open_index(corpus)
    assert not opened.built and len(opened.index) == n
