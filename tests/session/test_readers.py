"""The one qrels reader and the one queries reader, as `import`, `eval` and `search` use them."""

import io
import re
import sys

import pytest

from rerank_tui.session import judgment_readers
from rerank_tui.session.judgment_readers import (
    JudgmentFileError,
    parse_qrels,
    read_judgments,
    read_qrels,
    read_queries,
)

BEIR_QRELS = "query-id\tcorpus-id\tscore\n1\td1\t1\n3\td2\t2\n1\td3\t0\n"
CRANFIELD_QRELS = "1 0 184 2\n1 0 29 -1\n1 0 31 4\n"


def stdin_of(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))


def test_qrels_on_the_workspace_scale_by_default():
    assert parse_qrels(BEIR_QRELS, "x") == {"1": {"d1": 1, "d3": 0}, "3": {"d2": 2}}
    with pytest.raises(JudgmentFileError, match=r"^x:2: grade '-1' is not one of 0, 1, 2, 3$"):
        parse_qrels(CRANFIELD_QRELS, "x")


def test_qrels_with_any_integer_grade():
    assert parse_qrels(CRANFIELD_QRELS, "x", grades=None) == {"1": {"184": 2, "29": -1, "31": 4}}
    assert parse_qrels("q 0 d 1\n", "x", grades={1, 5}) == {"q": {"d": 1}}


@pytest.mark.parametrize("raw", ["2.0", "+2", "02", "٣", "two", "1e3", "-"])
def test_any_integer_still_means_ascii_digits(raw):
    with pytest.raises(JudgmentFileError, match="^" + re.escape(f"x:1: grade {raw!r} is not a whole number") + "$"):
        parse_qrels(f"q 0 d {raw}\n", "x", grades=None)


def test_the_qrels_limits_hold_for_any_grades(monkeypatch):
    monkeypatch.setattr(judgment_readers, "MAX_IMPORT_LABELS", 2)
    with pytest.raises(JudgmentFileError, match=r"^x:3: more than 2 labels in one file"):
        parse_qrels(["q 0 d%d -1\n" % i for i in range(5)], "x", grades=None)


def test_read_qrels_names_the_file_and_line(tmp_path):
    (tmp_path / "qrels.tsv").write_text(BEIR_QRELS + "3\td4\n", encoding="utf-8")
    with pytest.raises(JudgmentFileError) as info:
        read_qrels(tmp_path / "qrels.tsv", grades=None)
    assert str(info.value).startswith(f"{tmp_path / 'qrels.tsv'}:5: expected")


def test_queries_in_file_order_only_the_wanted(tmp_path):
    (tmp_path / "q.jsonl").write_text('{"_id": "b", "text": "B"}\n{"id": 7, "text": "seven"}\n{"id": "a", "text": "A"}\n')
    assert read_queries(tmp_path / "q.jsonl") == [("b", "B"), ("7", "seven"), ("a", "A")]
    assert read_queries(tmp_path / "q.jsonl", wanted={"a": {}, "b": {}}) == [("b", "B"), ("a", "A")]


def test_an_empty_queries_file_gives_no_queries(tmp_path):
    (tmp_path / "q.tsv").write_text("\n \n")
    assert read_queries(tmp_path / "q.tsv") == []


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("q1\tfirst\nq1\tagain\n", 2, "query id 'q1' appears twice"),
        ("q1\t  \n", 1, "query 'q1' has no text"),
        ("q1 first\n", 1, "expected `id<TAB>text`"),
        ("q\u00a01\tfirst\n", 1, "holds whitespace"),
        ('{"id": "q1", "text": ""}\n', 1, "query 'q1' has no text"),
    ],
)
def test_a_bad_queries_line_is_refused_with_its_line(tmp_path, text, line, message):
    (tmp_path / "q").write_text(text, encoding="utf-8")
    with pytest.raises(JudgmentFileError) as info:
        read_queries(tmp_path / "q")
    assert info.value.line == line and message in str(info.value)


def test_queries_and_qrels_from_standard_input(monkeypatch):
    stdin_of(monkeypatch, "\ufeffq1\tfirst query\r\nq2\tsecond\n")
    assert read_queries("-") == [("q1", "first query"), ("q2", "second")]
    stdin_of(monkeypatch, CRANFIELD_QRELS)
    assert read_qrels("-", grades=None) == {"1": {"184": 2, "29": -1, "31": 4}}


