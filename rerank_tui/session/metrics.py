"""IR metrics from graded judgments, computed by ir-measures (trec_eval's numbers).

Unlabeled passages count as non-relevant; the ideal DCG of a query is formed from all of its
labeled passages (trec_eval's convention), whether or not they were retrieved.

A metric is any name ir-measures parses (`nDCG@10`, `P(rel=2)@5`, `AP(rel=2)`, `Judged@10`,
`nDCG(dcg='exp-log2')@10`, `NumRel`…) that one of its installed providers computes
(pytrec_eval, judged, gdeval, compat, accuracy, msmarco here; ranx, cwl_eval, trectools or
pyndeval when installed). `parse_metrics` refuses any other name with one line saying why (not
a measure, a parameter the measure lacks or gets wrong, no installed provider computes it, and
which would) — after one try on a small made-up judged set, so a provider that fails on every
input is refused before a run, not after it. Values are keyed by the names as given (never
ir-measures' own spelling, which differs: `MRR@10` is `RR@10`), and a metric's mean over
queries is ir-measures' own aggregate (a sum for the counts `NumQ`, `NumRel`, `NumRet`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache


DEFAULT_METRICS = ("nDCG@5", "nDCG@10", "AP@10", "RR@10", "P@5", "R@100")
MAX_METRIC_CHARS = 200

Run = dict[str, list[tuple[str, float]]]  # query id → [(doc id, score)], best first
Qrels = dict[str, dict[str, int]]  # query id → doc id → grade


class MetricError(ValueError):
    """A metric that cannot be computed; the message is one line naming it."""


def _examples() -> str:
    return ", ".join(DEFAULT_METRICS)


@lru_cache(maxsize=512)
def measure_of(name: str):
    """The ir-measures measure `name` parses to, with its parameters checked (MetricError)."""
    import ir_measures  # imported when a metric is computed: not before the first frame

    if not isinstance(name, str) or not name.strip():
        raise MetricError(f"a metric name is empty (examples: {_examples()})")
    if len(name) > MAX_METRIC_CHARS:
        raise MetricError(f"metric {name[:40]!r}… is longer than {MAX_METRIC_CHARS} characters")
    try:
        measure = ir_measures.parse_measure(name.strip())
    except Exception:  # noqa: BLE001 - whatever the parser makes of the text, the answer is the same
        raise MetricError(f"unknown metric {name!r} (ir-measures names, e.g. {_examples()}, P(rel=2)@5, Judged@10)") from None
    _check_params(name, measure)
    return measure


def _check_params(name: str, measure) -> None:
    """The checks ir-measures makes with `assert` (so not under `python -O`), as messages."""
    supported = measure.SUPPORTED_PARAMS
    unknown = [p for p in measure.params if p not in supported]
    if unknown:
        takes = ", ".join(supported) or "no parameters"
        hint = ""
        if unknown[0] == "rel" and "gains" in supported:  # nDCG: every grade is its own gain
            hint = f"; each grade is its gain: to give grade 1 none, map it, e.g. {measure.NAME}(gains={{1:0}})@10"
        raise MetricError(f"metric {name!r}: {measure.NAME} has no parameter {unknown[0]!r} (it takes {takes}){hint}")
    for param, info in supported.items():
        if param in measure.params:
            value = measure.params[param]
            if not info.validate(value) or (info.dtype in (int, float) and isinstance(value, bool)):
                kind = {int: " (a whole number)", float: " (a number with a point, e.g. 0.8)", bool: " (True or False)"}.get(info.dtype, "")
                choices = getattr(info, "choices", None)
                if isinstance(choices, (list, tuple, set, frozenset)):
                    kind = f" (one of {', '.join(map(repr, choices))})"
                raise MetricError(f"metric {name!r}: {param}={value!r} is not a valid value{kind}")
        elif info.required:
            example = f" (e.g. {measure.NAME}@10)" if param == measure.AT_PARAM else ""
            raise MetricError(f"metric {name!r}: {measure.NAME} needs {param}{example}")


@lru_cache(maxsize=1)
def _pipeline():
    """ir-measures' default providers, then any other it knows (trectools…), first that can."""
    import ir_measures  # imported when a metric is computed: not before the first frame

    from ir_measures.providers import FallbackProvider, registry

    default = list(ir_measures.DefaultPipeline.providers)
    return FallbackProvider(default + [p for p in registry.values() if p not in default])


