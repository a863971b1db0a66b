"""Counting passages into postings: the parallel path gives exactly the in-process result."""

import os
import random

import numpy as np
import pytest

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.counting import count_chunks, count_passages, index_text
from rerank_tui.recall.index import Index
from rerank_tui.recall.tokenize import Tokenizer

WORDS = "the of DataLoader num_workers pin_memory HTTPServer cats 数据加载 ＡＢＣ café naïve x GPUs fp16 a".split()


def corpus(n=300, seed=3):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = rng.choices(WORDS, k=rng.randint(0, 25))
        if i % 7 == 0:
            words.append(f"rare{i}")
        out.append(Passage(f"f{i}.md#1", f"f{i}.md", "" if i % 3 else f"title {i}", " ".join(words)))
    return out


def test_counts_equal_the_tokenizer_output():
    tok = Tokenizer()
    ps = corpus()
    postings = count_passages(ps, tok, parallel_above=10**9)
    for i in (0, 1, 7, 100, 299):
        expect = {}
        for t in tok.tokenize(index_text(ps[i])):
            expect[t] = expect.get(t, 0) + 1
        a, b = postings.indptr[i], postings.indptr[i + 1]
        got = {postings.vocab[t]: int(f) for t, f in zip(postings.terms[a:b], postings.tf[a:b])}
        assert got == expect
        assert postings.lengths[i] == sum(expect.values())


def test_ascii_fast_path_splits_like_the_regex():
    tok = Tokenizer()
    for text in ["a-b c_d  e\tf\n9x", "", "  ", "x.y,z!?", "under_score__x"]:
        assert [r.decode() for r in tok.ascii_raw_tokens(text)] == tok.raw_tokens(text)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_parallel_counting_is_really_parallel_and_identical():
    tok = Tokenizer()
    ps = corpus()
    chunks = count_chunks(ps, tok, chunk=37, workers=2)
    sources = {c.source for c in chunks}
    assert sources and os.getpid() not in sources and 0 not in sources  # counted in worker processes
    parallel = count_passages(ps, tok, chunk=37, workers=2)
    sequential = count_passages(ps, tok, parallel_above=10**9)
    assert parallel.vocab == sequential.vocab
    for name in ("indptr", "lengths"):
        np.testing.assert_array_equal(getattr(parallel, name), getattr(sequential, name))
    for i in range(parallel.n_docs):  # the same (term, tf) pairs per passage
        a, b = parallel.indptr[i], parallel.indptr[i + 1]
        assert sorted(zip(parallel.terms[a:b], parallel.tf[a:b])) == sorted(zip(sequential.terms[a:b], sequential.tf[a:b]))


def test_parallel_build_gives_the_same_index():
    ps = corpus(400)
    parallel = Index.build(ps, parallel_above=5)
    sequential = Index.build(ps, parallel_above=None)
    for a, b in zip(
        (parallel.engine._indptr, parallel.engine._docs, parallel.engine._weights),
        (sequential.engine._indptr, sequential.engine._docs, sequential.engine._weights),
    ):
        np.testing.assert_array_equal(a, b)
    for q in ["dataloader", "cats http server", "数据", "rare7 rare14", "the"]:
        np.testing.assert_array_equal(parallel.scores(q), sequential.scores(q))


def test_empty_and_stopword_only_passages():
    ps = [Passage("a#1", "a", "", ""), Passage("b#1", "b", "", "the of a"), Passage("c#1", "c", "", "cats")]
    postings = count_passages(ps, Tokenizer())
    assert postings.lengths.tolist() == [0, 0, 1]
    assert Index.build(ps).search("cats", 3)[0].passage.id == "c#1"
    assert Index.build(ps[:2]).search("cats", 3) == []
