"""`rerank-tui snapshot`: save, list, diff, export, delete, through `main(argv)` (BM25; dense
and hybrid with a tiny random BERT, real forward passes; a run file's candidates)."""

import json

import ir_measures
import pytest

from rerank_tui.cli import main

DOCS = {
    "cats.md": "# Cats\n\ncat cat cat cat cat cat cat cat sleeps all day long in the warm sun.\n",
    "pets.md": "# Pets\n\nA cat and a dog can share a home when the dog is calm.\n",
    "dogs.md": "# Dogs\n\ndog dog dog dog dog barks at the mail carrier every morning without fail.\n",
    "long.md": "# Long\n\n" + "the weather was mild and " * 20 + "a cat appeared, then a dog.\n",
    "fish.md": "# Fish\n\nGoldfish need clean water and a filter; a cat may watch the bowl.\n",
    "birds.md": "# Birds\n\nParrots talk; a dog may bark at a parrot, a parrot may mimic a dog dog.\n",
}
QUERIES = {"q1": "cat dog", "q2": "dog barks", "q3": "cat water filter"}
QRELS = {"q1": {"pets.md#1": 3, "long.md#1": 1}, "q2": {"dogs.md#1": 2, "birds.md#1": 1}, "q3": {"fish.md#1": 3}}


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text)
    (tmp_path / "queries.jsonl").write_text("".join(json.dumps({"id": q, "text": t}) + "\n" for q, t in QUERIES.items()))
    (tmp_path / "qrels.tsv").write_text("".join(f"{q} 0 {d} {g}\n" for q, docs in QRELS.items() for d, g in docs.items()))
    return root


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


def save(capsys, tmp_path, corpus, name, *extra):
    return ok(
        capsys, "snapshot", "save", name, corpus, "--queries", tmp_path / "queries.jsonl",
        "--qrels", tmp_path / "qrels.tsv", "--bm25-only", "--workspace", tmp_path / "ws", *extra,
    )


def test_save_list_export_matches_eval(capsys, tmp_path, corpus):
    out = save(capsys, tmp_path, corpus, "base", "--k1", "0.9", "-k", "5")
    assert "saved snapshot base: 3 queries" in out

    listing = json.loads(ok(capsys, "snapshot", "list", "--json", "--workspace", tmp_path / "ws"))["snapshots"]
    assert [s["name"] for s in listing] == ["base"]
    config = listing[0]["config"]
    assert listing[0]["queries"] == 3 and listing[0]["error"] is None
    assert config["corpus"] == str(corpus) and config["depth"] == 5
    assert config["recall"] == {"kind": "bm25", "bm25": {"engine": "bm25s", "k1": 0.9, "b": 0.75, "method": "lucene"}}
    assert listing[0]["recall"] == "bm25 k1=0.9"
    assert config["model"] is None and config["instruction"] is None and config["preset"] is None
    text = ok(capsys, "snapshot", "list", "--workspace", tmp_path / "ws")
    assert text.splitlines()[0].startswith("name") and "base" in text and "bm25" in text

    run_file = tmp_path / "base.trec"
    code, _, err = run(capsys, "snapshot", "export", "base", "--out", run_file, "--tag", "mine", "--workspace", tmp_path / "ws")
    assert code == 0 and "wrote" in err
    rows = [line.split() for line in run_file.read_text().splitlines()]
    assert rows and all(r[5] == "mine" for r in rows) and max(int(r[3]) for r in rows) <= 5

    qrels = list(ir_measures.read_trec_qrels(str(tmp_path / "qrels.tsv")))
    exported = ir_measures.calc_aggregate([ir_measures.nDCG @ 10], qrels, list(ir_measures.read_trec_run(str(run_file))))
    report = json.loads(ok(
        capsys, "eval", corpus, "--queries", tmp_path / "queries.jsonl", "--qrels", tmp_path / "qrels.tsv",
        "--bm25-only", "--json", "--metrics", "nDCG@10", "--k1", "0.9", "--depth", "5",
    ))
    assert report["rows"][0]["nDCG@10"] == pytest.approx(exported[ir_measures.nDCG @ 10], abs=1e-9)
    assert exported[ir_measures.nDCG @ 10] > 0


