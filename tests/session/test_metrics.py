"""Any metric ir-measures parses and an installed provider computes works; the rest is refused
with one line."""

import math
import os
import subprocess
import sys
from pathlib import Path

import ir_measures
import pytest

from rerank_tui.session.metrics import MetricError, aggregate, measure_of, parse_metrics, per_query

QRELS = {
    "q-a": {"d1": 2, "d2": 0, "d3": 1, "d9": 3},
    "q-b": {"d4": 1, "d5": 2},
    "q-c": {"d6": 0},  # judged, nothing relevant
    "q-d": {"d7": 2},  # judged, not in the run
}
RUN = {
    "q-a": [("d3", 9.0), ("d8", 8.0), ("d1", 7.0), ("d2", 6.0)],
    "q-b": [("d5", 3.0), ("d4", 2.0), ("d0", 1.0)],
    "q-c": [("d6", 1.0)],
    "other": [("d1", 5.0)],  # not judged: left out
}
WORKING = [
    "nDCG@10", "P(rel=2)@5", "Judged@10", "R@100", "AP(rel=2)", "MRR@10", "RR", "NumRel", "NumRet(rel=1)",
    "nDCG(gains={1:0})@10", "nDCG(dcg='exp-log2')@10", "ERR@10", "Bpref", "infAP", "Success@1", "SetF(beta=0.5)",
    "Compat(p=0.9)", "Rprec",
]


def _reference(names):
    """ir-measures itself, on the same judgments with numeric query ids (gdeval needs them)."""
    number = {q: str(i) for i, q in enumerate(QRELS, start=1)}
    qrels = [ir_measures.Qrel(number[q], d, g) for q, docs in QRELS.items() for d, g in docs.items()]
    run = [ir_measures.ScoredDoc(number[q], d, s) for q, docs in RUN.items() if q in number for d, s in docs]
    measures = [ir_measures.parse_measure(n) for n in names]
    return {name: ir_measures.calc_aggregate([m], qrels, run)[m] for name, m in zip(names, measures)}


def test_every_computable_measure_equals_ir_measures_own_aggregate():
    parse_metrics(WORKING)
    values = per_query(QRELS, RUN, WORKING)
    assert list(values) == WORKING and all(set(v) == set(QRELS) for v in values.values())
    reference = _reference(WORKING)
    for name in WORKING:
        assert aggregate(name, values[name]) == pytest.approx(reference[name], abs=1e-9), name
    assert aggregate("NumRel", values["NumRel"]) == 5  # a count is summed, not averaged
    assert values["nDCG@10"]["q-d"] == 0  # judged, not retrieved


def test_values_are_keyed_by_the_names_as_given():
    values = per_query(QRELS, RUN, ["MRR@10", "RR@10", "MRR@10"])  # one measure under two names
    assert list(values) == ["MRR@10", "RR@10"] and values["MRR@10"] == values["RR@10"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("garbage", "unknown metric 'garbage'"),
        ("nDCG@", "unknown metric"),
        ("__import__('os').system('x')", "unknown metric"),
        ("nDCG(rel=2)@10", "nDCG has no parameter 'rel' (it takes cutoff, dcg, gains, judged_only); each grade is its gain"),
        ("P", "P needs cutoff (e.g. P@10)"),
        ("P@5.5", "cutoff=5.5 is not a valid value (a whole number)"),
        ("RBP(p=1)", "p=1 is not a valid value (a number with a point"),
        ("nDCG(dcg='nope')@10", "dcg='nope' is not a valid value (one of 'log2', 'exp-log2')"),
        ("ERR", "metric 'ERR': no installed ir-measures provider computes it"),
        ("alpha_nDCG@10", "pyndeval (pip install ir-measures[pyndeval]) would"),
        ("x" * 300, "longer than 200 characters"),
        ("", "empty"),
    ],
)
def test_what_cannot_be_computed_is_refused_in_one_line(name, message):
    with pytest.raises(MetricError) as info:
        parse_metrics(["nDCG@10", name])
    assert message in str(info.value) and "\n" not in str(info.value)


def test_rbp_is_refused_unless_a_provider_for_it_is_installed():
    try:
        parse_metrics(["RBP(p=0.8)"])
    except MetricError as exc:
        assert "no installed ir-measures provider computes it" in str(exc) and "trectools" in str(exc)
    else:  # trectools is installed: then it is computed like the others
        values = per_query(QRELS, RUN, ["RBP(p=0.8)"])
        assert aggregate("RBP(p=0.8)", values["RBP(p=0.8)"]) == pytest.approx(_reference(["RBP(p=0.8)"])["RBP(p=0.8)"])


def test_a_provider_failing_at_run_time_is_one_metric_error(monkeypatch):
    from rerank_tui.session import metrics

    class Broken:
        def iter_calc(self, *args):
            raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(metrics, "_pipeline", lambda: Broken())
    with pytest.raises(MetricError, match=r"ir-measures could not compute 'nDCG@10': float division by zero"):
        per_query(QRELS, RUN, ["nDCG@10"])


def test_no_queries_and_no_run():
    assert per_query({}, RUN, ["nDCG@10"]) == {"nDCG@10": {}}
    assert per_query(QRELS, {}, ["P@5"])["P@5"] == {q: 0.0 for q in QRELS}
    assert math.isnan(aggregate("nDCG@10", {})) and aggregate("NumQ", {}) == 0
    assert measure_of("nDCG@10") is measure_of("nDCG@10")  # parsed once


@pytest.mark.parametrize("seed", ["12", "26"])
def test_measures_that_differ_only_in_relevance_settings_keep_their_own_values(seed):
    """Under these string hash seeds ir-measures' pytrec_eval provider, given nDCG@10 and
    nDCG(gains={1:0})@10 in one call, labelled one's values with the other's measure."""
    code = (
        "from tests.session.test_metrics import QRELS, RUN, WORKING, _reference\n"
        "from rerank_tui.session.metrics import aggregate, per_query\n"
        "values, reference = per_query(QRELS, RUN, WORKING), _reference(WORKING)\n"
        "print([n for n in WORKING if abs(aggregate(n, values[n]) - reference[n]) > 1e-9])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=os.environ | {"PYTHONHASHSEED": seed}, cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.strip() == "[]"
