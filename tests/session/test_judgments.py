import csv
import io

import ir_measures
import pytest

from rerank_tui.session.judgments import (
    JudgmentFileError,
    from_csv,
    from_jsonl,
    from_qrels,
    query_id,
    read_judgments,
    to_csv,
    to_jsonl,
    to_qrels,
    to_queries_jsonl,
)
from rerank_tui.session.labels import Label

JUDGMENTS = {
    "dataloader hangs": {
        "pytorch/a.md#2": Label("pytorch/a.md#2", 3, "9f2c4e1a0b7d", "2026-11-22T03:00:00Z"),
        "pytorch/b.md#1": Label("pytorch/b.md#1", 0, "aaaaaaaaaaaa", "2026-11-22T03:01:00Z"),
    },
    "=HYPERLINK(\"http://evil\")": {"x%20y.md#1": Label("x%20y.md#1", 2, "bbbbbbbbbbbb", "2026-11-22T03:02:00Z")},
    "中文 查询, with \"quotes\"": {"zh/数据.md#1": Label("zh/数据.md#1", 1, "cccccccccccc", "2026-11-22T03:03:00Z")},
    "a query with no labels yet": {},
}


def grades(judgments):
    return {q: {d: lab.grade for d, lab in labels.items()} for q, labels in judgments.items()}


def test_jsonl_round_trip_is_lossless():
    assert from_jsonl(to_jsonl(JUDGMENTS), "x") == JUDGMENTS
    back = from_jsonl(to_jsonl(JUDGMENTS), "x")
    assert back["dataloader hangs"]["pytorch/a.md#2"].text_sha1 == "9f2c4e1a0b7d"


def test_csv_round_trip_keeps_queries_docs_grades_and_empty_queries():
    assert grades(from_csv(to_csv(JUDGMENTS), "x")) == grades(JUDGMENTS)


def test_csv_cells_cannot_run_as_formulas():
    rows = list(csv.reader(io.StringIO(to_csv(JUDGMENTS))))
    assert rows[0] == ["query", "docid", "rating"]
    for row in rows[1:]:
        for cell in row[:2]:
            assert not cell.startswith(("=", "+", "-", "@"))
    assert ["'=HYPERLINK(\"http://evil\")", "x%20y.md#1", "2"] in rows


def test_qrels_round_trip_with_the_queries_file(tmp_path):
    (tmp_path / "l.qrels").write_text(to_qrels(JUDGMENTS))
    (tmp_path / "q.jsonl").write_text(to_queries_jsonl(JUDGMENTS), encoding="utf-8")
    back = read_judgments(tmp_path / "l.qrels", "qrels", tmp_path / "q.jsonl")
    assert grades(back) == {q: g for q, g in grades(JUDGMENTS).items() if g}  # qrels cannot hold empty queries
    parsed = list(ir_measures.read_trec_qrels(str(tmp_path / "l.qrels")))
    assert {(q.query_id, q.doc_id, q.relevance) for q in parsed} >= {(query_id("dataloader hangs"), "pytorch/a.md#2", 3)}


def test_query_ids_are_stable():
    assert query_id("dataloader hangs") == query_id("dataloader hangs") != query_id("dataloader hang")
    assert query_id("dataloader hangs") == "q" + __import__("hashlib").sha1(b"dataloader hangs").hexdigest()[:12]


@pytest.mark.parametrize(
    "reader, text, line",
    [
        (from_qrels, "q1 0 d1 2\nq1 0 d2\n", 2),
        (from_qrels, "q1 0 d1 2\n\nq2 0 d1 high\n", 3),
        (from_qrels, "q1 0 d1 7\n", 1),
        (from_csv, "query,docid,rating\nq,d,2\nq,d2,x\n", 3),
        (from_csv, "query,docid,rating\nq,d,1,extra\n", 2),
        (from_csv, "q,d,r\n", 1),
        (from_jsonl, '{"query": "q", "doc": "d", "grade": 1}\nnot json\n', 2),
    ],
)
def test_malformed_input_names_its_line(reader, text, line):
    with pytest.raises(JudgmentFileError) as info:
        reader(text, "in.txt")
    assert info.value.line == line and f"in.txt:{line}:" in str(info.value)
