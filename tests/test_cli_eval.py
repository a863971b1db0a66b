"""`rerank-tui eval`: numbers equal pytrec_eval's; the reranked path runs end to end."""

import json

import pytest

from rerank_tui.cli import main
from tests.conftest import eval_collection


def run_eval(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def pytrec_means(qrels_path, run_path, measures):
    import pytrec_eval

    qrels: dict = {}
    for line in qrels_path.read_text().splitlines():
        q, d, g = line.split("\t")
        qrels.setdefault(q, {})[d] = int(g)
    run: dict = {}
    for line in run_path.read_text().splitlines():
        q, _, d, _, s, _ = line.split()
        run.setdefault(q, {})[d] = float(s)
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, set(measures))
    per_query = evaluator.evaluate(run)
    # Judged queries the run misses count as 0, as in our table.
    return {m: sum(per_query.get(q, {}).get(m, 0.0) for q in qrels) / len(qrels) for m in measures}


@pytest.mark.slow
@pytest.mark.parametrize("collection", ["cranfield", "scifact"])
def test_bm25_numbers_equal_pytrec_eval(capsys, tmp_path, collection):
    root = eval_collection(collection)
    out = run_eval(
        capsys, "eval", root, "--queries", root / "queries.jsonl", "--qrels", root / "qrels.tsv",
        "--bm25-only", "--json", "--runs", tmp_path, "--metrics", "nDCG@10", "AP@10", "RR@10", "P@5", "R@100",
    )
    row = json.loads(out)["rows"][0]
    reference = pytrec_means(
        root / "qrels.tsv", tmp_path / "bm25.trec",
        ["ndcg_cut_10", "P_5", "recall_100"],
    )
    assert row["nDCG@10"] == pytest.approx(reference["ndcg_cut_10"], abs=1e-6)
    assert row["P@5"] == pytest.approx(reference["P_5"], abs=1e-6)
    assert row["R@100"] == pytest.approx(reference["recall_100"], abs=1e-6)


@pytest.mark.slow
def test_reranked_eval_end_to_end_on_cranfield(capsys, tmp_path, tiny_model_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    root = eval_collection("cranfield")
    out = run_eval(
        capsys, "eval", root, "--queries", root / "queries.jsonl", "--qrels", root / "qrels.tsv",
        "--model", tiny_model_dir, "--backend", "transformers", "--rerank-depth", "5", "--depth", "20",
        "--preset", "default", "--instruction", "Prefer passages about supersonic flow",
        "--json", "--runs", tmp_path / "runs", "--workspace", tmp_path / "ws",
    )
    report = json.loads(out)
    assert [r["system"] for r in report["rows"]] == ["bm25", "default", "instruction-1"]
    assert all(r["queries"] == 225 for r in report["rows"])
    for row in report["rows"][1:]:
        assert set(row["delta"]) == set(report["metrics"])
        assert row["delta"]["nDCG@10"] == pytest.approx(row["nDCG@10"] - report["rows"][0]["nDCG@10"])
    assert report["pairs"][0]["a"] == "default" and report["pairs"][0]["b"] == "instruction-1"
    for name in ("bm25", "default", "instruction-1"):
        rows = [line.split() for line in (tmp_path / "runs" / f"{name}.trec").read_text().splitlines()]
        assert rows and all(len(r) == 6 and r[1] == "Q0" for r in rows)
        assert len({r[0] for r in rows}) == 225
        for qid in {r[0] for r in rows}:
            scores = [float(r[4]) for r in rows if r[0] == qid]
            assert scores == sorted(scores, reverse=True)


def test_eval_from_labels(capsys, tmp_path, tiny_model_dir, monkeypatch):
    from rerank_tui.session.labels import LabelStore

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    corpus = tmp_path / "notes"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Loader\n\nThe DataLoader hangs in Jupyter with num_workers > 0.\n")
    (corpus / "b.md").write_text("# Other\n\nThe DataLoader is a PyTorch class.\n")
    labels = LabelStore.load(tmp_path / "labels.yaml")
    labels.set("dataloader hangs", "a.md#1", 3, "x")
    labels.set("dataloader hangs", "b.md#1", 0, "y")
    labels.close()
    out = run_eval(capsys, "eval", corpus, "--labels", tmp_path / "labels.yaml", "--model", tiny_model_dir,
                   "--backend", "transformers", "--workspace", tmp_path / "ws")
    assert out.splitlines()[0].startswith("system") and "bm25" in out and "default" in out
    assert "1 judged queries" in out


def test_bad_qrels_line_is_reported(capsys, tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "d1", "title": "", "text": "hello"}\n')
    (tmp_path / "q.jsonl").write_text('{"id": "q1", "text": "hello"}\n')
    (tmp_path / "qrels").write_text("q1\td1\t1\nq1\td2\n")
    code = main(["eval", str(corpus), "--queries", str(tmp_path / "q.jsonl"), "--qrels", str(tmp_path / "qrels"), "--bm25-only"])
    err = capsys.readouterr().err
    assert code == 2 and "qrels:2:" in err
