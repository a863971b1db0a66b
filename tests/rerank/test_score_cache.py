"""The persistent score cache and the CachedReranker wrapper."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rerank_tui.paths import cache_dir
from rerank_tui.rerank import CachedReranker, RerankCancelled, ScoreCache
from rerank_tui.rerank.score_cache import cache_key

from .helpers import QUERY, make_documents


@pytest.fixture
def counted(tiny_reranker, monkeypatch):
    """The tiny backend with its forward passes counted (rows per call)."""
    rows: list[int] = []
    forward = tiny_reranker._forward
    monkeypatch.setattr(tiny_reranker, "_forward", lambda batch: rows.append(len(batch)) or forward(batch))
    return tiny_reranker, rows


def test_default_location_is_the_cache_dir():
    assert ScoreCache().path == cache_dir() / "scores.sqlite"


def test_repeat_is_served_without_forward_passes(counted):
    backend, rows = counted
    cached = CachedReranker(backend, ScoreCache())
    docs = make_documents(20, seed=10)
    ranking = cached.rank(QUERY, docs)
    first = ranking.scores(len(docs))
    assert sum(rows) == 20 and ranking.stats.cache_hits == 0 and ranking.stats.batches == 3
    rows.clear()
    ranking = cached.rank(QUERY, docs)
    assert ranking.scores(len(docs)) == first and rows == [] and ranking.stats.cache_hits == 20
    assert ranking.stats.pairs == 20 and ranking.stats.batches == 0 and cached.score(QUERY, docs) == first
    # a new process (a new ScoreCache on the same file) sees the same scores
    fresh = CachedReranker(backend, ScoreCache())
    assert fresh.score(QUERY, docs) == first and rows == []


def test_only_misses_reach_the_backend(counted):
    backend, rows = counted
    cached = CachedReranker(backend, ScoreCache())
    docs = make_documents(10, seed=11)
    cached.score(QUERY, docs[:6])
    rows.clear()
    ranking = cached.rank(QUERY, docs + [docs[7]])  # 4 new, one of them twice
    scores = ranking.scores(11)
    assert sum(rows) == 4 and ranking.stats.cache_hits == 6
    assert scores[7] == scores[10]
    direct = backend.score(QUERY, docs + [docs[7]])  # other batches: float noise only
    assert max(abs(a - b) for a, b in zip(scores, direct)) <= 1e-5


def test_key_covers_model_length_instruction_query_and_text():
    base = cache_key("m", 512, None, "q", "doc")
    assert base == cache_key("m", 512, "Given a web search query, retrieve relevant passages that answer the query", "q", "doc")
    variants = [
        cache_key("m2", 512, None, "q", "doc"),
        cache_key("m", 1024, None, "q", "doc"),
        cache_key("m", 512, "other", "q", "doc"),
        cache_key("m", 512, None, "q2", "doc"),
        cache_key("m", 512, None, "q", "doc "),
    ]
    assert len({base, *variants}) == 6


def test_instruction_change_is_a_miss(counted):
    backend, rows = counted
    cached = CachedReranker(backend, ScoreCache())
    docs = make_documents(5, seed=12)
    cached.score(QUERY, docs)
    rows.clear()
    stats = cached.rank(QUERY, docs, instruction="Prefer short answers").stats
    assert sum(rows) == 5 and stats.cache_hits == 0


def test_corrupt_file_is_discarded_and_rebuilt(counted, tmp_path):
    backend, rows = counted
    path = tmp_path / "scores.sqlite"
    docs = make_documents(6, seed=13)
    first = CachedReranker(backend, ScoreCache(path))
    expected = first.score(QUERY, docs)
    first.cache.close()  # the last connection folds the WAL into the file and removes it
    assert not Path(f"{path}-wal").exists()
    path.write_bytes(b"this is not a database\x00" * 500)
    rows.clear()
    cache = ScoreCache(path)
    cached = CachedReranker(backend, cache)
    assert cached.score(QUERY, docs) == expected
    assert sum(rows) == 6  # recomputed: the garbage could not be read
    assert len(cache) == 6 and path.read_bytes()[:16] == b"SQLite format 3\x00"
    rows.clear()
    assert CachedReranker(backend, ScoreCache(path)).score(QUERY, docs) == expected and rows == []


def test_file_corrupted_while_open_is_rebuilt(tmp_path):
    path = tmp_path / "scores.sqlite"
    cache = ScoreCache(path)
    cache.put_many([(b"k1", 0.5)])
    cache.close()
    path.write_bytes(b"garbage" * 2000)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    cache = ScoreCache(path)
    assert cache.get_many([b"k1"]) == {}
    cache.put_many([(b"k2", 0.25)])
    assert cache.get_many([b"k2"]) == {b"k2": 0.25}


def test_unusable_location_only_disables_caching(counted, tmp_path):
    backend, rows = counted
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cached = CachedReranker(backend, ScoreCache(blocker / "scores.sqlite"))
    docs = make_documents(3, seed=14)
    assert cached.score(QUERY, docs) == backend.score(QUERY, docs)


def test_oldest_rows_are_evicted_over_the_limit(tmp_path):
    cache = ScoreCache(tmp_path / "s.sqlite", max_rows=10)
    for i in range(25):
        cache.put_many([(f"k{i}".encode(), i / 100)])
    assert len(cache) <= 10
    assert cache.get_many([b"k24"]) == {b"k24": 0.24}
    assert cache.get_many([b"k0", b"k5"]) == {}


def test_cancel_passes_through_the_cache(counted):
    backend, rows = counted
    stop = threading.Event()
    stop.set()
    with pytest.raises(RerankCancelled):
        CachedReranker(backend, ScoreCache()).score(QUERY, make_documents(4), cancel=stop.is_set)
    assert rows == []


WRITER = """
import sys
from rerank_tui.rerank.score_cache import ScoreCache
cache = ScoreCache(sys.argv[1])
tag = sys.argv[2]
for i in range(200):
    cache.put_many([(f"{tag}-{i}-{j}".encode(), 0.5) for j in range(5)])
    cache.get_many([f"{tag}-{i}-0".encode()])
print("ok")
"""


def test_two_processes_share_one_file(tmp_path):
    path = tmp_path / "shared.sqlite"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for tag in ("a", "b")
    ]
    errors = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == "ok", err
        errors.append(err)
    assert len(ScoreCache(path)) == 2000, errors  # a write lost to a lock would log to stderr


def test_keys_are_the_documented_sha1_so_existing_caches_stay_valid():
    import hashlib

    from rerank_tui.rerank.prompt import resolve_instruction
    from rerank_tui.rerank.score_cache import cache_key, cache_keys

    def documented(identity, max_length, instruction, query, document):
        doc = hashlib.sha1(document.encode("utf-8", "surrogatepass")).hexdigest()
        parts = (identity, str(max_length), resolve_instruction(instruction), query, doc)
        return hashlib.sha1("\x00".join(parts).encode("utf-8", "surrogatepass")).digest()

    docs = ["a passage", "数据加载", "lone \ud800 surrogate", ""]
    assert cache_keys("m", 8192, "Find answers", "q ü", docs) == [documented("m", 8192, "Find answers", "q ü", d) for d in docs]
    assert cache_key("m", 1, None, "q", "d") == documented("m", 1, None, "q", "d")
