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


# -- --recall-run: another system's candidates --------------------------------------------


RUN_CORPUS = [
    ("d1", "Loader", "The DataLoader hangs in Jupyter when num_workers is above zero"),
    ("d2", "Hooks", "useEffect cleanup runs before the next effect"),
    ("d3", "Classes", "The DataLoader is a PyTorch class for batches"),
    ("d4", "Fruit", "bananas are yellow and sweet"),
    ("d5", "Workers", "worker processes of the DataLoader and Jupyter"),
]


@pytest.fixture
def run_collection(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, t, x in RUN_CORPUS))
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"id": "q1", "text": "dataloader hangs in jupyter"}\n'
        '{"id": "q2", "text": "useEffect cleanup"}\n'
        '{"id": "q3", "text": "yellow bananas"}\n'
    )
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("q1\td1\t2\nq1\td5\t1\nq2\td2\t1\nq3\td4\t1\n")
    run = tmp_path / "prod.trec"  # an unknown doc id in q1 and in q2; no q3 (BM25 then)
    run.write_text(
        "q1 Q0 d4 1 9.5 prod\nq1 Q0 missing-1 2 9.0 prod\nq1 Q0 d5 3 8.0 prod\nq1 Q0 d1 4 8.0 prod\nq1 Q0 d3 5 7.0 prod\n"
        "q2 Q0 d3 1 3.0 prod\nq2 Q0 d2 2 2.0 prod\nq2 Q0 missing-2 3 1.0 prod\n"
    )
    return corpus, queries, qrels, run


def ir_measures_means(qrels_path, run_path, names):
    import ir_measures

    qrels = [ir_measures.Qrel(*line.split("\t")[:2], int(line.split("\t")[2])) for line in qrels_path.read_text().splitlines()]
    measures = [ir_measures.parse_measure(n) for n in names]
    return {str(m): v for m, v in ir_measures.calc_aggregate(measures, qrels, ir_measures.read_trec_run(str(run_path))).items()}


def test_recall_run_is_reranked_and_evaluated(capsys, tmp_path, tiny_model_dir, monkeypatch, run_collection):
    corpus, queries, qrels, run = run_collection
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    metrics = ["nDCG@10", "RR@10", "P@5", "R@100"]
    code = main([str(a) for a in (
        "eval", corpus, "--queries", queries, "--qrels", qrels, "--recall-run", run, "--preset", "default",
        "--model", tiny_model_dir, "--backend", "transformers", "--rerank-depth", "2", "--depth", "10",
        "--metrics", *metrics, "--json", "--runs", tmp_path / "runs", "--workspace", tmp_path / "ws",
    )])
    out, err = capsys.readouterr()
    assert code == 0, err
    notes = err.splitlines()
    unknown = [n for n in notes if "not in the corpus" in n]
    assert unknown == [f"rerank-tui: note: {run}: 2 doc ids not in the corpus, skipped, in 2 of 2 queries (query doc: q1 missing-1, q2 missing-2)"]
    assert [n for n in notes if "no entry" in n] == [f"rerank-tui: note: {run} has no entry for 1 of 3 queries: BM25 candidates for them (q3)"]
    report = json.loads(out)
    assert [r["system"] for r in report["rows"]] == ["prod", "default"]
    for row in report["rows"]:
        reference = ir_measures_means(qrels, tmp_path / "runs" / f"{row['system']}.trec", metrics)
        for m in metrics:
            assert row[m] == pytest.approx(reference[m], abs=1e-9), (row["system"], m)

    written = [line.split() for line in (tmp_path / "runs" / "prod.trec").read_text().splitlines()]
    by_query = {q: [r[2] for r in written if r[0] == q] for q in ("q1", "q2", "q3")}
    assert by_query["q1"] == ["d4", "d5", "d1", "d3"]  # the run's order, ties by rank, unknown ids dropped
    assert by_query["q2"] == ["d3", "d2"]
    from rerank_tui.recall import open_index

    index = open_index(corpus).index
    assert by_query["q3"] == [h.passage.id for h in index.search("yellow bananas", 10)]
    reranked = [line.split() for line in (tmp_path / "runs" / "default.trec").read_text().splitlines()]
    q1 = [r[2] for r in reranked if r[0] == "q1"]
    assert sorted(q1[:2]) == ["d4", "d5"] and q1[2:] == ["d1", "d3"]  # the run's top 2 reranked, then its tail

    # The same candidates through `search --queries … --run …`.
    out_file = tmp_path / "search.trec"
    code = main([str(a) for a in (
        "search", corpus, "--queries", queries, "--run", out_file, "--recall-run", run, "--rerank", "--rerank-depth", "2",
        "-k", "10", "--model", tiny_model_dir, "--backend", "transformers", "--workspace", tmp_path / "ws",
    )])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert sum("not in the corpus" in n for n in err.splitlines()) == 1 and sum("no entry" in n for n in err.splitlines()) == 1
    rows = [line.split() for line in out_file.read_text().splitlines()]
    assert {r[0] for r in rows} == {"q1", "q2", "q3"}
    assert sorted(r[2] for r in rows if r[0] == "q1") == ["d1", "d3", "d4", "d5"]
    assert [r[2] for r in rows if r[0] == "q1"][:2] == q1[:2]  # reranked as eval reranks them


