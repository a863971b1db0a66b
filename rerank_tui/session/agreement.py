"""How well a judge agrees with the people who label, measured on the user's own labels.

Two views: per pair (the confusion matrix, Cohen's weighted κ, exact agreement, the judge's
per-grade precision and recall taking the human grade as the truth), and per system (does the
judge's qrels rank systems as the human qrels do: Kendall's τ-b of the two orderings of the
systems' mean metric). Only human labels count as the human side: a label accepted from the
judge is the judge's own grade.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rerank_tui.session.label_model import Label
from rerank_tui.session.label_sources import HUMAN, source_of
from rerank_tui.session.metrics import Qrels, Run, aggregate, per_query

MIN_SYSTEMS = 3


@dataclass(frozen=True)
class PairAgreement:
    n: int  # pairs graded by both, on the grades
    grades: tuple[int, ...]
    confusion: tuple[tuple[int, ...], ...]  # rows: human grade, columns: judge grade
    kappa_linear: float | None  # None: undefined (no pairs, or one grade only)
    kappa_quadratic: float | None
    exact: float | None  # fraction of pairs with the same grade (None: no pairs)
    precision: dict[int, float]  # of the judge, per grade, human as truth
    recall: dict[int, float]
    support: dict[int, int]  # human labels per grade
    off_scale: int = 0  # pairs left out: a grade not among `grades`


@dataclass(frozen=True)
class SystemScore:
    name: str
    human: float
    judge: float


@dataclass(frozen=True)
class SystemAgreement:
    metric: str
    queries: int  # judged in both qrels
    systems: tuple[SystemScore, ...]  # by human mean, best first
    tau: float | None
    p_value: float | None
    reason: str = ""  # why tau is None


def _finite(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def pair_agreement(human: Mapping[str, Mapping[str, Label]], judge: Mapping[str, Mapping[str, int]], grades: Sequence[int]) -> PairAgreement:
    """Agreement over the (query, doc) pairs with a human label and a judge grade."""
    from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

    grades = tuple(grades)
    allowed = set(grades)
    truth: list[int] = []
    guess: list[int] = []
    off = 0
    for query, labels in human.items():
        theirs = judge.get(query)
        if not theirs:
            continue
        for doc, label in labels.items():
            grade = theirs.get(doc)
            if grade is None or source_of(label) != HUMAN:
                continue
            if label.grade in allowed and grade in allowed:
                truth.append(label.grade)
                guess.append(grade)
            else:
                off += 1
    n = len(truth)
    if n == 0:
        zero = dict.fromkeys(grades, 0.0)
        empty = tuple(tuple(0 for _ in grades) for _ in grades)
        return PairAgreement(0, grades, empty, None, None, None, dict(zero), dict(zero), dict.fromkeys(grades, 0), off)
    matrix = confusion_matrix(truth, guess, labels=list(grades))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an undefined κ is NaN, reported as None
        linear = _finite(cohen_kappa_score(truth, guess, labels=list(grades), weights="linear"))
        quadratic = _finite(cohen_kappa_score(truth, guess, labels=list(grades), weights="quadratic"))
    precision, recall, _, support = precision_recall_fscore_support(truth, guess, labels=list(grades), zero_division=0)
    return PairAgreement(
        n=n,
        grades=grades,
        confusion=tuple(tuple(int(c) for c in row) for row in matrix),
        kappa_linear=linear,
        kappa_quadratic=quadratic,
        exact=sum(1 for a, b in zip(truth, guess) if a == b) / n,
        precision={g: float(p) for g, p in zip(grades, precision)},
        recall={g: float(r) for g, r in zip(grades, recall)},
        support={g: int(s) for g, s in zip(grades, support)},
        off_scale=off,
    )


def judge_grades(suggestions) -> dict[str, dict[str, int]]:
    """query → doc → the suggested grade, of a SuggestionStore (the judge side of `pair_agreement`)."""
    return {query: {doc: s.grade for doc, s in suggestions.for_query(query).items()} for query in suggestions.queries()}


def system_agreement(systems: Mapping[str, Run], human_qrels: Qrels, judge_qrels: Qrels, metric: str = "nDCG@10") -> SystemAgreement:
    """Each system's mean `metric` under both qrels (query id → doc → grade; runs by query id
    too), over the queries judged in both, and Kendall's τ-b between the two orderings."""
    shared = [q for q in human_qrels if human_qrels[q] and judge_qrels.get(q)]
    scores = []
    if shared:
        human = {q: human_qrels[q] for q in shared}
        judged = {q: judge_qrels[q] for q in shared}
        for name, run in systems.items():
            wanted = {q: run.get(q, []) for q in shared}
            scores.append(
                SystemScore(name, aggregate(metric, per_query(human, wanted, [metric])[metric]), aggregate(metric, per_query(judged, wanted, [metric])[metric]))
            )
    scores.sort(key=lambda s: (-s.human, s.name))
    tau, p_value, reason = None, None, ""
    if not shared:
        reason = "no query is judged in both qrels"
    elif len(scores) < MIN_SYSTEMS:
        reason = f"Kendall's τ needs at least {MIN_SYSTEMS} systems, not {len(scores)}"
    else:
        from scipy.stats import kendalltau

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = kendalltau([s.human for s in scores], [s.judge for s in scores])
        tau, p_value = _finite(result.statistic), _finite(result.pvalue)
        if tau is None:
            reason = "Kendall's τ is undefined: every system scores the same under one of the qrels"
            p_value = None
    return SystemAgreement(metric, len(shared), tuple(scores), tau, p_value, reason)


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def format_agreement(pair: PairAgreement, system: SystemAgreement | None = None) -> list[str]:
    """Plain-text lines, for the CLI and the app."""
    lines = [f"judge vs human: {pair.n:,} pairs graded by both" + (f" ({pair.off_scale:,} off the scale, left out)" if pair.off_scale else "")]
    width = max(5, *(len(str(g)) + 1 for g in pair.grades))
    lines.append("confusion (rows: human grade, columns: judge grade)")
    lines.append("human\\judge" + "".join(f"{g:>{width + 2}}" for g in pair.grades))
    for grade, row in zip(pair.grades, pair.confusion):
        lines.append(f"{grade:>11}" + "".join(f"{c:>{width + 2}}" for c in row))
    lines.append(f"Cohen's κ: linear {_num(pair.kappa_linear)}, quadratic {_num(pair.kappa_quadratic)}")
    if pair.exact is not None:
        same = sum(pair.confusion[i][i] for i in range(len(pair.grades)))
        lines.append(f"exact agreement: {pair.exact:.1%} ({same:,} of {pair.n:,})")
    else:
        lines.append("exact agreement: –")
    lines.append(f"{'grade':>5}  {'precision':>9}  {'recall':>6}  {'support':>7}")
    for grade in pair.grades:
        lines.append(f"{grade:>5}  {pair.precision[grade]:>9.3f}  {pair.recall[grade]:>6.3f}  {pair.support[grade]:>7,}")
    if system is not None:
        lines.append(f"{system.metric} over {system.queries:,} queries judged in both")
        name_width = max([6] + [len(s.name) for s in system.systems])
        lines.append(f"{'system':<{name_width}}  {'human':>7}  {'judge':>7}")
        for s in system.systems:
            lines.append(f"{s.name:<{name_width}}  {s.human:>7.3f}  {s.judge:>7.3f}")
        if system.tau is None:
            lines.append(f"Kendall's τ: – ({system.reason})")
        else:
            lines.append(f"Kendall's τ: {system.tau:.3f} (p {_num(system.p_value)})")
    return lines
