"""Splicing term counts gives exactly the counts of the spliced corpus."""

import numpy as np

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.counting import ChunkCounter, count_passages
from rerank_tui.recall.engines import BM25Params, Bm25sEngine
from rerank_tui.recall.tokenize import Tokenizer


def ps(*texts):
    return [Passage(f"p{i}#1", f"p{i}", "", t) for i, t in enumerate(texts)]


def test_splice_scores_like_counting_the_new_corpus():
    tok = Tokenizer()
    old = ps("cats sat", "dogs sat on logs", "cats and dogs", "birds", "")
    new = ps("zebras", "cats cats zebras")
    postings = count_passages(old, tok)
    counter = ChunkCounter(tok)
    spliced = postings.splice([(0, 1), counter.count(new[:1]), (2, 3), (3, 5), counter.count(new[1:])])
    corpus = [old[0], new[0], old[2], old[3], old[4], new[1]]
    fresh = count_passages(corpus, tok)
    assert spliced.lengths.tolist() == fresh.lengths.tolist()
    a = Bm25sEngine.from_postings(spliced, BM25Params())
    b = Bm25sEngine.from_postings(fresh, BM25Params())
    for q in (["cat"], ["zebra", "dog"], ["log"], ["bird", "sat"]):
        np.testing.assert_array_equal(a.scores(q), b.scores(q))
    assert "log" in spliced.vocab  # a term no passage holds any more keeps its id ...
    assert not a.scores(["log"]).any()  # ... and scores nothing
    assert postings.vocab == count_passages(old, tok).vocab  # the old postings are untouched
