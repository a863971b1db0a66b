"""`rerank-tui export` / `import` through `main(argv)`."""

import pytest

from rerank_tui.cli import main
from rerank_tui.session.labels import LabelStore


@pytest.fixture
def labels(tmp_path):
    store = LabelStore.load(tmp_path / "ws" / "labels.yaml")
    store.set("dataloader hangs", "pytorch/a.md#2", 3, "text a")
    store.set("dataloader hangs", "pytorch/b.md#1", 1, "text b")
    store.set("=cmd|' /C calc'!A0", "evil.md#1", 0, "text c")
    store.flush()  # on disk (in the journal) before the commands read it
    yield store
    store.close()


@pytest.mark.parametrize("fmt", ["qrels", "csv", "jsonl"])
def test_export_then_import_round_trips(capsys, tmp_path, labels, fmt):
    out = tmp_path / f"labels.{fmt}"
    args = ["export", "--workspace", tmp_path / "ws", "--format", fmt, "--out", out]
    if fmt == "qrels":
        args += ["--queries-out", tmp_path / "queries.jsonl"]
    assert main([str(a) for a in args]) == 0
    target = tmp_path / "other" / "labels.yaml"
    args = ["import", out, "--labels", target] + (["--queries", tmp_path / "queries.jsonl"] if fmt == "qrels" else [])
    assert main([str(a) for a in args]) == 0
    back = LabelStore.load(target)
    assert {q: {d: x.grade for d, x in v.items()} for q, v in back.queries.items()} == {
        q: {d: x.grade for d, x in v.items()} for q, v in labels.queries.items()
    }


