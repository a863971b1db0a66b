"""A TREC run file as recall: read within limits, refused at its line, mapped onto an index."""

import io

import pytest

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.index import Index
from rerank_tui.session import recall_run
from rerank_tui.session.evaluation import evaluate
from rerank_tui.session.judgment_readers import JudgmentFileError
from rerank_tui.session.ranking import bm25_run
from rerank_tui.session.recall_run import parse_recall_run, read_recall_run, run_candidates


@pytest.fixture(scope="module")
def index():
    texts = {
        "d1": "the dataloader hangs in jupyter",
        "d2": "useEffect cleanup runs before the next effect",
        "d3": "the dataloader is a pytorch class",
        "d4": "bananas are yellow",
    }
    return Index.build([Passage(id=k, doc=k, title="", text=v) for k, v in texts.items()])


def test_documents_come_in_score_order_ties_by_rank_then_file_order():
    lines = (
        "q1 Q0 a 5 1.0 t\n"
        "q1 Q0 b 2 3.0 t\n"
        "\n"
        "q1 Q0 c 9 2.0 t\n"
        "q1 Q0 d 1 2.0 t\n"  # ties with c: the lower rank first
        "q1 Q0 e 1 2.0 t\n"  # ties with d on score and rank: file order
        "q2\tQ0\tx\t1\t-1.5e2\tt\n"  # tabs and an exponent
    )
    run = parse_recall_run(lines, "run.trec")
    assert run.queries["q1"] == [("b", 3.0), ("d", 2.0), ("e", 2.0), ("c", 2.0), ("a", 1.0)]
    assert run.queries["q2"] == [("x", -150.0)]
    assert run.rows == 6 and run.name == "run"


def test_only_the_wanted_queries_are_kept_but_every_line_is_checked():
    run = parse_recall_run("q1 Q0 a 1 1 t\nq2 Q0 b 1 1 t\n", "r", wanted={"q2"})
    assert run.queries == {"q2": [("b", 1.0)]} and run.rows == 1
    with pytest.raises(JudgmentFileError, match=r"^r:2: "):
        parse_recall_run("q2 Q0 b 1 1 t\nq1 Q0 a 1 x t\n", "r", wanted={"q2"})


@pytest.mark.parametrize(
    "line, message",
    [
        ("q1 a 1 1.0", "expected `qid Q0 docid rank score tag`, found 4 fields"),
        ("q1 Q0 a 1 1.0 t extra", "found 7 fields"),
        ("q1 Q0 a one 1.0 t", "rank 'one' is not a whole number"),
        ("q1 Q0 a 1 nan t", "score 'nan' is not a number"),
        ("q1 Q0 a 1 1e9999 t", "not a finite number"),
        ("q1 Q0 a 1 1_0 t", "score '1_0' is not a number"),
        ("q1 Q0 a\u200b 1 1.0 t", "doc id"),
        ("q1 Q0 b 3 1.0 t", "doc id 'b' appears twice for query 'q1' (first on line 1)"),
    ],
)
def test_a_malformed_line_is_refused_with_its_number(line, message):
    with pytest.raises(JudgmentFileError) as caught:
        parse_recall_run(f"q1 Q0 b 1 2.0 t\n{line}\n", "prod.trec")
    assert str(caught.value).startswith("prod.trec:2: ") and message in str(caught.value)


def test_limits_hold_before_and_while_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.trec"
    path.write_text("q1 Q0 a 1 1 t\nq1 Q0 b 2 1 t\nq1 Q0 c 3 1 t\n")
    monkeypatch.setattr(recall_run, "MAX_RUN_ROWS", 2)
    with pytest.raises(JudgmentFileError, match=r"big.trec:3: more than 2 rows"):
        read_recall_run(path)
    monkeypatch.setattr(recall_run, "MAX_RUN_BYTES", 10)
    with pytest.raises(JudgmentFileError, match=r"big.trec:0: the file has 42 bytes"):
        read_recall_run(path)