def test_standard_input_is_named_in_errors_and_left_open(monkeypatch):
    stdin_of(monkeypatch, "q1\tok\nq2 no tab\n")
    with pytest.raises(JudgmentFileError, match=r"^<stdin>:2: expected `id<TAB>text`"):
        read_queries("-")
    assert not sys.stdin.closed
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"q1\tok\nq2\t\xff\n")))
    with pytest.raises(JudgmentFileError, match=r"^<stdin>:2: not UTF-8"):
        read_queries("-")


def test_import_reads_its_queries_from_standard_input(tmp_path, monkeypatch):
    (tmp_path / "qrels.tsv").write_text(BEIR_QRELS)
    stdin_of(monkeypatch, "1\tone\n3\tthree\n")
    back = read_judgments(tmp_path / "qrels.tsv", "qrels", "-")
    assert {q: {d: lab.grade for d, lab in v.items()} for q, v in back.items()} == {"one": {"d1": 1, "d3": 0}, "three": {"d2": 2}}


def test_qrels_from_standard_input_cannot_go_with_a_queries_file(tmp_path, monkeypatch):
    (tmp_path / "q.tsv").write_text("1\tone\n")
    stdin_of(monkeypatch, BEIR_QRELS)
    with pytest.raises(JudgmentFileError, match=r"^<stdin>:0: qrels with a queries file are read twice"):
        read_judgments("-", "qrels", tmp_path / "q.tsv")
    stdin_of(monkeypatch, "query,docid,rating\nq,d,2\n")
    assert list(read_judgments("-", "csv")["q"]) == ["d"]  # one pass: standard input is fine


def test_import_reads_any_integer_grade_and_refuses_others_at_their_line(tmp_path):
    (tmp_path / "cranfield.qrels").write_text("1 0 184 2\n1 0 29 -1\n1 0 31 4\n2 0 7 1\n2 0 8 3\n")
    back = read_judgments(tmp_path / "cranfield.qrels", "qrels")
    assert {q: {d: lab.grade for d, lab in v.items()} for q, v in back.items()} == {"1": {"184": 2, "29": -1, "31": 4}, "2": {"7": 1, "8": 3}}
    (tmp_path / "l.csv").write_text("query,docid,rating\nq,d1,10\nq,d2,2.5\n")
    with pytest.raises(JudgmentFileError, match=re.escape(f"{tmp_path / 'l.csv'}:3: grade '2.5' is not a whole number")):
        read_judgments(tmp_path / "l.csv", "csv")
    (tmp_path / "l.jsonl").write_text('{"query": "q", "doc": "d1", "grade": -1}\n{"query": "q", "doc": "d2", "grade": 2.5}\n')
    with pytest.raises(JudgmentFileError) as info:
        read_judgments(tmp_path / "l.jsonl", "jsonl")
    assert info.value.line == 2 and "grade 2.5 is not a whole number" in str(info.value)
    (tmp_path / "bad.qrels").write_text("1 0 184 2\n1 0 29 2.5\n")
    with pytest.raises(JudgmentFileError, match=r":2: grade '2.5' is not a whole number$"):
        read_judgments(tmp_path / "bad.qrels", "qrels")


def test_import_reads_the_grades_it_is_given(tmp_path):
    from rerank_tui.session.labels import Scale

    (tmp_path / "l.qrels").write_text("1 0 a 1\n1 0 b 4\n1 0 c 0\n")
    with pytest.raises(JudgmentFileError, match=r":3: grade '0' is not one of 1, 2, 3, 4$"):
        read_judgments(tmp_path / "l.qrels", "qrels", grades=Scale(1, 4))
    with pytest.raises(JudgmentFileError, match=r":2: grade '4' is not one of 0, 1, 2, 3$"):
        read_judgments(tmp_path / "l.qrels", "qrels", grades={0, 1, 2, 3})
    (tmp_path / "l.csv").write_text("query,docid,rating\nq,d1,10\nq,d2,11\n")
    with pytest.raises(JudgmentFileError, match=r":3: grade '11' is not on the scale 0–10$"):
        read_judgments(tmp_path / "l.csv", "csv", grades=Scale(0, 10))
    (tmp_path / "q.tsv").write_text("1\tone\n")
    with pytest.raises(JudgmentFileError, match=r":3: grade '0' is not one of 1, 2, 3, 4$"):
        read_judgments(tmp_path / "l.qrels", "qrels", tmp_path / "q.tsv", grades=Scale(1, 4))


def test_a_grade_too_long_to_be_one_is_refused_at_its_line():
    with pytest.raises(JudgmentFileError, match=r"^x:2: grade '1+'… has more than 18 digits$"):
        parse_qrels(["q 0 a 1\n", "q 0 b " + "1" * 5000 + "\n"], "x", grades=None)
