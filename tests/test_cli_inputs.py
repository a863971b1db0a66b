"""One queries reader and one qrels reader behind `search`, `eval` and `import`."""

import io
import json
import sys

import pytest

from rerank_tui.cli import main
from rerank_tui.session.labels import LabelStore

DOCS = [
    {"id": "d1", "title": "Wings", "text": "supersonic flow over swept wings"},
    {"id": "d2", "title": "Heat", "text": "heat transfer in laminar boundary layers"},
    {"id": "d3", "title": "Shocks", "text": "shock waves in supersonic flow past a cone"},
]
QUERIES_TSV = "q1\tsupersonic flow\nq2\theat transfer\n"
BEIR_QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t1\nq2\td2\t3\n"


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
    return path


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8"))))
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def eval_rows(capsys, corpus, queries, qrels, tmp_path, **kw):
    code, out, err = run(capsys, "eval", corpus, "--queries", queries, "--qrels", qrels, "--bm25-only", "--json",
                         "--metrics", "nDCG@10", "R@100", "--workspace", tmp_path / "ws", **kw)
    assert code == 0, err
    return json.loads(out)["rows"]


def grades(path):
    return {q: {d: lab.grade for d, lab in v.items()} for q, v in LabelStore.load(path).queries.items()}


def test_one_three_column_qrels_file_with_the_beir_header_works_for_eval_and_import(capsys, corpus, tmp_path):
    (tmp_path / "queries.tsv").write_text(QUERIES_TSV)
    (tmp_path / "qrels.tsv").write_text(BEIR_QRELS)
    rows = eval_rows(capsys, corpus, tmp_path / "queries.tsv", tmp_path / "qrels.tsv", tmp_path)
    assert rows[0]["system"] == "bm25" and rows[0]["queries"] == 2 and rows[0]["R@100"] == 1.0
    target = tmp_path / "labels.yaml"
    code, _, err = run(capsys, "import", tmp_path / "qrels.tsv", "--queries", tmp_path / "queries.tsv", "--labels", target)
    assert code == 0, err
    assert grades(target) == {"supersonic flow": {"d1": 2, "d3": 1}, "heat transfer": {"d2": 3}}


def test_search_reads_a_tsv_queries_file_and_standard_input_alike(capsys, corpus, tmp_path, monkeypatch):
    (tmp_path / "queries.tsv").write_text(QUERIES_TSV)
    code, from_file, err = run(capsys, "search", corpus, "--queries", tmp_path / "queries.tsv", "--json", "-k", "2")
    assert code == 0, err
    code, from_stdin, err = run(capsys, "search", corpus, "--queries", "-", "--json", "-k", "2", stdin=QUERIES_TSV, monkeypatch=monkeypatch)
    assert code == 0, err
    assert from_stdin == from_file
    records = [json.loads(line) for line in from_file.splitlines()]
    assert [r["query_id"] for r in records] == ["q1", "q1", "q2"]
    assert set(records[0]) == {"query_id", "rank", "id", "score", "title", "path", "snippet"}
    code, text, _ = run(capsys, "search", corpus, "--queries", tmp_path / "queries.tsv", "-k", "1")
    assert text.splitlines()[0] == "## q1: supersonic flow" and text.splitlines()[1].split()[0] == "1"


def test_eval_reads_its_queries_from_standard_input(capsys, corpus, tmp_path, monkeypatch):
    (tmp_path / "queries.tsv").write_text(QUERIES_TSV)
    (tmp_path / "qrels.tsv").write_text(BEIR_QRELS)
    from_file = eval_rows(capsys, corpus, tmp_path / "queries.tsv", tmp_path / "qrels.tsv", tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(QUERIES_TSV.encode())))
    assert eval_rows(capsys, corpus, "-", tmp_path / "qrels.tsv", tmp_path) == from_file


def test_import_reads_its_queries_from_standard_input(capsys, tmp_path, monkeypatch):
    (tmp_path / "qrels.tsv").write_text(BEIR_QRELS)
    target = tmp_path / "labels.yaml"
    code, _, err = run(capsys, "import", tmp_path / "qrels.tsv", "--queries", "-", "--labels", target,
                       stdin=QUERIES_TSV, monkeypatch=monkeypatch)
    assert code == 0, err
    assert grades(target) == {"supersonic flow": {"d1": 2, "d3": 1}, "heat transfer": {"d2": 3}}


CRANFIELD_QRELS = "q1 0 d1 4\nq1 0 d3 -1\nq2 0 d2 2\n"


def test_grades_off_the_default_scale_set_the_scale_of_an_empty_workspace_only(capsys, corpus, tmp_path):
    (tmp_path / "queries.tsv").write_text(QUERIES_TSV)
    (tmp_path / "cranfield.qrels").write_text(CRANFIELD_QRELS)
    rows = eval_rows(capsys, corpus, tmp_path / "queries.tsv", tmp_path / "cranfield.qrels", tmp_path)
    assert rows[0]["queries"] == 2 and 0 < rows[0]["nDCG@10"] <= 1
    target = tmp_path / "labels.yaml"
    code, _, err = run(capsys, "import", tmp_path / "cranfield.qrels", "--queries", tmp_path / "queries.tsv", "--labels", target)
    assert code == 0 and "scale is now -1–4" in err
    assert LabelStore.load(target).get("supersonic flow", "d1").grade == 4
    # A workspace with labels keeps its scale: other grades are one clear line, nothing changed.
    other = tmp_path / "other" / "labels.yaml"
    (tmp_path / "small.qrels").write_text("q1 0 d1 2\n")
    assert run(capsys, "import", tmp_path / "small.qrels", "--queries", tmp_path / "queries.tsv", "--labels", other)[0] == 0
    before = other.read_text()
    code, _, err = run(capsys, "import", tmp_path / "cranfield.qrels", "--queries", tmp_path / "queries.tsv", "--labels", other)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "-1, 4" in err and "0–3" in err and "--scale" in err
    assert other.read_text() == before
    code, _, err = run(capsys, "import", tmp_path / "cranfield.qrels", "--queries", tmp_path / "queries.tsv", "--labels", other, "--scale=-1-4")
    assert code == 0 and LabelStore.load(other).scale.text == "-1–4"
    code, _, err = run(capsys, "import", tmp_path / "cranfield.qrels", "--labels", other, "--scale", "2-1")
    assert code == 2 and "--scale 2-1" in err