def test_export_to_stdout_and_import_merges(capsys, tmp_path, labels):
    assert main(["export", "--workspace", str(tmp_path / "ws"), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "query,docid,rating" and "'=cmd" in out
    extra = tmp_path / "more.csv"
    extra.write_text("query,docid,rating\ndataloader hangs,pytorch/c.md#1,2\n")
    assert main(["import", str(extra), "--workspace", str(tmp_path / "ws")]) == 0
    merged = LabelStore.load(tmp_path / "ws" / "labels.yaml")
    assert set(merged.for_query("dataloader hangs")) == {"pytorch/a.md#2", "pytorch/b.md#1", "pytorch/c.md#1"}


def test_bad_import_is_one_line_with_the_line_number_and_changes_nothing(capsys, tmp_path, labels):
    labels.compact()
    before = labels.path.read_text()
    bad = tmp_path / "bad.qrels"
    bad.write_text("q1 0 d1 2\nq1 0 d2 nine\n")
    assert main(["import", str(bad), "--workspace", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err and "Traceback" not in err
    assert labels.path.read_text() == before


def test_export_without_labels_is_a_clear_error(capsys, tmp_path):
    assert main(["export", "--workspace", str(tmp_path / "none")]) == 2
    assert "no labels at" in capsys.readouterr().err


def test_import_while_the_app_is_labeling_keeps_both_sides(tmp_path):
    app_labels = LabelStore.load(tmp_path / "ws" / "labels.yaml")  # the running app's store
    app_labels.set("dataloader hangs", "pytorch/a.md#2", 3, "text a")
    app_labels.flush()
    extra = tmp_path / "more.tsv"
    extra.write_text("query-id\tcorpus-id\tscore\nq1\tpytorch/c.md#1\t2\n")
    queries = tmp_path / "queries.tsv"
    queries.write_text("q1\tdataloader hangs\n")
    assert main(["import", str(extra), "--queries", str(queries), "--workspace", str(tmp_path / "ws")]) == 0
    app_labels.set("dataloader hangs", "pytorch/d.md#1", 1, "text d")  # the app's next label
    app_labels.close()
    final = LabelStore.load(tmp_path / "ws" / "labels.yaml")
    assert set(final.for_query("dataloader hangs")) == {"pytorch/a.md#2", "pytorch/c.md#1", "pytorch/d.md#1"}
    assert set(app_labels.for_query("dataloader hangs")) == set(final.for_query("dataloader hangs"))


def test_an_injected_doc_id_is_refused_with_its_line(capsys, tmp_path):
    bad = tmp_path / "evil.csv"
    bad.write_text('query,docid,rating\nok,d1,1\nq,"d1 1\nq2 0 evil",3\n')
    assert main(["import", str(bad), "--workspace", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3:" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "ws").exists()


# -- the query set: ids kept, queries without labels, qrels without texts ------------------------


def _export(tmp_path, ws, fmt, *extra):
    out = tmp_path / f"out.{fmt}"
    assert main(["export", "--workspace", str(ws), "--format", fmt, "--out", str(out), *map(str, extra)]) == 0
    return out.read_text(encoding="utf-8")


def test_a_queries_file_joins_the_set_with_its_ids_and_notes(capsys, tmp_path):
    ws = tmp_path / "ws"
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "7", "text": "cat dog", "note": "pets only"}\n{"_id": "x9", "text": "bird"}\n')
    assert main(["import", str(queries), "--workspace", str(ws)]) == 0
    assert "2 new queries" in capsys.readouterr().err
    lines = [__import__("json").loads(line) for line in _export(tmp_path, ws, "jsonl").splitlines()]
    assert lines == [
        {"query": "cat dog", "query_id": "7", "note": "pets only", "doc": None},
        {"query": "bird", "query_id": "x9", "doc": None},
    ]
    tsv = tmp_path / "more.tsv"
    tsv.write_text("8\tfish\n")
    assert main(["import", str(tsv), "--workspace", str(ws)]) == 0
    assert _export(tmp_path, ws, "csv").splitlines()[1:] == ["cat dog,,", "bird,,", "fish,,"]


def test_qrels_without_texts_are_refused_unless_the_set_knows_the_ids(capsys, tmp_path):
    ws = tmp_path / "ws"
    qrels = tmp_path / "judged.qrels"
    qrels.write_text("7 0 a.md#1 2\n9 0 b.md#1 1\n")
    assert main(["import", str(qrels), "--workspace", str(ws)]) == 2
    err = capsys.readouterr().err
    assert "--queries" in err and "'7'" in err and "Traceback" not in err
    assert not (ws / "labels.yaml").exists()
    (tmp_path / "q.tsv").write_text("7\tcat dog\n9\tbird\n")
    assert main(["import", str(tmp_path / "q.tsv"), "--workspace", str(ws)]) == 0
    assert main(["import", str(qrels), "--workspace", str(ws)]) == 0  # now the set knows 7 and 9
    assert _export(tmp_path, ws, "qrels") == "7 0 a.md#1 2\n9 0 b.md#1 1\n"
    store = LabelStore.load(ws / "labels.yaml")
    assert set(store.queries) == {"cat dog", "bird"}


def test_qrels_with_their_queries_keep_the_ids_in_every_export(capsys, tmp_path):
    ws = tmp_path / "ws"
    (tmp_path / "q.jsonl").write_text('{"id": "1", "text": "cat dog"}\n{"id": "2", "text": "bird"}\n{"id": "3", "text": "unjudged"}\n')
    (tmp_path / "r.tsv").write_text("query-id\tcorpus-id\tscore\n2\tb.md#1\t1\n1\ta.md#1\t2\n")
    assert main(["import", str(tmp_path / "r.tsv"), "--queries", str(tmp_path / "q.jsonl"), "--workspace", str(ws)]) == 0
    assert _export(tmp_path, ws, "qrels", "--queries-out", tmp_path / "back.jsonl") == "2 0 b.md#1 1\n1 0 a.md#1 2\n"
    assert (tmp_path / "back.jsonl").read_text() == '{"id": "2", "text": "bird"}\n{"id": "1", "text": "cat dog"}\n'
    jsonl = _export(tmp_path, ws, "jsonl")
    assert '"query_id": "1"' in jsonl and '"query_id": "2"' in jsonl
    # a JSONL export imported elsewhere keeps the ids too
    other = tmp_path / "other"
    (tmp_path / "j.jsonl").write_text(jsonl)
    assert main(["import", str(tmp_path / "j.jsonl"), "--workspace", str(other)]) == 0
    assert _export(tmp_path, other, "qrels") == "2 0 b.md#1 1\n1 0 a.md#1 2\n"


def test_a_qrels_id_missing_from_the_queries_file_names_its_line(capsys, tmp_path):
    (tmp_path / "q.tsv").write_text("1\tcat dog\n")
    (tmp_path / "r.qrels").write_text("1 0 a 1\n5 0 b 2\n")
    assert main(["import", str(tmp_path / "r.qrels"), "--queries", str(tmp_path / "q.tsv"), "--workspace", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'r.qrels'}:2:" in err and "'5'" in err


def test_a_queries_file_with_an_id_twice_is_refused_at_its_line(capsys, tmp_path):
    (tmp_path / "q.tsv").write_text("1\tcat dog\n1\tbird\n")
    assert main(["import", str(tmp_path / "q.tsv"), "--workspace", str(tmp_path / "ws")]) == 2
    assert f"{tmp_path / 'q.tsv'}:2:" in capsys.readouterr().err
    assert not (tmp_path / "ws" / "queries.yaml").exists()


def test_cranfield_round_trips_with_its_ids_and_its_1_to_4_scale(capsys, tmp_path):
    from tests.conftest import eval_collection

    from rerank_tui.session.judgment_readers import read_qrels

    cranfield = eval_collection("cranfield")
    ws = tmp_path / "ws"
    args = ["import", cranfield / "qrels.tsv", "--queries", cranfield / "queries.jsonl", "--workspace", ws]
    assert main([str(a) for a in args]) == 0
    assert "scale is now 1–4" in capsys.readouterr().err
    assert LabelStore.load(ws / "labels.yaml").scale.text == "1–4"
    out, queries_out = tmp_path / "back.qrels", tmp_path / "back.jsonl"
    args = ["export", "--workspace", ws, "--format", "qrels", "--out", out, "--queries-out", queries_out]
    assert main([str(a) for a in args]) == 0
    assert read_qrels(out, grades=None) == read_qrels(cranfield / "qrels.tsv", grades=None)
    assert queries_out.read_text(encoding="utf-8") == (cranfield / "queries.jsonl").read_text(encoding="utf-8")


# -- Quepid's basic CSV ----------------------------------------------------------------------------


def test_quepid_export_imports_back_and_queries_without_ratings_join_the_set(capsys, tmp_path, labels):
    ws = tmp_path / "ws"
    (tmp_path / "q.tsv").write_text("9\tunrated query\n")
    assert main(["import", str(tmp_path / "q.tsv"), "--workspace", str(ws)]) == 0
    text = _export(tmp_path, ws, "quepid")
    assert text.splitlines() == [
        "query,docid,rating", "unrated query,,", "dataloader hangs,pytorch/a.md#2,3.0",
        "dataloader hangs,pytorch/b.md#1,1.0", " =cmd|' /C calc'!A0,evil.md#1,0.0",
    ]  # the query set's order: queries.yaml, then the labeled queries it lacks
    target = tmp_path / "other" / "labels.yaml"
    assert main(["import", str(tmp_path / "out.quepid"), "--labels", str(target)]) == 0  # detected from the header
    back = LabelStore.load(target)
    assert {q: {d: x.grade for d, x in v.items()} for q, v in back.queries.items() if v} == {
        q: {d: x.grade for d, x in v.items()} for q, v in labels.queries.items()
    }
    assert back.scale.text == "0–3"
    from rerank_tui.session.query_set import QuerySetFile

    assert [e.text for e in QuerySetFile.load(target.with_name("queries.yaml")).entries] == ["unrated query"]  # joined the set


def test_a_quepid_file_graded_0_to_10_sets_the_scale_of_an_empty_workspace_only(capsys, tmp_path, labels):
    quepid = tmp_path / "case_7_judgements.csv"
    quepid.write_text("query,docid,rating\nstar wars,3574597,10.0\nstar wars,3557771,\nstar trek,1370,0.0\nstar trek,99,5.0")
    empty = tmp_path / "new" / "labels.yaml"
    assert main(["import", str(quepid), "--format", "quepid", "--labels", str(empty)]) == 0
    assert "scale is now 0–10" in capsys.readouterr().err
    store = LabelStore.load(empty)
    assert store.scale.text == "0–10" and store.get("star wars", "3574597").grade == 10
    assert set(store.for_query("star wars")) == {"3574597"}  # the unrated doc is not a label
    before = labels.path.read_text() if labels.path.exists() else None
    assert main(["import", str(quepid), "--workspace", str(tmp_path / "ws")]) == 2  # its labels are 0–3
    err = capsys.readouterr().err
    assert "grades 5, 10 are not on this workspace's scale 0–3" in err and "--scale" in err and len(err.splitlines()) == 1
    assert (labels.path.read_text() if labels.path.exists() else None) == before
    assert main(["import", str(quepid), "--scale", "0-10", "--workspace", str(tmp_path / "ws")]) == 0
    assert LabelStore.load(tmp_path / "ws" / "labels.yaml").scale.text == "0–10"


def test_a_fractional_quepid_rating_is_refused_at_its_line(capsys, tmp_path):
    quepid = tmp_path / "ratings.csv"
    quepid.write_text("query,docid,rating\nq,d1,1.0\nq,d2,2.5\n")
    assert main(["import", str(quepid), "--workspace", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert f"{quepid}:3: grade '2.5' is not a whole number" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "ws" / "labels.yaml").exists()
