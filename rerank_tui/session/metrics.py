"""IR metrics from graded judgments, computed by ir-measures (trec_eval's numbers).

Unlabeled passages count as non-relevant; the ideal DCG of a query is formed from all of its
labeled passages (trec_eval's convention), whether or not they were retrieved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import ir_measures

DEFAULT_METRICS = ("nDCG@5", "nDCG@10", "AP@10", "RR@10", "P@5", "R@100")

Run = dict[str, list[tuple[str, float]]]  # query id → [(doc id, score)], best first
Qrels = dict[str, dict[str, int]]  # query id → doc id → grade


def parse_metrics(names: Iterable[str]):
    measures = []
    for name in names:
        try:
            measures.append(ir_measures.parse_measure(name))
        except (ValueError, NameError, SyntaxError, TypeError) as exc:
            raise ValueError(f"unknown metric {name!r} (examples: {', '.join(DEFAULT_METRICS)})") from exc
    return measures


def per_query(qrels: Qrels, run: Run, metrics: Iterable[str]) -> dict[str, dict[str, float]]:
    """metric → query id → value, for every judged query (0 where the run has nothing)."""
    measures = parse_metrics(metrics)
    qrel_rows = [ir_measures.Qrel(q, d, g) for q, docs in qrels.items() for d, g in docs.items()]
    run_rows = [ir_measures.ScoredDoc(q, d, s) for q, docs in run.items() for d, s in docs if q in qrels]
    values = {str(m): {q: 0.0 for q in qrels} for m in measures}
    if qrel_rows and run_rows:
        for metric in ir_measures.iter_calc(measures, qrel_rows, run_rows):
            values[str(metric.measure)][metric.query_id] = float(metric.value)
    return values


def mean(values: dict[str, float]) -> float:
    return sum(values.values()) / len(values) if values else math.nan


def paired_p_value(a: dict[str, float], b: dict[str, float]) -> float:
    """Two-sided paired t-test over the queries both have; NaN when undefined (no variance)."""
    from scipy.stats import ttest_rel

    shared = sorted(set(a) & set(b))
    if len(shared) < 2:
        return math.nan
    x, y = [a[q] for q in shared], [b[q] for q in shared]
    if all(u == v for u, v in zip(x, y)):
        return math.nan
    return float(ttest_rel(x, y).pvalue)