def test_recall_run_bm25_only_names_the_row_after_the_file(capsys, tmp_path, run_collection):
    corpus, queries, qrels, run = run_collection
    out = run_eval(capsys, "eval", corpus, "--queries", queries, "--qrels", qrels, "--recall-run", run, "--bm25-only")
    assert out.splitlines()[2].split()[0] == "prod" and "p vs prod" in out.splitlines()[0]


def test_a_malformed_recall_run_line_is_refused_with_its_line(capsys, tmp_path, run_collection):
    corpus, queries, qrels, run = run_collection
    run.write_text("q1 Q0 d1 1 2.0 prod\nq1 d5 2 1.0\n")
    code = main(["eval", str(corpus), "--queries", str(queries), "--qrels", str(qrels), "--recall-run", str(run), "--bm25-only"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"rerank-tui: error: {run}:2: expected `qid Q0 docid rank score tag`, found 4 fields\n"


def test_runs_never_overwrite_the_recall_run(capsys, tmp_path, run_collection):
    corpus, queries, qrels, run = run_collection
    before = run.read_text()
    code = main(["eval", str(corpus), "--queries", str(queries), "--qrels", str(qrels), "--recall-run", str(run),
                 "--bm25-only", "--runs", str(run.parent)])
    err = capsys.readouterr().err
    assert code == 2 and "over the --recall-run file" in err and run.read_text() == before


# -- any metric ir-measures parses and computes, end to end; the rest refused in one line --------

EXOTIC = ["P(rel=2)@5", "Judged@10", "R@100", "AP(rel=2)", "MRR@10", "NumRel", "nDCG(gains={1:0})@10"]


def test_any_ir_measures_metric_works_end_to_end_and_equals_calc_aggregate(capsys, tmp_path, run_collection):
    corpus, queries, qrels, _ = run_collection
    common = ["eval", corpus, "--queries", queries, "--qrels", qrels, "--bm25-only", "--depth", "5", "--metrics", *EXOTIC]
    report = json.loads(run_eval(capsys, *common, "--json", "--runs", tmp_path / "runs"))
    assert report["metrics"] == EXOTIC and report["primary"] == "Judged@10"
    reference = ir_measures_means(qrels, tmp_path / "runs" / "bm25.trec", EXOTIC)
    row = report["rows"][0]
    for m in EXOTIC:
        ours = "RR@10" if m == "MRR@10" else m  # ir-measures' own spelling of MRR@10
        assert row[m] == pytest.approx(reference[ours], abs=1e-9), m
    assert row["NumRel"] == 4  # a count: summed over the queries, as ir-measures aggregates it
    table = run_eval(capsys, *common)
    header, _, bm25 = table.splitlines()[:3]
    assert all(m in header for m in EXOTIC) and "p vs bm25 (Judged@10)" in header
    assert f"{row['nDCG(gains={1:0})@10']:.4f}" in bm25.split()


@pytest.mark.parametrize(
    "metric, message",
    [
        ("garbage", "unknown metric 'garbage'"),
        ("RBP(p=0.8)", "metric 'RBP(p=0.8)': no installed ir-measures provider computes it"),
        ("nDCG(rel=2)@10", "metric 'nDCG(rel=2)@10': nDCG has no parameter 'rel'"),
        ("P", "metric 'P': P needs cutoff (e.g. P@10)"),
    ],
)
def test_a_metric_that_cannot_be_computed_is_one_line_and_exit_2(capsys, tmp_path, run_collection, metric, message):
    try:
        import trectools  # noqa: F401

        if metric.startswith("RBP"):
            pytest.skip("trectools computes RBP here")
    except ImportError:
        pass
    corpus, queries, qrels, _ = run_collection
    for argv in (
        ["eval", corpus, "--queries", queries, "--qrels", qrels, "--bm25-only", "--metrics", "nDCG@10", metric],
        ["snapshot", "diff", "a", "b", "--metric", metric, "--workspace", tmp_path / "ws"],
    ):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        assert code == 2 and out == ""
        assert err.startswith("rerank-tui: error: ") and message in err and len(err.splitlines()) == 1, err


def test_snapshot_diff_takes_any_computable_metric(capsys, tmp_path, run_collection):
    corpus, queries, qrels, _ = run_collection
    ws = tmp_path / "ws"
    for name, k1 in (("a", "0.5"), ("b", "2")):
        assert main([str(x) for x in ("snapshot", "save", name, corpus, "--queries", queries, "--qrels", qrels,
                                      "--bm25-only", "--k1", k1, "--workspace", ws)]) == 0
    capsys.readouterr()
    for metric in ("P(rel=2)@5", "AP(rel=2)", "MRR@10"):
        report = json.loads(run_eval(capsys, "snapshot", "diff", "a", "b", "--qrels", qrels, "--metric", metric, "--json", "--workspace", ws))
        assert report["metric"] == metric and report["judged"] == 3


# -- a BEIR folder alone: its queries and qrels/test.tsv ------------------------------------------


@pytest.fixture
def beir_folder(tmp_path):
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in RUN_CORPUS))
    (folder / "queries.jsonl").write_text(
        '{"_id": "q1", "text": "dataloader hangs in jupyter"}\n{"_id": "q2", "text": "useEffect cleanup"}\n'
        '{"_id": "q3", "text": "yellow bananas"}\n{"_id": "q4", "text": "a train query"}\n'
    )
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td2\t1\n")
    (folder / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq3\td4\t1\n")
    return folder


def test_eval_of_a_beir_folder_alone_uses_its_queries_and_test_qrels(capsys, tmp_path, beir_folder):
    code = main([str(a) for a in ("eval", beir_folder, "--bm25-only", "--json", "--runs", tmp_path / "runs")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"judged queries from {beir_folder / 'queries.jsonl'} and {beir_folder / 'qrels' / 'test.tsv'} (split test" in err
    report = json.loads(out)
    assert report["rows"][0]["queries"] == 2
    explicit = run_eval(capsys, "eval", beir_folder, "--queries", beir_folder / "queries.jsonl",
                        "--qrels", beir_folder / "qrels" / "test.tsv", "--bm25-only", "--json")
    assert json.loads(explicit)["rows"] == report["rows"]  # the same as naming the files
    dev = json.loads(run_eval(capsys, "eval", beir_folder, "--split", "dev", "--bm25-only", "--json"))
    assert dev["rows"][0]["queries"] == 1


def test_eval_of_the_shared_layout_uses_its_single_qrels(capsys, tmp_path, run_collection):
    corpus, queries, qrels, _ = run_collection  # corpus.jsonl, queries.jsonl and qrels.tsv in one folder
    code = main(["eval", str(tmp_path), "--bm25-only", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["rows"][0]["queries"] == 3 and f"and {qrels}\n" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--split", "train"], "qrels has no train.tsv (splits: dev, test)"),
        (["--split", "dev", "--labels", "{folder}/labels.yaml"], "--split picks the qrels of a BEIR folder PATH"),
        (["--queries", "{folder}/queries.jsonl"], "--queries needs --qrels"),
    ],
)
def test_beir_folder_mistakes_are_one_line(capsys, beir_folder, argv, message):
    code = main(["eval", str(beir_folder), "--bm25-only", *(a.format(folder=beir_folder) for a in argv)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.splitlines()) == 1, err


def test_a_folder_without_judgments_says_what_to_give(capsys, tmp_path, beir_folder):
    (beir_folder / "qrels" / "test.tsv").rename(beir_folder / "qrels" / "train.tsv")
    code = main(["eval", str(beir_folder), "--bm25-only"])
    assert code == 2 and "has no test.tsv: pass --split dev or train" in capsys.readouterr().err
    (beir_folder / "qrels" / "train.tsv").unlink()
    code = main(["eval", str(beir_folder), "--bm25-only", "--json"])  # one split: that one, and the note says so
    assert code == 0 and "(split dev;" in capsys.readouterr().err
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# A\n\ntext\n")
    code = main(["eval", str(notes), "--bm25-only"])
    err = capsys.readouterr().err
    assert code == 2 and "has no queries.jsonl: give --labels FILE, or --queries FILE with --qrels FILE" in err