def test_diff_of_two_k1_settings_shows_per_query_deltas(capsys, tmp_path, corpus):
    save(capsys, tmp_path, corpus, "low", "--k1", "0.1", "--b", "0.1")
    save(capsys, tmp_path, corpus, "high", "--k1", "5", "--b", "1")
    ws = tmp_path / "ws"
    report = json.loads(ok(capsys, "snapshot", "diff", "low", "high", "--qrels", tmp_path / "qrels.tsv", "--json", "--workspace", ws))
    assert report["a"] == "low" and report["b"] == "high" and report["metric"] == "nDCG@10"
    assert report["judged"] == report["shared"] == 3
    assert report["delta"] == pytest.approx(report["mean_b"] - report["mean_a"])
    assert report["better"] + report["worse"] + report["same"] == 3
    deltas = [q["delta"] for q in report["queries"]]
    assert deltas == sorted(deltas) and any(abs(d) > 1e-9 for d in deltas)
    for q in report["queries"]:
        assert q["delta"] == pytest.approx(q["b"] - q["a"])
        assert 0 <= q["jaccard@10"] <= 1 and 0 <= q["rbo"] <= 1
    changed = [q for q in report["queries"] if q["moved_up"] or q["moved_down"] or q["only_a"] or q["only_b"]]
    assert changed and all(c["rank_a"] != c["rank_b"] for q in changed for c in q["moved_up"] + q["moved_down"])

    text = ok(capsys, "snapshot", "diff", "low", "high", "--qrels", tmp_path / "qrels.tsv", "--limit", "2", "--workspace", ws)
    assert "low → high" in text and "nDCG@10:" in text and "paired p" in text
    assert "better" in text and "Jaccard@10" in text and "RBO(0.9)" in text
    assert "worst queries" in text and ("moved up" in text or "only in" in text)

    # No labels anywhere: the overlap part alone.
    text = ok(capsys, "snapshot", "diff", "low", "high", "--workspace", ws)
    assert "overlap only" in text and "Jaccard@10" in text and "nDCG@10:" not in text
    same = json.loads(ok(capsys, "snapshot", "diff", "low", "low", "--json", "--workspace", ws))
    assert same["judged"] == 0 and same["mean_a"] is None and same["jaccard@10"] == 1.0 and same["rbo"] == pytest.approx(1.0)


def test_save_from_labels_uses_query_ids_of_the_texts(capsys, tmp_path, corpus):
    from rerank_tui.session.judgments import query_id
    from rerank_tui.session.labels import LabelStore

    labels = LabelStore.load(tmp_path / "ws" / "labels.yaml")
    labels.set("cat dog", "pets.md#1", 3, "x")
    labels.close()
    ws = tmp_path / "ws"
    ok(capsys, "snapshot", "save", "lab", corpus, "--bm25-only", "--workspace", ws)  # the workspace's labels.yaml
    run_file = tmp_path / "lab.trec"
    run(capsys, "snapshot", "export", "lab", "--out", run_file, "--workspace", ws)
    assert {line.split()[0] for line in run_file.read_text().splitlines()} == {query_id("cat dog")}
    report = json.loads(ok(capsys, "snapshot", "diff", "lab", "lab", "--json", "--workspace", ws))  # labels by default
    assert report["judged"] == 1 and report["mean_a"] > 0


