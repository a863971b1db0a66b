"""`--recall dense|hybrid` through `main(argv)`, with a tiny random BERT (real forward passes)."""

import json

import ir_measures
import numpy as np
import pytest

from rerank_tui.cli import main
from tests.support.tiny_bert import build_tiny_bert

DOCS = [
    {"id": "d1", "title": "Supersonic flow", "text": "shock waves in supersonic flow over a wedge"},
    {"id": "d2", "title": "Heat transfer", "text": "heat transfer in a laminar boundary layer"},
    {"id": "d3", "title": "Buckling", "text": "buckling of thin cylindrical shells under axial load"},
    {"id": "d4", "title": "Wings", "text": "lift and drag of swept wings at high speed"},
]
QUERIES = [{"id": "q1", "text": "supersonic shock"}, {"id": "q2", "text": "boundary layer heat"}]
QRELS = "q1 0 d1 2\nq2 0 d2 1\nq2 0 d4 1\n"


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), seed=0)


@pytest.fixture
def collection(tmp_path):
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    (tmp_path / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUERIES))
    (tmp_path / "qrels.txt").write_text(QRELS)
    return tmp_path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def reference_ranking(tiny_bert, query: str) -> list[str]:
    """The passages by cosine to the query, from the model itself (title, newline, text)."""
    from rerank_tui.embed.st_backend import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(str(tiny_bert))
    docs = embedder.embed_documents([f"{d['title']}\n{d['text']}" for d in DOCS])
    q = embedder.embed_queries([query])[0]
    scores = docs @ q
    return [DOCS[i]["id"] for i in np.argsort(-scores, kind="stable")]


def test_dense_search_is_the_models_own_nearest_passages(capsys, collection, tiny_bert):
    code, out, err = run(capsys, "search", collection / "docs.jsonl", "supersonic shock", "--recall", "dense", "--embedder", tiny_bert, "-k", "4", "--json")
    assert code == 0, err
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert ids == reference_ranking(tiny_bert, "supersonic shock")


def test_dense_needs_an_embedder(capsys, collection):
    code, _, err = run(capsys, "search", collection / "docs.jsonl", "supersonic", "--recall", "dense")
    assert code == 2 and "--embedder" in err and "Traceback" not in err


def test_eval_rows_for_each_recall_and_runs_that_ir_measures_reproduces(capsys, collection, tiny_bert, tmp_path):
    runs = tmp_path / "runs"
    code, out, err = run(
        capsys, "eval", collection / "docs.jsonl", "--queries", collection / "queries.jsonl", "--qrels", collection / "qrels.txt",
        "--bm25-only", "--recall", "bm25", "dense", "hybrid", "--embedder", tiny_bert, "--json", "--runs", runs,
    )
    assert code == 0, err
    table = json.loads(out)
    assert [r["system"] for r in table["rows"]] == ["bm25", "dense", "hybrid"]
    qrels = list(ir_measures.read_trec_qrels(str(collection / "qrels.txt")))
    for row in table["rows"]:
        run_file = runs / f"{row['system']}.trec"
        value = ir_measures.calc_aggregate([ir_measures.nDCG @ 10], qrels, ir_measures.read_trec_run(str(run_file)))
        assert row["nDCG@10"] == pytest.approx(next(iter(value.values())))


def test_index_embeds_once_and_reuses_the_vectors(capsys, collection, tiny_bert):
    code, out, err = run(capsys, "index", collection / "docs.jsonl", "--embedder", tiny_bert)
    assert code == 0, err
    assert "vectors: 4 passages" in out and "(4 embedded, 0 reused)" in out
    code, out, err = run(capsys, "index", collection / "docs.jsonl", "--embedder", tiny_bert)
    assert code == 0 and "(0 embedded, 4 reused)" in out
    docs = collection / "docs.jsonl"
    changed = DOCS[:3] + [{**DOCS[3], "text": "lift and drag of delta wings"}]
    docs.write_text("".join(json.dumps(d) + "\n" for d in changed))
    code, out, err = run(capsys, "index", docs, "--embedder", tiny_bert)
    assert code == 0 and "(1 embedded, 3 reused)" in out  # only the edited passage


def test_eval_sweeps_alpha_and_reports_the_best(capsys, collection, tiny_bert):
    code, out, err = run(
        capsys, "eval", collection / "docs.jsonl", "--queries", collection / "queries.jsonl", "--qrels", collection / "qrels.txt",
        "--bm25-only", "--recall", "bm25", "hybrid", "--fusion", "linear", "--embedder", tiny_bert, "--sweep-alpha", "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    sweep = report["alpha_sweep"]
    assert [v["alpha"] for v in sweep["values"]] == [i / 10 for i in range(11)]
    best = max(sweep["values"], key=lambda v: v["nDCG@10"])
    assert sweep["best"] == best["alpha"]
    # alpha 1 is dense's order; alpha 0 keeps BM25's order and appends what only dense found.
    _, dense_out, _ = run(
        capsys, "eval", collection / "docs.jsonl", "--queries", collection / "queries.jsonl", "--qrels", collection / "qrels.txt",
        "--bm25-only", "--recall", "bm25", "dense", "--embedder", tiny_bert, "--json",
    )
    rows = {r["system"]: r for r in json.loads(dense_out)["rows"]}
    assert sweep["values"][0]["nDCG@10"] >= rows["bm25"]["nDCG@10"] - 1e-12
    assert sweep["values"][-1]["nDCG@10"] == pytest.approx(rows["dense"]["nDCG@10"])
    assert "relative_percent" in rows["dense"]


def test_sweep_needs_an_embedder(capsys, collection):
    code, _, err = run(
        capsys, "eval", collection / "docs.jsonl", "--queries", collection / "queries.jsonl", "--qrels", collection / "qrels.txt",
        "--bm25-only", "--sweep-alpha",
    )
    assert code == 2 and "--embedder" in err


def test_approximate_above_is_plumbed_and_defaults_to_the_libraries_threshold(capsys, collection, tiny_bert, monkeypatch):
    from rerank_tui.cli.options import build_parser
    from rerank_tui.recall.approximate import DEFAULT_APPROXIMATE_ABOVE
    from rerank_tui.session import recall_sources

    assert build_parser().parse_args(["search", "x", "q"]).approximate_above == DEFAULT_APPROXIMATE_ABOVE
    seen = []
    real = recall_sources.dense_recall

    def spy(*args, **kwargs):
        seen.append(kwargs.get("approximate_above"))
        return real(*args, **kwargs)

    monkeypatch.setattr(recall_sources, "dense_recall", spy)
    code, out, err = run(capsys, "search", collection / "docs.jsonl", "supersonic shock", "--recall", "dense", "--embedder", tiny_bert,
                         "-k", "4", "--json", "--approximate-above", "2")
    assert code == 0, err
    assert seen == [2]
    assert [json.loads(line)["id"] for line in out.splitlines()] == reference_ranking(tiny_bert, "supersonic shock")