def test_bytes_that_are_not_utf8_are_refused_at_their_line(tmp_path):
    path = tmp_path / "r.trec"
    path.write_bytes(b"q1 Q0 a 1 1 t\nq1 Q0 \xff 2 1 t\n")
    with pytest.raises(JudgmentFileError, match=r"r.trec:2: not UTF-8"):
        read_recall_run(path)


def test_standard_input_is_read_and_named(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("q1 Q0 a 1 1 t\nq1 Q0 a 1 1 t\n"))
    with pytest.raises(JudgmentFileError, match=r"^<stdin>:2: "):
        read_recall_run("-")
    monkeypatch.setattr("sys.stdin", io.StringIO("q1 Q0 a 1 1 t\n"))
    run = read_recall_run("-")
    assert run.queries == {"q1": [("a", 1.0)]} and run.name == "run"


def test_the_run_maps_onto_the_index_and_counts_unknown_ids(index):
    run = parse_recall_run(
        "q1 Q0 d4 1 9.5 t\nq1 Q0 nope 2 9.0 t\nq1 Q0 d1 3 8.0 t\nq1 Q0 gone 4 7.0 t\n"
        "q2 Q0 d2 1 3.0 t\nq2 Q0 x9 2 2.0 t\nq9 Q0 d3 1 1.0 t\n",
        "prod.trec",
    )
    candidates = run_candidates(run, index, {"q1", "q2", "q3"})
    assert set(candidates.hits) == {"q1", "q2"}  # q9 is not asked for
    q1 = candidates.hits["q1"]
    assert [(h.rank, h.passage.id, h.score) for h in q1] == [(1, "d4", 9.5), (2, "d1", 8.0)]
    assert all(index.passages[h.index].id == h.passage.id for h in q1)
    assert candidates.unknown == {"q1": ["nope", "gone"], "q2": ["x9"]}
    assert candidates.unknown_counts() == {"q1": 2, "q2": 1} and candidates.unknown_total == 3
    report = candidates.unknown_report(shown=2)
    assert report == "prod.trec: 3 doc ids not in the corpus, skipped, in 2 of 2 queries (query doc: q1 nope, q1 gone, …)"

    hits_of = candidates.hits_of(index)
    assert [h.passage.id for h in hits_of("q1", "ignored", 1)] == ["d4"]
    bm25 = hits_of("q3", "dataloader pytorch", 10)  # the run lacks q3: BM25's candidates
    assert [h.passage.id for h in bm25] == [h.passage.id for h in index.search("dataloader pytorch", 10)]
    assert candidates.missing(["q1", "q3", "q2"]) == ["q3"]
    assert candidates.missing_report(["q1", "q2", "q3"]) == "prod.trec has no entry for 1 of 3 queries: BM25 candidates for them (q3)"
    assert candidates.missing_report(["q1"]) is None


def test_a_run_with_every_id_known_reports_nothing(index):
    candidates = run_candidates(parse_recall_run("q1 Q0 d1 1 1 t\n", "r"), index)
    assert candidates.unknown_report() is None and candidates.unknown_total == 0


def test_evaluate_takes_the_candidates_it_is_given(index):
    queries = [("q1", "dataloader"), ("q2", "bananas")]
    qrels = {"q1": {"d3": 1}, "q2": {"d4": 1}}
    run = parse_recall_run("q1 Q0 d2 1 5 t\nq1 Q0 d3 2 4 t\n", "prod.trec")
    candidates = run_candidates(run, index)
    results = evaluate(index, queries, qrels, [], reranker=None, metrics=["RR@10"],
                       hits_of=candidates.hits_of(index), recall_name="prod")
    assert [s.name for s in results] == ["prod"]
    assert [d for d, _ in results[0].run["q1"]] == ["d2", "d3"]  # the run's order
    assert results[0].run["q2"] == bm25_run(index.search("bananas", 100))  # BM25 for q2
    assert results[0].values["RR@10"] == {"q1": 0.5, "q2": 1.0}
    default = evaluate(index, queries, qrels, [], reranker=None, metrics=["RR@10"])
    assert default[0].name == "bm25"
    assert default[0].run == {qid: bm25_run(index.search(text, 100)) for qid, text in queries}
