"""Judge vs human agreement, against values worked out by hand."""

import math

import ir_measures
import pytest

from rerank_tui.session.agreement import format_agreement, pair_agreement, system_agreement
from rerank_tui.session.label_model import Label
from rerank_tui.session.label_sources import accepted_extra
from rerank_tui.session.suggestions import Suggestion

# Ten pairs on the grades 0–2 (human, judge):
HUMAN_GRADES = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
JUDGE_GRADES = [0, 0, 1, 1, 1, 2, 2, 2, 1, 2]
# Confusion (rows human, columns judge): [[2, 1, 0], [0, 2, 1], [0, 1, 3]]; exact = 7 / 10.
# Row sums (human) 3, 3, 4; column sums (judge) 2, 4, 4; n = 10. Expected counts E_ij = row_i col_j / n:
#   [[0.6, 1.2, 1.2], [0.6, 1.2, 1.2], [0.8, 1.6, 1.6]].
# Weighted κ = 1 − Σ w_ij O_ij / Σ w_ij E_ij.
# Linear w = |i − j|: observed = 3 disagreements at distance 1 → 3; expected = distance 1: 1.2 + 0.6 + 1.2 + 1.6 = 4.6,
#   distance 2: 1.2 + 0.8 = 2.0 → 4.6 + 2 × 2.0 = 8.6; κ = 1 − 3 / 8.6 = 28 / 43.
# Quadratic w = (i − j)²: observed 3; expected 4.6 + 4 × 2.0 = 12.6; κ = 1 − 3 / 12.6 = 16 / 21.
# Precision (columns): 2/2, 2/4, 3/4. Recall (rows): 2/3, 2/3, 3/4. Support: 3, 3, 4.


def _label(doc, grade, extra=None):
    return Label(doc, grade, "", "", extra or {})


def _sets():
    human = {"q1": {f"d{i}": _label(f"d{i}", g) for i, g in enumerate(HUMAN_GRADES[:5])},
             "q2": {f"d{i}": _label(f"d{i}", g) for i, g in enumerate(HUMAN_GRADES[5:], start=5)}}
    judge = {"q1": {f"d{i}": g for i, g in enumerate(JUDGE_GRADES[:5])}, "q2": {f"d{i}": g for i, g in enumerate(JUDGE_GRADES[5:], start=5)}}
    return human, judge


def test_pair_agreement_against_hand_computed_values():
    human, judge = _sets()
    human["q2"]["accepted"] = _label("accepted", 2, accepted_extra(Suggestion("q2", "accepted", 2, 2.0, (), None, "j", "p", "", "")))
    judge["q2"]["accepted"] = 2  # the judge's own grade, accepted: not counted
    human["q2"]["unjudged"] = _label("unjudged", 1)
    judge["q1"]["unlabeled"] = 0
    human["q1"]["off"] = _label("off", 2)
    judge["q1"]["off"] = 7  # off the grades
    a = pair_agreement(human, judge, [0, 1, 2])
    assert a.n == 10 and a.off_scale == 1 and a.grades == (0, 1, 2)
    assert a.confusion == ((2, 1, 0), (0, 2, 1), (0, 1, 3))
    assert a.exact == pytest.approx(0.7)
    assert a.kappa_linear == pytest.approx(28 / 43)
    assert a.kappa_quadratic == pytest.approx(16 / 21)
    assert a.precision == pytest.approx({0: 1.0, 1: 0.5, 2: 0.75})
    assert a.recall == pytest.approx({0: 2 / 3, 1: 2 / 3, 2: 0.75})
    assert a.support == {0: 3, 1: 3, 2: 4}


def test_an_undefined_kappa_is_none_and_no_pairs_is_empty():
    one_grade = pair_agreement({"q": {"d": _label("d", 2), "e": _label("e", 2)}}, {"q": {"d": 2, "e": 2}}, [0, 1, 2, 3])
    assert one_grade.n == 2 and one_grade.exact == 1.0 and one_grade.kappa_linear is None and one_grade.kappa_quadratic is None
    none = pair_agreement({"q": {"d": _label("d", 2)}}, {"r": {"d": 2}}, [0, 1])
    assert none.n == 0 and none.exact is None and none.kappa_linear is None and none.confusion == ((0, 0), (0, 0))
    assert any("exact agreement: –" in line for line in format_agreement(none))


