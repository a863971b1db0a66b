"""Fuse ranked lists from several first stages (BM25, dense) into one.

A run is a list of (id, score), best first; ids are anything hashable (passage rows, ids).
An id listed twice in one run counts at its first (best) place.

- `rrf(runs, k=60)`: reciprocal rank fusion, `score(d) = Σ_runs 1 / (k + rank_run(d))` with
  1-based ranks; a run that does not list d adds nothing. Scores are ignored, only ranks count.
- `linear(runs, alpha)`: a weighted sum of min-max normalised scores. Each run's scores are
  mapped to [0, 1] by `(s - min) / (max - min)` over that run's list (a run whose scores are
  all equal maps them all to 1); a run that does not list d gives it 0. With two runs
  (lexical first, dense second) the weights are `1 - alpha` and `alpha`: alpha is the weight
  on the dense side, 0 gives BM25 alone, 1 dense alone. More runs take `weights=` instead.

Both return every id of any run, best first, as (id, fused score); each score is summed
exactly (`math.fsum`), so it does not depend on the order of the runs. Ties are deterministic:
the better best rank in any run first, then the earlier run of that best rank (so at equal
RRF score BM25's rank-1 precedes dense's rank-1 when BM25 is run 0). `linear` first puts the
id listed by runs of more total weight: a run's last hit normalises to 0, like an id it does
not list, and with alpha = 0 BM25's last hit must still come before dense-only ids.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)  # a document's id: whatever the runs name documents by
Run = Sequence[tuple[K, float]]
FUSION_METHODS = ("rrf", "linear")
DEFAULT_RRF_K = 60


def rrf(runs: Sequence[Run[K]], k: float = DEFAULT_RRF_K, *, limit: int | None = None) -> list[tuple[K, float]]:
    """Reciprocal rank fusion of `runs` (k = 60 as in Cormack et al. 2009)."""
    if not (isinstance(k, (int, float)) and math.isfinite(k) and k >= 0):
        raise ValueError(f"RRF k must be a number >= 0, not {k!r}")
    fused: dict[K, list[float]] = {}
    best: dict[K, tuple[int, int]] = {}
    for r, run in enumerate(runs):
        for rank, doc in enumerate(_ids(run), start=1):
            fused.setdefault(doc, []).append(1.0 / (k + rank))
            if doc not in best or (rank, r) < best[doc]:
                best[doc] = (rank, r)
    return _ordered(fused, best, limit)


def linear(
    runs: Sequence[Run[K]],
    alpha: float | None = 0.5,
    *,
    weights: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[tuple[K, float]]:
    """Weighted sum of min-max normalised scores: `(1 - alpha)·run0 + alpha·run1`."""
    if weights is None:
        if len(runs) != 2:
            raise ValueError(f"alpha weighs two runs (lexical, dense); got {len(runs)}: pass weights= instead")
        if alpha is None or not (isinstance(alpha, (int, float)) and 0.0 <= alpha <= 1.0):
            raise ValueError(f"alpha must be in [0, 1], not {alpha!r}")
        weights = (1.0 - alpha, float(alpha))
    if len(weights) != len(runs):
        raise ValueError(f"{len(weights)} weights for {len(runs)} runs")
    fused: dict[K, list[float]] = {}
    support: dict[K, list[float]] = {}
    best: dict[K, tuple[int, int]] = {}
    for r, (run, weight) in enumerate(zip(runs, weights)):
        firsts = _first_places(run)
        normalised = minmax([score for _, score in firsts])
        for rank, ((doc, _), norm) in enumerate(zip(firsts, normalised), start=1):
            fused.setdefault(doc, []).append(weight * norm)
            support.setdefault(doc, []).append(weight)
            if doc not in best or (rank, r) < best[doc]:
                best[doc] = (rank, r)
    return _ordered(fused, best, limit, {d: math.fsum(w) for d, w in support.items()})


def minmax(scores: Sequence[float]) -> list[float]:
    """Scores mapped to [0, 1]: `(s - min) / (max - min)`; all equal (or one score) → all 1.
    Non-finite scores are an error (a normalisation over them means nothing)."""
    values = [float(s) for s in scores]
    if not all(math.isfinite(v) for v in values):
        raise ValueError("scores to normalise must be finite")
    if not values:
        return []
    low, high = min(values), max(values)
    if high == low:
        return [1.0] * len(values)
    return [(v - low) / (high - low) for v in values]


def _first_places(run: Run[K]) -> list[tuple[K, float]]:
    seen: set = set()
    out = []
    for doc, score in run:
        if doc not in seen:
            seen.add(doc)
            out.append((doc, score))
    return out


def _ids(run: Run[K]) -> list[K]:
    return [doc for doc, _ in _first_places(run)]


def _ordered(parts: dict[K, list[float]], best: dict, limit: int | None, support: dict | None = None) -> list[tuple[K, float]]:
    # fsum is exactly rounded, so a fused score does not depend on the order of the runs
    fused = {d: math.fsum(p) for d, p in parts.items()}
    if support is None:
        order = sorted(fused, key=lambda d: (-fused[d], best[d]))
    else:
        order = sorted(fused, key=lambda d: (-fused[d], -support[d], best[d]))
    if limit is not None:
        order = order[: max(limit, 0)]
    return [(d, fused[d]) for d in order]