def test_save_from_the_query_set_keeps_imported_ids_and_diffs_against_the_labels(capsys, tmp_path, corpus):
    ws = tmp_path / "ws"
    # The qrels and queries imported into the workspace: ids q1..q3 stay q1..q3.
    ok(capsys, "import", tmp_path / "qrels.tsv", "--queries", tmp_path / "queries.jsonl", "--workspace", ws)
    (tmp_path / "more.tsv").write_text("q9\tparrot mimic\n")
    ok(capsys, "import", tmp_path / "more.tsv", "--workspace", ws)  # a query nobody judged yet
    ok(capsys, "snapshot", "save", "set", corpus, "--bm25-only", "--workspace", ws)
    run_file = tmp_path / "set.trec"
    run(capsys, "snapshot", "export", "set", "--out", run_file, "--workspace", ws)
    assert {line.split()[0] for line in run_file.read_text().splitlines()} == {"q1", "q2", "q3", "q9"}
    report = json.loads(ok(capsys, "snapshot", "diff", "set", "set", "--json", "--workspace", ws))
    assert report["judged"] == 3 and report["mean_a"] > 0
    qrels = [ir_measures.Qrel(q, d, g) for q, docs in QRELS.items() for d, g in docs.items()]
    expected = ir_measures.calc_aggregate([ir_measures.nDCG @ 10], qrels, ir_measures.read_trec_run(str(run_file)))
    assert report["mean_a"] == pytest.approx(next(iter(expected.values())))


def test_replace_and_delete(capsys, tmp_path, corpus):
    ws = tmp_path / "ws"
    save(capsys, tmp_path, corpus, "x")
    code, _, err = run(capsys, "snapshot", "save", "x", corpus, "--queries", tmp_path / "queries.jsonl", "--bm25-only", "--workspace", ws)
    assert code == 2 and "exists" in err
    save(capsys, tmp_path, corpus, "x", "--replace", "--k1", "2")
    assert json.loads(ok(capsys, "snapshot", "list", "--json", "--workspace", ws))["snapshots"][0]["config"]["recall"]["bm25"]["k1"] == 2.0
    assert "deleted" in ok(capsys, "snapshot", "delete", "x", "--workspace", ws)
    assert json.loads(ok(capsys, "snapshot", "list", "--json", "--workspace", ws)) == {"snapshots": []}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["snapshot", "export", "nope", "--out", "{out}"], "no snapshot named 'nope'"),
        (["snapshot", "delete", "nope"], "no snapshot named 'nope'"),
        (["snapshot", "diff", "good", "nope"], "no snapshot named 'nope'"),
        (["snapshot", "diff", "../etc", "good"], "invalid snapshot name"),
        (["snapshot", "save", ".hidden", "{corpus}", "--bm25-only", "--queries", "{queries}"], "invalid snapshot name"),
        (["snapshot", "save", "good", "{corpus}", "--bm25-only", "--queries", "{queries}"], "exists"),
        (["snapshot", "diff", "good", "broken"], "broken.yaml"),
        (["snapshot", "export", "broken", "--out", "{out}"], "broken.yaml"),
        (["snapshot", "export", "good", "--out", "{out}", "--tag", "two words"], "one word"),
        (["snapshot", "diff", "good", "good", "--metric", "nDCG@@"], "unknown metric"),
        (["snapshot", "save", "new", "{corpus}", "--bm25-only", "--preset", "default", "--queries", "{queries}"], "--bm25-only takes no"),
        (["snapshot", "save", "new", "{corpus}", "--bm25-only"], "no queries in the query set"),
    ],
)
def test_errors_are_one_line_and_exit_2(capsys, tmp_path, corpus, argv, message):
    ws = tmp_path / "ws"
    save(capsys, tmp_path, corpus, "good")
    (ws / "snapshots" / "broken.yaml").write_text("version: 1\nname: broken\ncreated: [\n")
    (ws / "snapshots" / "broken.trec").write_text("")
    paths = {"out": tmp_path / "o.trec", "corpus": corpus, "queries": tmp_path / "queries.jsonl"}
    code, out, err = run(capsys, *[a.format(**paths) for a in argv], "--workspace", ws)
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rerank-tui: error:") and message in lines[0], err