def _run(human_rank: int, judge_rank: int) -> dict[str, list[tuple[str, float]]]:
    """Query 1's run of 12 docs with `h` at `human_rank` and `j` at 6 + `judge_rank` (fillers elsewhere)."""
    docs = [f"filler{i}" for i in range(12)]
    docs[human_rank - 1], docs[5 + judge_rank] = "h", "j"
    return {"1": [(doc, 12.0 - i) for i, doc in enumerate(docs)]}


HUMAN_QRELS = {"1": {"h": 1}}  # only `h` is relevant to people …
JUDGE_QRELS = {"1": {"j": 1}}  # … only `j` to the judge: each side orders the systems by where its doc stands


@pytest.mark.parametrize(
    "judge_ranks, tau, p_value",
    [
        # A..E at human ranks 1..5; judge order A C B D E: 1 of the 10 pairs discordant → τ = (9 − 1) / 10.
        # Exact two-sided p: permutations of 5 with ≤ 1 inversion are 1 + 4 of 120 → 2 × 5 / 120.
        ([1, 3, 2, 4, 5], 0.8, 10 / 120),
        # Judge order B A D C E: 2 discordant → τ = (8 − 2) / 10; ≤ 2 inversions: 1 + 4 + 9 of 120 → 2 × 14 / 120.
        ([2, 1, 4, 3, 5], 0.6, 28 / 120),
        ([5, 4, 3, 2, 1], -1.0, 2 / 120),
    ],
)
def test_kendall_tau_of_two_orderings_of_five_systems(judge_ranks, tau, p_value):
    systems = {name: _run(rank, judge) for name, rank, judge in zip("ABCDE", [1, 2, 3, 4, 5], judge_ranks)}
    agreement = system_agreement(systems, HUMAN_QRELS, JUDGE_QRELS)
    assert [s.name for s in agreement.systems] == list("ABCDE")
    assert agreement.tau == pytest.approx(tau) and agreement.p_value == pytest.approx(p_value)
    assert agreement.queries == 1 and agreement.reason == ""


def test_system_means_are_ir_measures_ndcg():
    systems = {"A": _run(1, 1), "B": _run(2, 3), "C": _run(4, 2)}
    agreement = system_agreement(systems, HUMAN_QRELS, JUDGE_QRELS)
    by_name = {s.name: s for s in agreement.systems}
    assert by_name["A"].human == pytest.approx(1.0)  # the one relevant doc first
    assert by_name["B"].human == pytest.approx(1 / math.log2(3))  # at rank 2: DCG 1 / log2(3), ideal DCG 1
    assert by_name["C"].judge == pytest.approx(1 / math.log2(9))  # `j` at rank 6 + 2 = 8
    qrels = [ir_measures.Qrel("1", "h", 1)]
    run = [ir_measures.ScoredDoc("1", doc, score) for doc, score in systems["B"]["1"]]
    assert by_name["B"].human == pytest.approx(ir_measures.calc_aggregate([ir_measures.nDCG @ 10], qrels, run)[ir_measures.nDCG @ 10])
    assert agreement.tau == pytest.approx(1 / 3)  # judge order A C B: 1 of 3 pairs discordant → (2 − 1) / 3


def test_fewer_than_three_systems_or_no_shared_query_give_no_tau():
    two = system_agreement({"A": _run(1, 1), "B": _run(2, 2)}, HUMAN_QRELS, JUDGE_QRELS)
    assert two.tau is None and two.p_value is None and "at least 3 systems" in two.reason and len(two.systems) == 2
    apart = system_agreement({"A": _run(1, 1)}, HUMAN_QRELS, {"2": {"j": 1}})
    assert apart.tau is None and apart.queries == 0 and "no query" in apart.reason


def test_format_agreement_shows_every_number():
    human, judge = _sets()
    systems = {name: _run(rank, judge_rank) for name, rank, judge_rank in zip("ABCDE", [1, 2, 3, 4, 5], [1, 3, 2, 4, 5])}
    lines = format_agreement(pair_agreement(human, judge, [0, 1, 2]), system_agreement(systems, HUMAN_QRELS, JUDGE_QRELS))
    text = "\n".join(lines)
    assert lines[0] == "judge vs human: 10 pairs graded by both"
    assert lines[2].split() == ["human\\judge", "0", "1", "2"] and lines[3].split() == ["0", "2", "1", "0"]
    assert "Cohen's κ: linear 0.651, quadratic 0.762" in text and "exact agreement: 70.0% (7 of 10)" in text
    assert lines[10].split() == ["1", "0.500", "0.667", "3"]
    assert "Kendall's τ: 0.800 (p 0.083)" in text and lines[-2].split() == ["E", "0.387", "0.000"]  # 1 / log2(6); `j` at rank 11, past the cutoff
