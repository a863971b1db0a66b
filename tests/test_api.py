"""The notebook API (rerank_tui/api.py) runs as the README shows, and its numbers are eval's."""

from __future__ import annotations

import json

import ir_measures
import pytest

from rerank_tui import api
from rerank_tui.cli import main

DOCS = [
    {"id": "d1", "title": "Supersonic flow", "text": "shock waves in supersonic flow over a wedge"},
    {"id": "d2", "title": "Heat transfer", "text": "heat transfer in a laminar boundary layer"},
    {"id": "d3", "title": "Buckling", "text": "buckling of thin cylindrical shells under axial load"},
    {"id": "d4", "title": "Wings", "text": "lift and drag of swept wings at high speed in supersonic flow"},
]
QUERIES = {"q1": "supersonic flow", "q2": "boundary layer heat"}
QRELS = {"q1": {"d1": 2, "d4": 1}, "q2": {"d2": 1}}


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    return path


def test_the_readme_example_runs_and_matches_eval(corpus_file, tiny_model_dir, tmp_path, capsys):
    corpus = api.open_corpus(corpus_file)
    assert len(corpus) == 4
    hits = corpus.search("supersonic flow", k=3)
    assert [h.passage.id for h in hits][:2] == ["d1", "d4"] and hits[0].rank == 1
    reranker = api.reranker(str(tiny_model_dir), backend="transformers", max_length=512, cache=False)
    ranked = corpus.rerank("supersonic flow", reranker, k=4)
    assert {r.hit.passage.id for r in ranked} == {h.passage.id for h in corpus.search("supersonic flow", k=4)}
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    table = corpus.evaluate(QUERIES, QRELS, reranker, instructions={"default": None}, metrics=["nDCG@10", "AP@10"])
    means = table.means()
    assert set(means) == {"bm25", "default"}

    # The same numbers from ir-measures on the run, and from `rerank-tui eval --json`.
    qrels = [ir_measures.Qrel(q, d, g) for q, docs in QRELS.items() for d, g in docs.items()]
    run = [ir_measures.ScoredDoc(q, d, s) for q, docs in table.run("default").items() for d, s in docs]
    got = ir_measures.calc_aggregate([ir_measures.parse_measure("nDCG@10")], qrels, run)
    assert means["default"]["nDCG@10"] == pytest.approx(next(iter(got.values())), abs=1e-12)
    (tmp_path / "q.jsonl").write_text("".join(json.dumps({"id": q, "text": t}) + "\n" for q, t in QUERIES.items()))
    (tmp_path / "qrels.txt").write_text("".join(f"{q} 0 {d} {g}\n" for q, docs in QRELS.items() for d, g in docs.items()))
    code = main([
        "eval", str(corpus_file), "--queries", str(tmp_path / "q.jsonl"), "--qrels", str(tmp_path / "qrels.txt"),
        "--model", str(tiny_model_dir), "--backend", "transformers", "--metrics", "nDCG@10", "AP@10", "--json",
        "--workspace", str(tmp_path / "ws"),
    ])
    out = capsys.readouterr().out
    assert code == 0
    printed = json.loads(out)
    rows = {row["system"]: row for row in printed["rows"]}
    assert rows["bm25"]["nDCG@10"] == pytest.approx(means["bm25"]["nDCG@10"], abs=1e-12)
    assert rows["default"]["AP@10"] == pytest.approx(means["default"]["AP@10"], abs=1e-12)


def test_dense_needs_vectors_first(corpus_file):
    corpus = api.open_corpus(corpus_file)
    with pytest.raises(ValueError, match="corpus.dense"):
        corpus.search("flow", recall="dense")
