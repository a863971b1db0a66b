"""The vector store: unchanged passages keep their vectors, a stopped run resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from rerank_tui.corpus.passage import Passage
from rerank_tui.embed import EmbedCancelled, StoreKey, VectorStore, embed_corpus, passage_texts
from rerank_tui.embed.base import l2_normalize

from .fakes import CountingEmbedder, hashed_vector
from .reference import min_cosine

REPO = Path(__file__).resolve().parents[2]


def corpus(n: int, *, edit: dict[int, str] | None = None) -> list[Passage]:
    edit = edit or {}
    return [
        Passage(id=f"doc{i // 3}.md#{i % 3 + 1}", doc=f"doc{i // 3}.md", title=f"doc{i // 3}.md > part {i % 3}",
                text=edit.get(i, f"passage number {i} about rivers and python"))
        for i in range(n)
    ]


def expected(texts, dims):
    return l2_normalize(np.stack([hashed_vector(t, dims) for t in texts]))


def test_what_is_embedded_is_what_bm25_indexes():
    p = Passage(id="a.md#1", doc="a.md", title="a.md > Intro", text="hello")
    assert passage_texts([p, Passage(id="b#1", doc="b", title="", text="plain")]) == ["a.md > Intro\nhello", "plain"]


def test_unchanged_passages_are_not_embedded_again(tmp_path):
    e = CountingEmbedder(dims=8)
    first = embed_corpus(corpus(10), e, corpus="docs", root=tmp_path, chunk_rows=4)
    assert (first.embedded, first.reused) == (10, 0) and len(e.embedded) == 10
    assert isinstance(first.matrix, np.memmap) and first.matrix.shape == (10, 8)
    assert np.allclose(first.matrix, expected(passage_texts(corpus(10)), 8), atol=1e-6)
    assert first.stats.items == 10 and first.stats.batches == 3  # chunks of 4, 4 and 2, one batch each
    calls = e.calls
    again = embed_corpus(corpus(10), e, corpus="docs", root=tmp_path, chunk_rows=4)
    assert (again.embedded, again.reused) == (0, 10) and e.calls == calls and len(e.embedded) == 10
    assert np.array_equal(again.matrix, first.matrix)


def test_an_edited_passage_is_the_only_one_embedded_again(tmp_path):
    e = CountingEmbedder(dims=8)
    embed_corpus(corpus(9), e, corpus="docs", root=tmp_path, chunk_rows=4)
    e.embedded.clear()
    edited = corpus(9, edit={4: "a rewritten passage"})
    out = embed_corpus(edited, e, corpus="docs", root=tmp_path, chunk_rows=4)
    assert e.embedded == ["doc1.md > part 1\na rewritten passage"]
    assert (out.embedded, out.reused) == (1, 8)
    assert np.allclose(out.matrix, expected(passage_texts(edited), 8), atol=1e-6)
    # a passage that moves (new order, new id) with the same text keeps its vector
    e.embedded.clear()
    moved = list(reversed(edited))[:5] + [Passage(id="new.md#1", doc="new.md", title="new.md", text="new")]
    out = embed_corpus(moved, e, corpus="docs", root=tmp_path, chunk_rows=4)
    assert e.embedded == ["new.md\nnew"]
    assert np.allclose(out.matrix, expected(passage_texts(moved), 8), atol=1e-6)


def test_identical_texts_are_embedded_once(tmp_path):
    e = CountingEmbedder(dims=4)
    same = [Passage(id=f"x#{i}", doc="x", title="", text="same text") for i in range(3)]
    out = embed_corpus(same, e, corpus="c", root=tmp_path)
    assert len(e.embedded) == 1 and out.embedded == 1 and out.matrix.shape == (3, 4)
    assert np.array_equal(out.matrix[0], out.matrix[2])


def test_cancelled_run_resumes_where_it_stopped(tmp_path):
    e = CountingEmbedder(dims=8, batch_size=2)
    stop = {"now": False}

    def progress(p):
        if p.done >= 4:  # after the first chunk of 4 was committed
            stop["now"] = True

    with pytest.raises(EmbedCancelled):
        embed_corpus(corpus(11), e, corpus="docs", root=tmp_path, chunk_rows=4,
                     cancel=lambda: stop["now"], progress=progress)
    assert len(e.embedded) == 4
    e.embedded.clear()
    reports = []
    out = embed_corpus(corpus(11), e, corpus="docs", root=tmp_path, chunk_rows=4, progress=reports.append)
    assert len(e.embedded) == 7 and (out.embedded, out.reused) == (7, 4)
    assert sorted(e.embedded) == sorted(passage_texts(corpus(11))[4:])  # only what the first run had not committed
    assert np.allclose(out.matrix, expected(passage_texts(corpus(11)), 8), atol=1e-6)
    assert (reports[0].done, reports[0].embedded, reports[0].to_embed, reports[0].eta) == (4, 0, 7, None)
    last = reports[-1]
    assert (last.done, last.total, last.embedded) == (11, 11, 7) and last.eta == 0.0 and last.rate > 0
    assert [r.done for r in reports] == sorted(r.done for r in reports)


def test_a_killed_run_loses_at_most_the_chunk_in_flight(tmp_path):
    script = textwrap.dedent(
        f"""
        from tests.embed.fakes import CountingEmbedder
        from tests.embed.test_vectors import corpus
        from rerank_tui.embed import embed_corpus
        embed_corpus(corpus(40), CountingEmbedder(dims=8, batch_size=2, delay=0.05),
                     corpus="docs", root={str(tmp_path)!r}, chunk_rows=6)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)})
    manifest = None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and child.poll() is None:
            found = list(tmp_path.glob("*/manifest.json"))
            if found:
                try:
                    chunks = json.loads(found[0].read_text())["chunks"]
                except ValueError:
                    chunks = []
                if len(chunks) >= 2:
                    manifest = found[0]
                    break
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert manifest is not None, "the child never committed two chunks"
    committed = sum(c["rows"] for c in json.loads(manifest.read_text())["chunks"])
    assert 12 <= committed < 40
    e = CountingEmbedder(dims=8)
    out = embed_corpus(corpus(40), e, corpus="docs", root=tmp_path, chunk_rows=6)
    assert len(e.embedded) == 40 - committed and out.reused == committed
    assert np.allclose(out.matrix, expected(passage_texts(corpus(40)), 8), atol=1e-6)
    names = {p.name for p in manifest.parent.iterdir()}
    assert not any(n.endswith(".tmp") for n in names)  # the killed run's temporary files are gone
    listed = {c["name"] for c in json.loads(manifest.read_text())["chunks"]}
    assert {n.split(".")[0] for n in names if n.startswith("c")} == listed  # no stray chunk files


