"""Retrieval quality with default settings on real test collections, scored by ir-measures."""

import json

import ir_measures
import pytest
from ir_measures import R, nDCG

from rerank_tui.recall import open_index
from tests.conftest import eval_collection


def evaluate(name: str, k: int = 100) -> dict:
    root = eval_collection(name)
    index = open_index(root / "docs.jsonl").index
    queries = [json.loads(line) for line in (root / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    run = [
        ir_measures.ScoredDoc(q["id"], hit.passage.id, hit.score)
        for q in queries
        for hit in index.search(q["text"], k)
    ]
    qrels = [
        ir_measures.Qrel(qid, did, int(grade))
        for qid, did, grade in (line.split("\t") for line in (root / "qrels.tsv").read_text().splitlines() if line.strip())
    ]
    return {str(m): v for m, v in ir_measures.calc_aggregate([nDCG @ 10, R @ 100], qrels, run).items()}


@pytest.mark.slow
def test_scifact_ndcg10_matches_anserini_bm25():
    scores = evaluate("scifact")
    assert scores["nDCG@10"] >= 0.675, scores  # Anserini Lucene BM25: 0.679
    assert scores["R@100"] >= 0.90, scores  # Anserini: 0.925


@pytest.mark.slow
def test_cranfield_ndcg10():
    scores = evaluate("cranfield")
    assert scores["nDCG@10"] >= 0.35, scores
