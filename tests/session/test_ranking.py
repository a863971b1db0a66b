"""Runs keep the order the user saw, in memory and in files, for every evaluator."""

import ir_measures
import pytest

from rerank_tui.cli.headless import write_trec_run
from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.index import Hit
from rerank_tui.session.metrics import per_query
from rerank_tui.session.ranking import RerankedHit, bm25_run, run_scores


def hit(doc: str, rank: int, score: float = 1.0) -> Hit:
    return Hit(rank, score, rank - 1, Passage(id=doc, doc=doc, title="", text=doc))


def test_ties_keep_the_shown_order_in_memory_and_in_the_written_file(tmp_path):
    # Shown order z, y, x with one tied score: every evaluator would put x first (doc id).
    ranked = [RerankedHit(hit("z", 3), 0.5, 1), RerankedHit(hit("y", 2), 0.5, 2), RerankedHit(hit("x", 1), None, 3)]
    tail = [hit("w", 4), hit("v", 5)]
    run = run_scores(ranked, tail)
    assert [d for d, _ in run] == ["z", "y", "x", "w", "v"]
    assert all(a[1] > b[1] for a, b in zip(run, run[1:]))
    qrels = {"q": {"y": 1}}
    in_memory = per_query(qrels, {"q": run}, ["RR@10"])["RR@10"]["q"]
    assert in_memory == pytest.approx(1 / 2)  # y is second, as shown
    path = tmp_path / "run.trec"
    write_trec_run(path, [("q", [(d, i + 1, s) for i, (d, s) in enumerate(run)])], "t")
    from_file = list(ir_measures.iter_calc([ir_measures.parse_measure("RR@10")], [ir_measures.Qrel("q", "y", 1)], ir_measures.read_trec_run(str(path))))
    assert from_file[0].value == in_memory
    pytrec_eval = pytest.importorskip("pytrec_eval")
    file_run = {}
    for line in path.read_text().splitlines():
        qid, _, doc, _, score, _ = line.split()
        file_run.setdefault(qid, {})[doc] = float(score)
    assert pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(file_run)["q"]["recip_rank"] == in_memory


def test_bm25_ties_keep_the_index_order():
    run = bm25_run([hit("b", 1, 2.0), hit("a", 2, 2.0), hit("c", 3, 1.0)])
    assert [d for d, _ in run] == ["b", "a", "c"] and run[0][1] > run[1][1] > run[2][1]
