"""GradeDistribution: the restricted softmax, its summaries, and reading a server's top-k."""

from __future__ import annotations

import math

import pytest

from rerank_tui.judge.errors import JudgeScaleError
from rerank_tui.judge.grades import GradeDistribution, check_grades


def test_from_logits_is_the_softmax_over_the_grades():
    d = GradeDistribution.from_logits((0, 1, 2, 3), [1.0, 2.0, 0.5, -1.0], logsumexp_all=4.0)
    exps = [math.exp(x) for x in (1.0, 2.0, 0.5, -1.0)]
    assert d.probs == pytest.approx([e / sum(exps) for e in exps], abs=1e-12)
    assert sum(d.probs) == pytest.approx(1.0)
    assert d.mass == pytest.approx(sum(exps) / math.exp(4.0))
    assert d.expected == pytest.approx(sum(g * p for g, p in zip((0, 1, 2, 3), d.probs)))
    assert d.argmax == 1 and d.missing == 0
    assert GradeDistribution.from_logits((0, 1), [0.0, 0.0]).mass is None


def test_argmax_ties_go_to_the_lower_grade_and_expected_uses_the_grades():
    d = GradeDistribution.from_logits((1, 2, 3, 4), [0.0, 3.0, 3.0, 0.0])
    assert d.argmax == 2
    assert 1.0 < d.expected < 4.0
    assert GradeDistribution((1, 2, 3, 4), (0.0, 0.0, 0.0, 1.0)).expected == 4.0


def test_extreme_logits_do_not_overflow():
    d = GradeDistribution.from_logits((0, 1, 2), [1000.0, -1000.0, 999.0], logsumexp_all=1000.5)
    assert d.probs[1] == 0.0 and d.probs[0] == pytest.approx(1 / (1 + math.exp(-1)))
    assert 0.0 < d.mass <= 1.0


def test_from_logprobs_renormalises_the_present_grades_and_counts_the_missing():
    lp = {"0": math.log(0.1), "1": math.log(0.3), "3": math.log(0.2), "the": math.log(0.3), " 2": math.log(0.05)}
    d = GradeDistribution.from_logprobs((0, 1, 2, 3), lp)
    assert d.probs == pytest.approx((1 / 6, 3 / 6, 0.0, 2 / 6))
    assert d.missing == 1 and d.mass == pytest.approx(0.6)  # " 2" is not the grade token "2"
    full = GradeDistribution.from_logprobs((0, 1), {"0": math.log(0.25), "1": math.log(0.5)})
    assert full.missing == 0 and full.probs == pytest.approx((1 / 3, 2 / 3)) and full.mass == pytest.approx(0.75)


def test_no_grade_token_gives_none():
    assert GradeDistribution.from_logprobs((0, 1, 2, 3), {"yes": -0.1, "no": -2.0}) is None
    assert GradeDistribution.from_logprobs((0, 1), {"0": -math.inf}) is None


@pytest.mark.parametrize("bad", [(), (3,), (0, 2, 3), (3, 2, 1), (0, True), (0.0, 1.0)])
def test_a_scale_is_contiguous_ascending_integers(bad):
    with pytest.raises(JudgeScaleError):
        check_grades(bad)
    assert check_grades(range(1, 5)) == (1, 2, 3, 4)
