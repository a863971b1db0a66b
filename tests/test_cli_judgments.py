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