@pytest.mark.parametrize(
    "queries, qrels, message",
    [
        ("q1\tsupersonic flow\nq1\tagain\n", BEIR_QRELS, "queries.tsv:2: query id 'q1' appears twice"),
        ('{"id": "q1"}\n', BEIR_QRELS, "queries.tsv:1: expected an object with an `id` and a `text`"),
        (QUERIES_TSV, BEIR_QRELS + "q2\td3\tthree\n", "qrels.tsv:5: grade 'three' is not a whole number"),
        (QUERIES_TSV, "q1 0 d1 1\nq1\td2\t1\n", "qrels.tsv:2: expected `qid 0 docid grade` as above, found 3"),
        (QUERIES_TSV, "q1 0 d 1 1\n", "qrels.tsv:1: expected `qid 0 docid grade` or `qid<TAB>docid<TAB>grade`, found 5"),
        ("q9\tunjudged\n", BEIR_QRELS, "no judged queries to evaluate"),
    ],
)
def test_eval_input_errors_are_one_line_with_file_and_line(capsys, corpus, tmp_path, queries, qrels, message):
    (tmp_path / "queries.tsv").write_text(queries)
    (tmp_path / "qrels.tsv").write_text(qrels)
    code, _, err = run(capsys, "eval", corpus, "--queries", tmp_path / "queries.tsv", "--qrels", tmp_path / "qrels.tsv",
                       "--bm25-only", "--workspace", tmp_path / "ws")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("rerank-tui: error:") and message in lines[0], err


def test_eval_refuses_two_files_from_standard_input(capsys, corpus, tmp_path):
    code, _, err = run(capsys, "eval", corpus, "--queries", "-", "--qrels", "-", "--bm25-only", "--workspace", tmp_path / "ws")
    assert code == 2 and "cannot both read standard input" in err


def test_a_missing_qrels_file_is_one_line(capsys, corpus, tmp_path):
    (tmp_path / "queries.tsv").write_text(QUERIES_TSV)
    code, _, err = run(capsys, "eval", corpus, "--queries", tmp_path / "queries.tsv", "--qrels", tmp_path / "nope",
                       "--bm25-only", "--workspace", tmp_path / "ws")
    assert code == 2 and err.startswith(f"rerank-tui: error: cannot read qrels {tmp_path / 'nope'}: ") and "Traceback" not in err


def test_one_record_per_hit_feeds_both_printers(capsys, corpus):
    from rerank_tui.cli.headless import hit_record, print_results
    from rerank_tui.recall import open_index
    from rerank_tui.session.ranking import RerankedHit

    index = open_index(corpus).index
    hits = index.search("supersonic flow", 2)
    assert hit_record(index, "supersonic flow", hits[0]) == {
        "rank": 1, "id": hits[0].passage.id, "score": round(hits[0].score, 6), "title": hits[0].passage.title,
        "path": hits[0].passage.doc, "snippet": hit_record(index, "supersonic flow", hits[0])["snippet"],
    }
    ranked = [RerankedHit(hits[1], 0.9, 1), RerankedHit(hits[0], None, 2)]  # None: left unscored by a cascade
    records = [hit_record(index, "supersonic flow", r) for r in ranked]
    assert list(records[0]) == ["rank", "id", "score", "bm25_rank", "bm25_score", "title", "path", "snippet"]
    assert (records[0]["rank"], records[0]["bm25_rank"], records[1]["score"]) == (1, 2, None)
    print_results(index, "q1", "supersonic flow", ranked, as_json=True)
    out = capsys.readouterr().out
    assert [json.loads(line) for line in out.splitlines()] == [{"query_id": "q1", **r} for r in records]
    print_results(index, "", "supersonic flow", ranked, as_json=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["1", "0.900", "▲1"] and lines[2].split()[:3] == ["2", "–", "▼1"]
    print_results(index, "", "nothing here", [], as_json=False)
    assert capsys.readouterr().out == "no passage matches the query\n"


def test_gitignore_is_honoured_unless_no_gitignore(capsys, tmp_path):
    import json as _json

    from rerank_tui.cli import main as _main

    root = tmp_path / "repo"
    (root / "build").mkdir(parents=True)
    (root / ".gitignore").write_text("build/\n")
    (root / "guide.md").write_text("# Guide\n\nthe pinned memory guide\n")
    (root / "build" / "copy.md").write_text("# Copy\n\nthe pinned memory guide, generated\n")
    argv = ["search", str(root), "pinned memory", "--json", "--workspace", str(tmp_path / "ws"), "--no-cache"]
    assert _main(argv) == 0
    ids = [_json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
    assert ids == ["guide.md#1"]
    assert _main([*argv, "--no-gitignore"]) == 0
    ids = [_json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
    assert sorted(ids) == ["build/copy.md#1", "guide.md#1"]