def test_a_damaged_store_is_rebuilt_not_fatal(tmp_path):
    e = CountingEmbedder(dims=8)
    first = embed_corpus(corpus(8), e, corpus="docs", root=tmp_path, chunk_rows=4)
    home = first.location
    (home / "c000001.npy").write_bytes(b"garbage")  # one chunk lost: only its rows come back
    e.embedded.clear()
    out = embed_corpus(corpus(8), e, corpus="docs", root=tmp_path, chunk_rows=4)
    assert len(e.embedded) == 4 and np.allclose(out.matrix, expected(passage_texts(corpus(8)), 8), atol=1e-6)
    (home / "manifest.json").write_text("{not json")
    e.embedded.clear()
    out = embed_corpus(corpus(8), e, corpus="docs", root=tmp_path, chunk_rows=4)
    assert len(e.embedded) == 8 and np.allclose(out.matrix, expected(passage_texts(corpus(8)), 8), atol=1e-6)


def test_the_key_separates_models_lengths_and_pooling(tmp_path):
    a = CountingEmbedder(dims=8)
    b = CountingEmbedder(dims=8, max_length=64)
    c = CountingEmbedder(dims=8, pooling="cls")
    d = CountingEmbedder(dims=8, identity="fake:other")
    stores = {VectorStore.for_embedder("docs", x, root=tmp_path).path for x in (a, b, c, d)}
    assert len(stores) == 4
    assert VectorStore.for_embedder("other", a, root=tmp_path).path not in stores
    embed_corpus(corpus(3), a, corpus="docs", root=tmp_path)
    embed_corpus(corpus(3), b, corpus="docs", root=tmp_path)
    assert len(b.embedded) == 3  # nothing shared across keys
    assert StoreKey.of("docs", a) == StoreKey("docs", "fake:hashed", 128, "mean")
    with pytest.raises(ValueError, match="dimensional"):
        VectorStore.for_embedder("docs", a, root=tmp_path).sync(["x"], CountingEmbedder(dims=4))