def _providers_for(measure) -> tuple[list, list]:
    """(installed providers that compute `measure`, providers that would once installed)."""
    available: list = []
    missing: list = []
    for provider in _pipeline().providers:
        try:
            if not provider.supports(measure):
                continue
        except Exception:  # noqa: BLE001 - a provider that cannot even say: not one that computes it
            continue
        (available if provider.is_available() else missing).append(provider)
    return available, missing


def parse_metrics(names: Iterable[str]) -> list:
    """The measures of `names`, each one an installed provider computes (tried once on a small
    made-up judged set); MetricError naming the first that is not."""
    names = list(dict.fromkeys(names))
    measures = [measure_of(name) for name in names]
    for name, measure in zip(names, measures):
        available, missing = _providers_for(measure)
        if not available:
            would = ", ".join(f"{p.NAME} ({p.install_instructions()})" if p.install_instructions() else p.NAME for p in missing)
            hint = f"; {would} would" if would else ""
            raise MetricError(f"metric {name!r}: no installed ir-measures provider computes it{hint}")
    for name in names:
        _try(name)
    return measures


@lru_cache(maxsize=512)
def _try(name: str) -> None:
    """Compute `name` once on a small judged set with every kind of grade: a provider that
    fails on it (a tool it runs is missing…) is refused now, not after a long run."""
    qrels = {f"t{q}": {f"d{d}": (d + q) % 4 for d in range(8)} for q in range(3)}
    run = {q: [(f"d{d}", 10.0 - r) for r, d in enumerate((3, 0, 9, 5, 1, 7, 2, 11))] for q in qrels}
    per_query(qrels, run, [name])


def per_query(qrels: Qrels, run: Run, metrics: Iterable[str]) -> dict[str, dict[str, float]]:
    """metric name → query id → value, for every judged query (the measure's default, 0, where
    the run has nothing). MetricError when ir-measures fails to compute one.

    ir-measures sees the queries as 1, 2, 3…: some providers (gdeval: ERR, `nDCG(dcg=…)`)
    take only numeric query ids."""
    import ir_measures  # imported when a metric is computed: not before the first frame

    names = list(dict.fromkeys(metrics))
    by_name = {name: measure_of(name) for name in names}
    values = {name: {q: float(measure.DEFAULT) for q in qrels} for name, measure in by_name.items()}
    number = {q: str(i) for i, q in enumerate(qrels, start=1)}
    query_of = {n: q for q, n in number.items()}
    qrel_rows = [ir_measures.Qrel(number[q], d, g) for q, docs in qrels.items() for d, g in docs.items()]
    run_rows = [ir_measures.ScoredDoc(number[q], d, s) for q, docs in run.items() if q in number for d, s in docs]
    if not (qrel_rows and run_rows and names):
        return values
    names_of: dict = {}
    for name, measure in by_name.items():
        names_of.setdefault(measure, []).append(name)
    try:
        for batch in _batches(list(names_of)):
            for metric in _pipeline().iter_calc(batch, qrel_rows, run_rows):
                query = query_of.get(str(metric.query_id))
                if query is None:
                    continue
                for name in names_of.get(metric.measure, ()):
                    values[name][query] = float(metric.value)
    except Exception as exc:  # noqa: BLE001 - a provider's failure, whatever it is, in one line
        shown = ", ".join(map(repr, names))
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise MetricError(f"ir-measures could not compute {shown}: {detail}") from None
    return values


def _batches(measures: list) -> list[list]:
    """Measures that take only a cutoff are computed together; each other one (rel=, gains=,
    dcg=, judged_only=…) alone. ir-measures' pytrec_eval provider groups measures by their
    relevance settings in a set, and in some set orders (they follow Python's string hash
    seed) labels one group's values with another's measure: `nDCG@10` came back with the
    values of `nDCG(gains={1:0})@10` in 2 of 31 seeds tried."""
    plain = [m for m in measures if set(m.params) <= {"cutoff"}]
    return ([plain] if plain else []) + [[m] for m in measures if m not in plain]


def aggregate(metric: str, values: dict[str, float]) -> float:
    """The metric over the queries as ir-measures aggregates it: the mean (NaN for no
    queries), or the sum for counts (NumQ, NumRel, NumRet)."""
    aggregator = measure_of(metric).aggregator()
    for value in values.values():
        aggregator.add(value)
    return float(aggregator.result())


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
