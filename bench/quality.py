"""BM25 quality on the shared test collections, for a few parameter settings, in one table.

    .venv/bin/python bench/quality.py [--engines bm25s rank-bm25]

Reads ../shared/eval/{scifact,cranfield} at run time; scores with ir-measures (nDCG@10,
R@100, as trec_eval). Reference: Anserini's Lucene BM25 on SciFact nDCG@10 0.679, R@100 0.925.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import ir_measures
from ir_measures import R, nDCG

from rerank_tui.corpus import load_corpus
from rerank_tui.recall import BM25Params, Index
from rerank_tui.session.judgment_readers import read_qrels, read_queries

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval"
SETTINGS = [(1.2, 0.75, "lucene"), (0.9, 0.4, "lucene"), (1.2, 0.75, "robertson")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", nargs="+", default=["bm25s"])
    args = parser.parse_args()
    print(f"{'collection':<10} | {'engine':<9} | {'k1':>4} | {'b':>4} | {'idf':<9} | {'nDCG@10':>7} | {'R@100':>6} | {'ms/query':>8}")
    print("-" * 80)
    for name in ("scifact", "cranfield"):
        root = SHARED / name
        passages = load_corpus(root / "docs.jsonl").passages
        queries = read_queries(root / "queries.jsonl")
        qrels = read_qrels(root / "qrels.tsv", grades=None)  # what `rerank-tui eval` reads
        for engine in args.engines:
            for k1, b, method in SETTINGS:
                index = Index.build(passages, engine=engine, params=BM25Params(k1, b, method))
                started = time.perf_counter()
                run = [
                    ir_measures.ScoredDoc(qid, h.passage.id, h.score)
                    for qid, text in queries
                    for h in index.search(text, 100)
                ]
                ms = (time.perf_counter() - started) * 1000 / len(queries)
                m = {str(k): v for k, v in ir_measures.calc_aggregate([nDCG @ 10, R @ 100], qrels, run).items()}
                print(
                    f"{name:<10} | {engine:<9} | {k1:>4} | {b:>4} | {method:<9} | {m['nDCG@10']:>7.4f} | {m['R@100']:>6.4f} | {ms:>8.2f}"
                )


if __name__ == "__main__":
    main()