def test_dead_rows_are_compacted_away(tmp_path):
    e = CountingEmbedder(dims=4)
    store = VectorStore.for_embedder("docs", e, root=tmp_path, chunk_rows=4)
    store.sync([f"old {i}" for i in range(20)], e)
    assert store.missing(["old 1", "new 1", "new 2"]) == 2
    out = store.sync(["new 1", "new 2", "old 3"], e)
    assert out.embedded == 2
    manifest = json.loads((store.path / "manifest.json").read_text())
    assert sum(c["rows"] for c in manifest["chunks"]) == 3
    assert len(list(store.path.glob("c*.npy"))) == len(manifest["chunks"]) == 1
    assert np.allclose(out.matrix, expected(["new 1", "new 2", "old 3"], 4), atol=1e-6)
    e.embedded.clear()
    assert store.sync(["old 3", "new 2"], e).embedded == 0 and e.embedded == []
    store.clear()
    assert not store.path.exists()


def test_empty_corpus_and_default_location(tmp_path):
    e = CountingEmbedder(dims=4)
    out = embed_corpus([], e, corpus="empty")
    assert out.matrix.shape == (0, 4) and out.embedded == 0
    assert out.location.parent == Path(os.environ["RERANK_TUI_CACHE_DIR"]) / "vectors"
    assert out.location.name.startswith("empty-")


def test_real_model_vectors_round_trip_through_the_store(tmp_path, st_bert):
    passages = corpus(7)
    out = embed_corpus(passages, st_bert, corpus="docs", root=tmp_path, chunk_rows=3)
    direct = st_bert.embed_documents(passage_texts(passages))
    assert min_cosine(out.matrix, direct) >= 1 - 1e-5
    assert out.stats.items == 7 and out.stats.tokens > 0
    hits = out.index().search(st_bert.embed_queries(["passage number 3"])[0], 3)
    assert len(hits) == 3 and hits[0][1] >= hits[1][1] >= hits[2][1]


def test_two_writers_embed_each_text_once(tmp_path):
    import threading

    e = CountingEmbedder(dims=4, batch_size=2, delay=0.02)
    texts = [f"text {i}" for i in range(12)]
    results = []

    def run():
        results.append(VectorStore.for_embedder("docs", e, root=tmp_path, chunk_rows=4).sync(texts, e))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(e.embedded) == 12 and sorted(r.embedded for r in results) == [0, 12]
    assert np.array_equal(results[0].matrix, results[1].matrix)


def test_a_call_waiting_for_the_store_lock_sees_its_cancel(tmp_path):
    from filelock import FileLock

    e = CountingEmbedder(dims=4)
    store = VectorStore.for_embedder("docs", e, root=tmp_path)
    store.path.mkdir(parents=True)
    with FileLock(str(store.path / ".lock")):
        started = time.monotonic()
        with pytest.raises(EmbedCancelled):
            store.sync(["a"], e, cancel=lambda: time.monotonic() - started > 0.2)
    assert e.embedded == []


