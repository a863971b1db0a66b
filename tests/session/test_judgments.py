import csv
import io

import ir_measures
import pytest

from rerank_tui.session import judgment_readers
from rerank_tui.session.judgment_readers import count_lines, read_queries
from rerank_tui.session.judgments import (
    JudgmentFileError,
    from_csv,
    from_jsonl,
    from_qrels,
    from_quepid,
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


# -- reading: streaming, limits, ids that stay ids --------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000
NESTED_40 = "[" * 40 + "]" * 40
BIG_CELL = "x" * 1000 + "\n"


REFUSALS = [
    # qrels: layouts, ids, grades
    (from_qrels, "q1 0 d1 2.0\n", 1, "grade '2.0'"),
    (from_qrels, "q1 0 d1 -1\n", 1, "grade '-1'"),
    (from_qrels, "q1 0 d1 +2\n", 1, "grade '+2'"),
    (from_qrels, "q1\td1\t2\nq1 0 d2 1\n", 2, "expected `qid<TAB>docid<TAB>grade` as above, found 4"),
    (from_qrels, "q1 0 d1 2\nq1\td2\t1\n", 2, "expected `qid 0 docid grade` as above, found 3"),
    (from_qrels, "# a comment\n\nq1\td 1\t2\n", 3, "doc id 'd 1' holds whitespace"),
    (from_qrels, "q1 0 d\u200b1 2\n", 1, "U+200B"),
    (from_qrels, "q\x001 0 d1 2\n", 1, "query id 'q\\x001' holds whitespace or a control character (U+0000)"),
    (from_qrels, "q1\t\t2\n", 1, "doc id is empty"),
    (from_qrels, f"q1 0 {'d' * 1001} 2\n", 1, "doc id is longer than 1,000"),
    (from_qrels, "q1\td1\t2\nquery-id\tcorpus-id\tscore\n", 2, "grade 'score'"),
    (from_qrels, "q1 d1\n", 1, "found 2 fields"),
    # CSV: the injection of qrels lines through a doc id, cells, grades
    (from_csv, 'query,docid,rating\nq,"d1 1\nq2 0 evil 3",2\n', 2, "doc id 'd1 1\\nq2 0 evil 3' holds whitespace"),
    (from_csv, "query,docid,rating\nq,d1\u2028,2\n", 2, "U+2028"),
    (from_csv, "query,docid,rating\nq,d,2.5\n", 2, "grade '2.5' is not a whole number (labels take whole grades"),
    (from_csv, "query,docid,rating\nq,d,2.0\nq,e,1e1\n", 3, "grade '1e1'"),
    (from_csv, "query,docid,rating\nq,,2\n", 2, "doc id is empty"),
    (from_csv, "query,docid,rating\nq,d,7.0\n", 2, "grade '7'"),
    (from_quepid, "query,docid,rating\n , d, 2\n", 2, "query text is empty"),
    (from_quepid, "query,docid,rating\nq,d,2,x\n", 2, "expected 3 cells, found 4"),
    (from_csv, f"query,docid,rating\nq,d,1\n{'q' * 10_001},d,1\n", 3, "query text is longer than 10,000"),
    (from_csv, 'query,docid,rating\n"a query\nover two lines",d,7\n', 2, "grade '7'"),
    (from_csv, 'query,docid,rating\nq,d,1\n"' + BIG_CELL * 200, 3 + csv.field_size_limit() // len(BIG_CELL), "not valid CSV (field larger"),
    # JSONL: objects of scalars, ids, grades, sizes
    (from_jsonl, '{"query": "q", "doc": "d", "grade": true}\n', 1, "grade True"),
    (from_jsonl, '{"query": "q", "doc": "d", "grade": 2.0}\n', 1, "grade 2.0"),
    (from_jsonl, '{"query": "q", "doc": "d", "grade": "2.0"}\n', 1, "grade '2.0'"),
    (from_jsonl, '{"query": "q", "doc": "d"}\n', 1, "grade None"),
    (from_jsonl, '\n{"query": "q", "doc": "d1 1\\nq2 0 evil 3", "grade": 2}\n', 2, "holds whitespace"),
    (from_jsonl, '{"query": "q", "doc": {"id": "d"}, "grade": 1}\n', 1, "`doc` must be a string, number or null, not nested"),
    (from_jsonl, '{"query": "q", "doc": "d", "grade": 1, "x": ' + NESTED_40 + "}\n", 1, "`x` must be"),
    (from_jsonl, '{"query": "q", "doc": "d", "grade": 1, "x": ' + DEEP + "}\n", 1, "JSON nested too deep"),
    (from_jsonl, '["q", "d", 1]\n', 1, "expected a JSON object"),
    (from_jsonl, '{"query": 5, "doc": "d", "grade": 1}\n', 1, "expected an object with a `query` string"),
    (from_jsonl, '{"query": "q", "grade": 1}\n', 1, "expected an object with a `query` string"),
    (from_jsonl, '{"query": "\\ud800", "doc": null}\n', 1, "lone surrogate"),
    (from_jsonl, '{"query": "%s", "doc": null}\n' % ("q" * 10_001), 1, "query text is longer than 10,000"),
    (from_jsonl, '{"query": "q", "doc": "d", "grade": 1, "at": 5}\n', 1, "`at` must be a string"),
    (from_jsonl, '{"query": "q", "doc": null}\n{"query": "%s"}\n' % ("q" * (1 << 20)), 2, "line is longer than 1,048,576"),
]


@pytest.mark.parametrize("reader, text, line, message", REFUSALS, ids=[f"{r.__name__}-{m[:40]}" for r, _, _, m in REFUSALS])
def test_refusals_name_their_line(reader, text, line, message):
    with pytest.raises(JudgmentFileError) as info:
        reader(text, "in.txt")
    assert info.value.line == line, str(info.value)
    assert f"in.txt:{line}:" in str(info.value) and message in str(info.value)


@pytest.mark.parametrize("wrap", [lambda text: text.splitlines(keepends=True), io.StringIO, str])
def test_readers_take_a_text_a_list_of_lines_or_a_file(wrap):
    text = "# TREC\nq1 0 d1 2\n\nq1 0 d2 0\nq2 0 d1 3\n"
    assert grades(from_qrels(wrap(text), "x")) == {"q1": {"d1": 2, "d2": 0}, "q2": {"d1": 3}}


@pytest.mark.parametrize("header", ["", "query-id\tcorpus-id\tscore\n", "Query-ID\tcorpus-id\tscore\r\n"])
def test_qrels_with_three_columns_with_or_without_the_beir_header(tmp_path, header):
    (tmp_path / "qrels.tsv").write_text(header + "1\t31715818\t1\r\n3\t14717500\t2\n", encoding="utf-8")
    assert grades(read_judgments(tmp_path / "qrels.tsv", "qrels")) == {"1": {"31715818": 1}, "3": {"14717500": 2}}


@pytest.mark.parametrize(
    "queries",
    [
        "1\t0-dimensional biomaterials\n3\t1,000 genomes, with a\ttab\n7\tunused\n",
        '{"id": "1", "text": "0-dimensional biomaterials"}\n{"_id": "3", "text": "1,000 genomes, with a\\ttab"}\n',
        '{"id": 1, "text": "0-dimensional biomaterials"}\n\n{"id": 3, "text": "1,000 genomes, with a\\ttab"}\n',
    ],
    ids=["tsv", "jsonl", "jsonl-int-ids"],
)
def test_qrels_with_a_queries_file(tmp_path, queries):
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n1\td1\t1\n3\td2\t2\n1\td3\t0\n", encoding="utf-8")
    (tmp_path / "queries").write_text(queries, encoding="utf-8")
    back = read_judgments(tmp_path / "qrels.tsv", "qrels", tmp_path / "queries")
    assert grades(back) == {"0-dimensional biomaterials": {"d1": 1, "d3": 0}, "1,000 genomes, with a\ttab": {"d2": 2}}


@pytest.mark.parametrize(
    "qrels, queries, where, message",
    [
        ("q1 0 d1 1\nq9 0 d1 2\n", "q1\tfirst\n", "qrels:2:", "query id 'q9' is not in the queries file"),
        ("q1 0 d1 1\n", "q1 first\n", "queries:1:", "expected `id<TAB>text`"),
        ("q1 0 d1 1\n", "q0\tzero\nq1\tfirst\nq1\tagain\n", "queries:3:", "query id 'q1' appears twice"),
        ("q1 0 d1 1\n", '{"id": "q1"}\n', "queries:1:", "expected an object with an `id` and a `text`"),
        ("q1 0 d1 1\n", "q\u00851\tfirst\n", "queries:1:", "holds whitespace"),
        ("q1 0 d1 1\n", "q0\t%s\n" % ("q" * 10_001), "queries:1:", "query text is longer"),
    ],
)
def test_a_bad_queries_file_names_its_line(tmp_path, qrels, queries, where, message):
    (tmp_path / "qrels").write_text(qrels, encoding="utf-8")
    (tmp_path / "queries").write_text(queries, encoding="utf-8")
    with pytest.raises(JudgmentFileError) as info:
        read_judgments(tmp_path / "qrels", "qrels", tmp_path / "queries")
    assert f"{tmp_path / where}" in str(info.value) and message in str(info.value)


def test_queries_file_keeps_only_the_wanted_ids(tmp_path):
    (tmp_path / "q.tsv").write_text("a\tA\nb\tB\nc\tC\n", encoding="utf-8")
    assert read_queries(tmp_path / "q.tsv", {"a", "c", "z"}) == [("a", "A"), ("c", "C")]
    assert read_queries(tmp_path / "q.tsv") == [("a", "A"), ("b", "B"), ("c", "C")]


@pytest.mark.timeout(10)
def test_a_file_over_the_label_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.qrels"
    path.write_text("q1 0 d 1\n" * 600_000)
    with pytest.raises(JudgmentFileError) as info:
        read_judgments(path, "qrels")
    assert info.value.line == 0
    assert "has 600,000 lines" in str(info.value) and "holds at most 500,000 labels" in str(info.value) and "split" in str(info.value)


def test_the_label_limit_holds_while_parsing(monkeypatch):
    monkeypatch.setattr(judgment_readers, "MAX_IMPORT_LABELS", 3)
    lines = ["q 0 d%d 1\n" % i for i in range(10)]
    with pytest.raises(JudgmentFileError, match=r"^x:4: more than 3 labels in one file: split the file"):
        from_qrels(lines, "x")
    assert len(from_qrels(lines[:3], "x")["q"]) == 3


def test_the_size_limit_holds_before_and_while_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(judgment_readers, "MAX_IMPORT_BYTES", 40)
    (tmp_path / "l.qrels").write_text("q 0 d1 1\n" * 5)
    with pytest.raises(JudgmentFileError, match=r"l\.qrels:0: the file has 45 bytes; at most 40 are read"):
        read_judgments(tmp_path / "l.qrels", "qrels")
    with pytest.raises(JudgmentFileError, match=r"^x:5: more than 40 characters"):
        from_qrels(["q 0 d1 1\n"] * 5, "x")


def test_blank_lines_do_not_count_against_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(judgment_readers, "MAX_IMPORT_LABELS", 2)
    (tmp_path / "l.qrels").write_text("\n\nq 0 d1 1\n  \n\r\nq 0 d2 1\n\n")
    assert len(read_judgments(tmp_path / "l.qrels", "qrels")["q"]) == 2


@pytest.mark.parametrize(
    "data",
    [b"", b"a", b"a\n\n \n\r\nb", b"\n" * 10, (b"x" * 999 + b"\n" + b" " * 500 + b"\n") * 3000, b" " * (3 << 20) + b"z\n\n"],
    ids=["empty", "no-newline", "blanks", "newlines", "lines-across-chunks", "a-line-across-chunks"],
)
def test_count_lines_counts_non_blank_lines_across_chunks(tmp_path, data):
    (tmp_path / "f").write_bytes(data)
    assert count_lines(tmp_path / "f") == sum(1 for line in data.split(b"\n") if line.strip())


def test_bytes_that_are_not_utf8_are_refused_at_their_line(tmp_path):
    (tmp_path / "l.qrels").write_bytes(b"q 0 d1 1\n" * 4999 + b"q 0 d\xff 1\n" + b"q 0 d2 1\n")
    with pytest.raises(JudgmentFileError, match=r"l\.qrels:5000: not UTF-8 text"):
        read_judgments(tmp_path / "l.qrels", "qrels")


@pytest.mark.parametrize("fmt", ["qrels", "csv", "jsonl"])
def test_files_with_a_bom_and_crlf_lines_read_back(tmp_path, fmt):
    path = tmp_path / f"l.{fmt}"
    text = {"qrels": to_qrels, "csv": to_csv, "jsonl": to_jsonl}[fmt](JUDGMENTS)
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    back = read_judgments(path, fmt)
    if fmt == "qrels":
        assert grades(back) == {query_id(q): g for q, g in grades(JUDGMENTS).items() if g}
    else:
        assert grades(back) == grades(JUDGMENTS)


def test_a_query_with_a_line_separator_survives_jsonl(tmp_path):
    judgments = {"one\u2028two\x85three": {"d1": Label("d1", 2)}}
    (tmp_path / "l.jsonl").write_text(to_jsonl(judgments), encoding="utf-8")
    assert grades(read_judgments(tmp_path / "l.jsonl", "jsonl")) == {"one\u2028two\x85three": {"d1": 2}}


def test_a_crafted_csv_cannot_inject_qrels_lines(tmp_path):
    crafted = [["query", "docid", "rating"], ["q", "d1 1\nq2 0 evil 3", "2"], ["q", "d1\t1", "2"], ["q", "d1\r", "2"]]
    for row in crafted[1:]:
        out = io.StringIO()
        csv.writer(out).writerows([crafted[0], row])
        with pytest.raises(JudgmentFileError, match=r"in\.csv:2: doc id .* holds whitespace or a control character"):
            from_csv(out.getvalue(), "in.csv")


# -- Quepid's basic CSV (o19s/quepid: api/v1/export/ratings_controller.rb, ratings_importer.rb) --


def test_quepid_export_is_what_quepid_writes():
    from rerank_tui.session.judgments import to_quepid

    # Quepid's own expectations (test/controllers/api/v1/export/ratings_controller_test.rb)
    assert to_quepid({"two": {}, "one": {}}) == "query,docid,rating\ntwo,,\none,,\n"
    assert to_quepid({"I like, commas!": {}, "one": {}}) == 'query,docid,rating\n"I like, commas!",,\none,,\n'
    rows = list(csv.DictReader(io.StringIO(to_quepid({"=cmd": {}, "q": {"999a": Label("999a", 3)}}))))
    assert rows[0] == {"query": " =cmd", "docid": "", "rating": ""}  # Quepid's make_csv_safe: a space
    assert rows[1] == {"query": "q", "docid": "999a", "rating": "3.0"}  # ratings are floats in Quepid
    for text in ("+a", "-a", "@a", "=a"):
        assert to_quepid({text: {}}).splitlines()[1] == f" {text},,"
    assert to_quepid({"ab=@c": {}}).splitlines()[1] == "ab=@c,,"  # "other strings unchanged"
    assert to_quepid({"q": {"-12": Label("-12", 0)}}).splitlines()[1] == "q, -12,0.0"  # doc ids too (Quepid strips them)
    assert to_quepid({"a\rb": {}}).split("\n")[1] == '"a\rb",,'  # Ruby's CSV quotes a CR (Python's leaves it bare)


def test_quepids_sample_file_imports_with_unrated_docs_and_queries_without_ratings():
    sample = "query,docid,rating\nstar wars,3574597,3\nstar wars,3557771,\nstar trek,,\n"  # from Quepid's import dialog
    for reader in (from_csv, from_quepid):
        assert grades(reader(sample, "x", None)) == {"star wars": {"3574597": 3}, "star trek": {}}
    exported = "query,docid,rating\n =cmd,,\nq,999a,3.0\nq,d2,10.0"  # what Quepid's export gives back (no final newline)
    assert grades(from_csv(exported, "x", None)) == {"=cmd": {}, "q": {"999a": 3, "d2": 10}}


def test_quepid_format_reads_as_quepid_does():
    text = "query,docid,rating\n  star wars , 3574597 , 3.0 \nstar trek\n'=x,d,1\n\n"
    assert grades(from_quepid(text, "x", None)) == {"star wars": {"3574597": 3}, "star trek": {}, "'=x": {"d": 1}}
    assert grades(from_csv("query,docid,rating\n'=x,d,1\n", "x", None)) == {"=x": {"d": 1}}  # ours: our guard


def test_every_text_reads_back_through_both_csv_writers():
    import itertools

    from rerank_tui.session.judgments import to_quepid

    starts = ["'", " ", "=", "a", "\t", "-", "\r", "@"]
    judgments = {"".join(p) + "q": {} for n in range(4) for p in itertools.product(starts, repeat=n)}
    judgments["x"] = {d: Label(d, 1) for d in ("-12", "'-d", "''@", "=1+1", "plain")}
    for writer in (to_csv, to_quepid):
        assert grades(from_csv(writer(judgments), "x", None)) == grades(judgments), writer.__name__
        for row in list(csv.reader(io.StringIO(writer(judgments))))[1:]:
            assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_a_csv_header_is_sniffed_in_any_file(tmp_path):
    from rerank_tui.session.judgments import guess_format

    (tmp_path / "ratings.txt").write_text("query,docid,rating\nq,d,1\n")
    assert guess_format(tmp_path / "ratings.txt") == "csv"
    assert read_judgments(tmp_path / "ratings.txt", "quepid") == read_judgments(tmp_path / "ratings.txt", "csv")
