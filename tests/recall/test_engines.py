"""bm25s (default) against rank-bm25 (the oracle): same tokens, same parameters."""

import json
import math

import numpy as np
import pytest

from rerank_tui.recall.engines import BM25Params, build_engine
from rerank_tui.recall.tokenize import Tokenizer
from tests.conftest import eval_collection

CORPUS = [
    "the cat sat on the mat".split(),
    "the dog sat on the log".split(),
    "cats and dogs and cats".split(),
    "a long document about nothing in particular but mats and logs".split(),
    [],
]


@pytest.mark.parametrize("k1,b", [(1.2, 0.75), (0.9, 0.4), (2.0, 1.0)])
def test_lucene_scores_equal_up_to_the_constant_tf_factor(k1, b):
    params = BM25Params(k1=k1, b=b, method="lucene")
    fast = build_engine("bm25s", CORPUS, params)
    oracle = build_engine("rank-bm25", CORPUS, params)
    for query in (["cat"], ["sat", "mat"], ["cats", "dogs", "log"], ["unknown"]):
        # bm25s's lucene tf part omits rank-bm25's (k1 + 1) numerator factor.
        np.testing.assert_allclose(fast.scores(query) * (k1 + 1), oracle.scores(query), rtol=1e-5, atol=1e-6)


def test_lucene_idf_is_the_lucene_formula():
    params = BM25Params(k1=1.2, b=0.0)
    docs = [["x"], ["y"], ["y"], ["z"]]
    score = build_engine("bm25s", docs, params).scores(["x"])[0]
    idf = math.log(1 + (4 - 1 + 0.5) / (1 + 0.5))
    assert score == pytest.approx(idf * 1 / (1 + 1.2), rel=1e-5)


def test_robertson_differs_only_in_the_idf_of_very_common_terms():
    params = BM25Params(method="robertson")
    docs = [["common", "rare"], ["common"], ["common"], ["other"]]
    fast = build_engine("bm25s", docs, params).scores(["common"])
    oracle = build_engine("rank-bm25", docs, params).scores(["common"])
    assert np.all(fast == 0)  # df > N/2: idf clamped to zero by bm25s ...
    assert np.all(oracle[:3] > 0)  # ... and floored at epsilon * mean idf by rank-bm25
    np.testing.assert_allclose(
        build_engine("bm25s", docs, params).scores(["rare"]) * (params.k1 + 1),
        build_engine("rank-bm25", docs, params).scores(["rare"]),
        rtol=1e-5,
    )


def test_repeated_query_terms_count_each_time():
    engine = build_engine("bm25s", CORPUS, BM25Params())
    np.testing.assert_allclose(engine.scores(["cat", "cat"]), 2 * engine.scores(["cat"]), rtol=1e-6)


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown BM25 engine"):
        build_engine("lucene", CORPUS, BM25Params())


def _top10(engine, query_tokens):
    scores = engine.scores(query_tokens)
    order = np.lexsort((np.arange(len(scores)), -scores))
    return {int(i) for i in order[:10] if scores[i] > 0}


@pytest.mark.slow
def test_top10_parity_with_rank_bm25_on_scifact():
    from rerank_tui.corpus import load_corpus

    root = eval_collection("scifact")
    passages = load_corpus(root / "docs.jsonl").passages
    tok = Tokenizer()
    docs = [tok(f"{p.title}\n{p.text}") for p in passages]
    lines = (root / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [tok(json.loads(line)["text"]) for line in lines]
    n = len(docs)
    df: dict[str, int] = {}
    for d in docs:
        for t in set(d):
            df[t] = df.get(t, 0) + 1

    for method in ("lucene", "robertson"):
        params = BM25Params(method=method)
        fast, oracle = build_engine("bm25s", docs, params), build_engine("rank-bm25", docs, params)
        disagreements = [q for q in queries if _top10(fast, q) != _top10(oracle, q)]
        agreement = 1 - len(disagreements) / len(queries)
        assert agreement >= 0.99, (method, agreement)
        if method == "lucene":
            assert not disagreements
        else:
            # Every robertson disagreement is explained by a term in over half the passages.
            assert all(any(df.get(t, 0) > n / 2 for t in q) for q in disagreements)


def _bm25s_library(corpus_tokens, params):
    import bm25s

    model = bm25s.BM25(k1=params.k1, b=params.b, method=params.method)
    model.index(corpus_tokens, show_progress=False)
    return model


SYNTHETIC = [
    [f"w{(i * 7 + j * j) % 23}" for j in range(i % 17)] + (["common"] if i % 3 else []) for i in range(120)
]


@pytest.mark.parametrize("method", ["lucene", "robertson"])
@pytest.mark.parametrize("k1,b", [(1.2, 0.75), (0.9, 0.4), (2.0, 1.0), (1.5, 0.0)])
def test_weights_equal_the_bm25s_library_bit_for_bit(method, k1, b):
    params = BM25Params(k1=k1, b=b, method=method)
    for corpus in (CORPUS, SYNTHETIC):
        ours = build_engine("bm25s", corpus, params)
        lib = _bm25s_library(corpus, params)
        s = lib.scores
        for term, j in lib.vocab_dict.items():
            if term == "":
                continue
            a, z = s["indptr"][j], s["indptr"][j + 1]
            i = ours.vocab[term]
            c, d = ours._indptr[i], ours._indptr[i + 1]
            np.testing.assert_array_equal(ours._docs[c:d], s["indices"][a:z])
            np.testing.assert_array_equal(ours._weights[c:d], s["data"][a:z])
        for query in (["common"], ["w3", "w5", "common"], ["w1", "w1"], ["nothing"]):
            known = [t for t in query if t in lib.vocab_dict]
            expect = lib.get_scores(known) if known else np.zeros(len(corpus))
            np.testing.assert_allclose(ours.scores(query), expect, rtol=1e-6, atol=0)


def test_saved_engine_loads_equal(tmp_path):
    from rerank_tui.recall.engines import Bm25sEngine

    params = BM25Params()
    engine = build_engine("bm25s", SYNTHETIC, params)
    engine.save(tmp_path)
    loaded = Bm25sEngine.load(tmp_path, params)
    for query in (["common"], ["w3", "w5"], ["w4"]):
        np.testing.assert_array_equal(loaded.scores(query), engine.scores(query))