def test_a_big_matrix_gets_an_approximate_index_stored_beside_it(tmp_path):
    from rerank_tui.recall.approximate import ApproximateIndex
    from rerank_tui.recall.dense import DenseIndex

    e = CountingEmbedder(dims=16)
    out = embed_corpus(corpus(600), e, corpus="docs", root=tmp_path)
    for exact in (None, 0, 600, 10_000):  # 0/None: always exact; otherwise only above the threshold
        assert type(out.index(approximate_above=exact)) is DenseIndex
    assert not list(out.location.glob("ann*"))
    first = out.index(approximate_above=599)
    assert isinstance(first, ApproximateIndex) and first.built
    stored = out.location / f"ann1-{out.order}.faiss"
    assert [p.name for p in out.location.glob("ann*")] == [stored.name]
    q = expected(["a query"], 16)[0]
    hits = first.search(q, 10)
    assert [s for _, s in hits] == pytest.approx([float(out.matrix[r] @ q) for r, _ in hits], abs=1e-6)
    # a warm reopen reads the stored index instead of building it
    stamp = stored.stat().st_mtime_ns
    again = embed_corpus(corpus(600), e, corpus="docs", root=tmp_path)
    assert again.order == out.order and again.embedded == 0
    reopened = again.index(approximate_above=599)
    assert isinstance(reopened, ApproximateIndex) and not reopened.built
    assert stored.stat().st_mtime_ns == stamp and reopened.search(q, 10) == hits


def test_the_approximate_index_follows_the_corpus_and_survives_damage(tmp_path):
    e = CountingEmbedder(dims=16)
    out = embed_corpus(corpus(600), e, corpus="docs", root=tmp_path)
    out.index(approximate_above=100)
    old = out.location / f"ann1-{out.order}.faiss"
    assert old.exists()
    edited = embed_corpus(corpus(600, edit={5: "a rewritten passage"}), e, corpus="docs", root=tmp_path)
    assert edited.order != out.order and not old.exists()  # the matrix changed: its old index is gone
    index = edited.index(approximate_above=100)
    assert index.built and [p.name for p in edited.location.glob("ann*")] == [f"ann1-{edited.order}.faiss"]
    q = edited.matrix[5]
    assert index.search(q, 1)[0][0] == 5
    # a damaged file is built again, never fatal
    stored = edited.location / f"ann1-{edited.order}.faiss"
    for damage in (b"garbage", stored.read_bytes()[:-100], b""):
        stored.write_bytes(damage)
        rebuilt = edited.index(approximate_above=100)
        assert rebuilt.built and rebuilt.search(q, 1)[0][0] == 5
        assert not edited.index(approximate_above=100).built  # and stored again
    assert not any(p.name.endswith(".tmp") for p in edited.location.iterdir())
    # building can be cancelled between batches; nothing is left behind
    stored.unlink()
    with pytest.raises(EmbedCancelled):
        edited.index(approximate_above=100, cancel=lambda: True)
    assert not stored.exists() and not any(p.name.endswith(".tmp") for p in edited.location.iterdir())


def test_an_approximate_index_without_a_store_is_built_in_memory_and_empty_stays_exact(tmp_path):
    from rerank_tui.embed import CorpusVectors
    from rerank_tui.recall.approximate import ApproximateIndex
    from rerank_tui.recall.dense import DenseIndex

    matrix = expected([f"t{i}" for i in range(300)], 8).astype(np.float32)
    index = CorpusVectors(matrix, 0, 0, 0.0).index(approximate_above=10)
    assert isinstance(index, ApproximateIndex) and index.built and index.matrix is matrix
    empty = embed_corpus([], CountingEmbedder(dims=4), corpus="empty", root=tmp_path)
    assert empty.order is None and type(empty.index(approximate_above=0)) is DenseIndex
    assert empty.index(approximate_above=1).search(np.ones(4), 3) == []