def test_list_shows_broken_entries_with_their_error(capsys, tmp_path, corpus):
    ws = tmp_path / "ws"
    save(capsys, tmp_path, corpus, "good")
    (ws / "snapshots" / "broken.yaml").write_text("version: 7\n")
    text = ok(capsys, "snapshot", "list", "--workspace", ws)
    assert "good" in text and "broken" in text and "error:" in text and "newer rerank-tui" in text
    entries = json.loads(ok(capsys, "snapshot", "list", "--json", "--workspace", ws))["snapshots"]
    assert [e["name"] for e in entries] == ["good", "broken"] and entries[1]["error"]


@pytest.mark.slow
def test_reranked_snapshot_with_the_tiny_model(capsys, tmp_path, corpus, tiny_model_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ws = tmp_path / "ws"
    common = ["--queries", tmp_path / "queries.jsonl", "--qrels", tmp_path / "qrels.tsv", "--workspace", ws]
    ok(capsys, "snapshot", "save", "bm25", corpus, "--bm25-only", *common)
    ok(capsys, "snapshot", "save", "qwen", corpus, "--model", tiny_model_dir, "--backend", "transformers",
       "--rerank-depth", "3", "--instruction", "Prefer pets", *common)
    entry = {e["name"]: e for e in json.loads(ok(capsys, "snapshot", "list", "--json", "--workspace", ws))["snapshots"]}["qwen"]
    assert entry["config"]["model"] == str(tiny_model_dir) and entry["config"]["backend"] == "transformers"
    assert entry["config"]["instruction"] == "Prefer pets" and entry["config"]["rerank_depth"] == 3
    ok(capsys, "snapshot", "export", "qwen", "--out", tmp_path / "qwen.trec", "--workspace", ws)
    report = json.loads(ok(
        capsys, "eval", corpus, "--queries", tmp_path / "queries.jsonl", "--qrels", tmp_path / "qrels.tsv",
        "--model", tiny_model_dir, "--backend", "transformers", "--rerank-depth", "3", "--instruction", "Prefer pets",
        "--json", "--metrics", "nDCG@10", "--workspace", ws,
    ))
    qrels = list(ir_measures.read_trec_qrels(str(tmp_path / "qrels.tsv")))
    exported = ir_measures.calc_aggregate([ir_measures.nDCG @ 10], qrels, list(ir_measures.read_trec_run(str(tmp_path / "qwen.trec"))))
    assert report["rows"][1]["nDCG@10"] == pytest.approx(exported[ir_measures.nDCG @ 10], abs=1e-9)
    diff = json.loads(ok(capsys, "snapshot", "diff", "bm25", "qwen", "--qrels", tmp_path / "qrels.tsv", "--json", "--workspace", ws))
    assert diff["judged"] == 3


# -- recall sources ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    from tests.support.tiny_bert import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), seed=0)


def trec_rows(path) -> list[tuple[str, str, int, float]]:
    """(qid, doc, rank, score) of a run file, in file order."""
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [(r[0], r[2], int(r[3]), float(r[4])) for r in rows]


def exported(capsys, tmp_path, name):
    out = tmp_path / f"{name}.exported.trec"
    ok(capsys, "snapshot", "export", name, "--out", out, "--workspace", tmp_path / "ws")
    return trec_rows(out)


def searched(capsys, tmp_path, corpus, *recall):
    out = tmp_path / "searched.trec"
    code, _, err = run(capsys, "search", corpus, "--queries", tmp_path / "queries.jsonl", "--run", out, "-k", "5", *recall)
    assert code == 0, err
    return trec_rows(out), err


def listed(capsys, tmp_path) -> dict[str, dict]:
    entries = json.loads(ok(capsys, "snapshot", "list", "--json", "--workspace", tmp_path / "ws"))["snapshots"]
    return {e["name"]: e for e in entries}


def test_dense_and_hybrid_snapshots_are_what_search_writes_and_record_the_embedder(capsys, tmp_path, corpus, tiny_bert):
    ws = tmp_path / "ws"
    common = ["--queries", tmp_path / "queries.jsonl", "--bm25-only", "-k", "5", "--workspace", ws]
    sources = {
        "dense": ["--recall", "dense", "--embedder", tiny_bert],
        "rrf": ["--recall", "hybrid", "--embedder", tiny_bert],
        "linear": ["--recall", "hybrid", "--embedder", tiny_bert, "--fusion", "linear", "--alpha", "0.3"],
    }
    for name, recall in sources.items():
        out = ok(capsys, "snapshot", "save", name, corpus, *common, *recall)
        assert f"saved snapshot {name}: 3 queries" in out
        search_rows, _ = searched(capsys, tmp_path, corpus, *recall)
        snapshot_rows = exported(capsys, tmp_path, name)
        assert [r[:3] for r in snapshot_rows] == [r[:3] for r in search_rows]  # the same docs in the same order
        assert [r[3] for r in snapshot_rows] == pytest.approx([r[3] for r in search_rows], rel=1e-6)

    entries = listed(capsys, tmp_path)
    dense = entries["dense"]["config"]["recall"]
    assert dense["kind"] == "dense" and dense["bm25"] == {"engine": "bm25s", "k1": 1.2, "b": 0.75, "method": "lucene"}
    embedder = dense["embedder"]
    assert embedder["model"] == str(tiny_bert) and embedder["backend"] == "sentence-transformers"
    assert embedder["identity"].startswith("sentence-transformers:") and embedder["dims"] == 32
    assert embedder["pooling"] == "mean" and embedder["max_length"] == 256 and "url" not in embedder
    assert "query_instruction" in embedder and "fusion" not in dense
    assert entries["rrf"]["config"]["recall"]["fusion"] == {"method": "rrf", "rrf_k": 60.0}
    assert entries["linear"]["config"]["recall"]["fusion"] == {"method": "linear", "alpha": 0.3}
    assert entries["rrf"]["config"]["recall"]["embedder"] == embedder
    model = tiny_bert.name
    assert entries["dense"]["recall"] == f"dense {model}"
    assert entries["rrf"]["recall"] == f"hybrid rrf k=60 · {model}"
    assert entries["linear"]["recall"] == f"hybrid linear alpha=0.3 · {model}"

    text = ok(capsys, "snapshot", "list", "--workspace", ws)
    assert "recall" in text.splitlines()[0]
    assert f"dense {model}" in text and f"hybrid rrf k=60 · {model}" in text
    diff = ok(capsys, "snapshot", "diff", "dense", "rrf", "--workspace", ws)
    assert f"recall: dense dense {model}, rrf hybrid rrf k=60 · {model}" in diff.splitlines()[1]
    report = json.loads(ok(capsys, "snapshot", "diff", "dense", "rrf", "--json", "--workspace", ws))
    assert report["recall_a"] == f"dense {model}" and report["recall_b"] == f"hybrid rrf k=60 · {model}"


def test_recall_run_snapshot_is_what_search_writes_and_records_the_run(capsys, tmp_path, corpus):
    import hashlib

    ws = tmp_path / "ws"
    run_text = (
        "q1 Q0 long.md#1 1 9.5 prod\n"
        "q1 Q0 ghost.md#7 2 9.0 prod\n"  # not in the corpus: skipped and counted
        "q1 Q0 cats.md#1 3 8.0 prod\n"
        "q2 Q0 birds.md#1 1 3.0 prod\n"
        "q2 Q0 fish.md#1 2 2.0 prod\n"
        "q9 Q0 dogs.md#1 1 1.0 prod\n"  # a query not in the set
    )  # q3 has no entry: BM25's candidates
    prod = tmp_path / "prod.trec"
    prod.write_text(run_text)
    code, out, err = run(
        capsys, "snapshot", "save", "prod", corpus, "--queries", tmp_path / "queries.jsonl", "--bm25-only", "-k", "5",
        "--recall-run", prod, "--workspace", ws,
    )
    assert code == 0, err
    assert "1 doc id not in the corpus" in err and "ghost.md#7" in err
    assert "no entry for 1 of 3 queries" in err and "q3" in err
    assert "saved snapshot prod: 3 queries" in out and "run prod.trec" in out

    search_rows, search_err = searched(capsys, tmp_path, corpus, "--recall-run", prod)
    assert "1 doc id not in the corpus" in search_err
    snapshot_rows = exported(capsys, tmp_path, "prod")
    assert [r[:3] for r in snapshot_rows] == [r[:3] for r in search_rows]
    assert [d for q, d, _, _ in snapshot_rows if q == "q1"] == ["long.md#1", "cats.md#1"]
    assert [d for q, d, _, _ in snapshot_rows if q == "q2"] == ["birds.md#1", "fish.md#1"]
    bm25_rows, _ = searched(capsys, tmp_path, corpus)
    assert [r for r in snapshot_rows if r[0] == "q3"] == [r for r in bm25_rows if r[0] == "q3"]

    entry = listed(capsys, tmp_path)["prod"]
    assert entry["recall"] == "run prod.trec"
    assert entry["config"]["recall"] == {
        "kind": "run",
        "bm25": {"engine": "bm25s", "k1": 1.2, "b": 0.75, "method": "lucene"},
        "run": {"path": str(prod), "sha1": hashlib.sha1(run_text.encode()).hexdigest(),
                "queries_with_run": 2, "queries_without_run": 1, "unknown_doc_ids": 1},
    }
    assert "run prod.trec" in ok(capsys, "snapshot", "list", "--workspace", ws)

    # The workspace's query set works too (its ids are the run's).
    ok(capsys, "import", tmp_path / "queries.jsonl", "--format", "queries", "--workspace", ws)
    ok(capsys, "snapshot", "save", "prod-set", corpus, "--bm25-only", "-k", "5", "--recall-run", prod, "--workspace", ws)
    assert exported(capsys, tmp_path, "prod-set") == snapshot_rows

    code, _, err = run(
        capsys, "snapshot", "save", "x", corpus, "--queries", tmp_path / "queries.jsonl", "--bm25-only",
        "--recall-run", prod, "--recall", "dense", "--workspace", ws,
    )
    assert code == 2 and "does not go with --recall dense" in err


def test_an_old_form_config_still_lists_and_diffs(capsys, tmp_path, corpus):
    from rerank_tui.session.snapshots import save_snapshot

    ws = tmp_path / "ws"
    old = {"corpus": str(corpus), "recall": {"engine": "bm25s", "k1": 0.9, "b": 0.75, "method": "lucene"},
           "model": None, "backend": None, "depth": 5, "rerank_depth": None, "instruction": None, "preset": None}
    save_snapshot(ws, "old", old, {"q1": "cat dog"}, {"q1": [("pets.md#1", 2.0), ("cats.md#1", 1.0)]})
    save_snapshot(ws, "app", {"recall": {"k1": 1.2, "b": 0.75, "method": "lucene"}, "from": "app"}, {"q1": "cat dog"}, {"q1": []})
    save_snapshot(ws, "odd", {"recall": "whatever"}, {"q1": "cat dog"}, {"q1": []})
    save(capsys, tmp_path, corpus, "new")
    entries = listed(capsys, tmp_path)
    assert entries["old"]["recall"] == "bm25 k1=0.9" and entries["old"]["error"] is None
    assert entries["app"]["recall"] == entries["new"]["recall"] == "bm25"
    assert entries["odd"]["recall"] == "?"
    text = ok(capsys, "snapshot", "list", "--workspace", ws)
    assert all(name in text for name in ("old", "app", "odd", "new")) and "bm25 k1=0.9" in text and "error" not in text
    diff = ok(capsys, "snapshot", "diff", "old", "new", "--workspace", ws)
    assert "recall: old bm25 k1=0.9, new bm25" in diff
    assert "recall:" not in ok(capsys, "snapshot", "diff", "app", "new", "--workspace", ws)
