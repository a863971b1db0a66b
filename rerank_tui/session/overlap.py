"""Comparing two rankings without labels (Jaccard, rank-biased overlap), and two systems'
per-query metric values: which queries got better, which got worse, by how much.

The label-free pair is what OpenSearch's Search Relevance Workbench shows for two result lists
with no judgments: Jaccard says how many of the top k the lists share, RBO also how high up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple


class Overlap(NamedTuple):
    jaccard: float
    rbo: float


@dataclass(frozen=True, slots=True)
class QueryDelta:
    qid: str
    a: float
    b: float

    @property
    def delta(self) -> float:
        """b − a: positive when b is better on this query."""
        return self.b - self.a


class DeltaCounts(NamedTuple):
    better: int  # b above a by more than the tolerance
    worse: int
    same: int


def _ranking(docs: Iterable[str], k: int | None) -> list[str]:
    """The first k distinct ids, in order (a repeated id keeps its first, higher, rank)."""
    out = list(dict.fromkeys(docs))
    return out if k is None else out[:k]


def jaccard(a: Iterable[str], b: Iterable[str], k: int = 10) -> float:
    """|A ∩ B| / |A ∪ B| over the top k of each; 1.0 for two empty lists."""
    top_a, top_b = set(_ranking(a, k)), set(_ranking(b, k))
    union = top_a | top_b
    return len(top_a & top_b) / len(union) if union else 1.0


def rbo(a: Iterable[str], b: Iterable[str], p: float = 0.9, k: int | None = None) -> float:
    """Rank-biased overlap, the extrapolated point estimate RBO_EXT of Webber, Moffat & Zobel
    (2010), over the top k of each list (all of it when k is None).

    For lists of equal depth k this is eq. (30):
        RBO_EXT = X_k/k · p^k + (1−p)/p · Σ_{d=1..k} X_d/d · p^d,   X_d = |A[:d] ∩ B[:d]|
    For lists of different depth s < l it is eq. (32), which assumes the shorter list would go
    on agreeing as it did at its end (so a prefix of the other ranking scores 1.0).
    1.0 for identical lists, 0.0 for disjoint ones; two empty lists 1.0, one empty 0.0.
    `p` (0 < p < 1) sets how top-heavy it is: the top d ranks carry about 1 − p^d of the
    weight (p = 0.9: the top 10 carry ~65%).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1 (exclusive), not {p}")
    a, b = _ranking(a, k), _ranking(b, k)
    if not a or not b:
        return 1.0 if not a and not b else 0.0
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    s, l = len(short), len(long)  # noqa: E741 - the names of Webber et al.'s RBO
    seen_short: set[str] = set()
    seen_long: set[str] = set()
    x = x_s = 0  # X_d, and X_s once d reaches s
    total = 0.0
    for d in range(1, l + 1):
        if d <= s:
            item = short[d - 1]
            x += item in seen_long
            seen_short.add(item)
        item = long[d - 1]
        x += item in seen_short
        seen_long.add(item)
        weight = p**d
        total += x / d * weight
        if d == s:
            x_s = x
        elif d > s:
            total += x_s * (d - s) / (s * d) * weight
    value = (1 - p) / p * total + ((x - x_s) / l + x_s / s) * p**l
    return min(1.0, max(0.0, value))


def per_query_overlap(
    runs_a: Mapping[str, Iterable[str]], runs_b: Mapping[str, Iterable[str]], k: int = 10, p: float = 0.9
) -> dict[str, Overlap]:
    """qid → (Jaccard@k, RBO over the top k), for the queries both sides have (in a's order)."""
    out = {}
    for qid, docs in runs_a.items():
        if qid in runs_b:
            x, y = list(docs), list(runs_b[qid])
            out[qid] = Overlap(jaccard(x, y, k), rbo(x, y, p, k))
    return out


def mean_overlap(values: Mapping[str, Overlap]) -> Overlap:
    """The means of both measures over the queries (NaN when there are none)."""
    if not values:
        return Overlap(math.nan, math.nan)
    n = len(values)
    return Overlap(sum(v.jaccard for v in values.values()) / n, sum(v.rbo for v in values.values()) / n)


def doc_ids(run: Mapping[str, Iterable[tuple[str, float]]]) -> dict[str, list[str]]:
    """A scored run (qid → [(doc id, score)], best first) as qid → [doc id]."""
    return {qid: [doc for doc, _ in docs] for qid, docs in run.items()}


def compare_per_query(values_a: Mapping[str, float], values_b: Mapping[str, float]) -> list[QueryDelta]:
    """(qid, a, b, delta = b − a) for the queries both have, worst first (most negative delta;
    ties by qid; NaN last). `delta_counts` tallies them."""
    deltas = [QueryDelta(qid, float(a), float(values_b[qid])) for qid, a in values_a.items() if qid in values_b]
    return sorted(deltas, key=lambda d: (math.isnan(d.delta), d.delta, d.qid))


def delta_counts(deltas: Iterable[QueryDelta], tolerance: float = 1e-9) -> DeltaCounts:
    """How many queries got better, worse, or stayed within `tolerance` (NaN counts in none)."""
    better = worse = same = 0
    for d in deltas:
        if d.delta > tolerance:
            better += 1
        elif d.delta < -tolerance:
            worse += 1
        elif abs(d.delta) <= tolerance:
            same += 1
    return DeltaCounts(better, worse, same)
