"""Two-stage reranking: a small model re-scores the top N, a large model the top M of those.

Final order: the large model's order for its M documents, then the rest of the N by the small
model's score, then any documents past N in their input (recall) order. `score()` reports,
for each document, the p(yes) of the last model that saw it, and NaN for documents past N
(not scored); `rank()` gives the cascade order, which is not a plain sort of those scores.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .base import BaseReranker, Cancel, Reranker, RankResult, RerankStats, cancel_check, rank_scores

NAN = math.nan


@dataclass(frozen=True, slots=True)
class CascadeOutcome:
    order: list[RankResult]  # the cascade order, best first
    small: list[float]  # small-model p(yes) per input document; NaN past N
    large: list[float]  # large-model p(yes) per input document; NaN outside the top M


class CascadeReranker(BaseReranker):
    def __init__(self, small: Reranker, large: Reranker, *, small_top_n: int = 100, large_top_m: int = 20):
        super().__init__()
        if small_top_n < 1 or large_top_m < 1:
            raise ValueError("small_top_n and large_top_m must be at least 1")
        self.small, self.large = small, large
        self.small_top_n, self.large_top_m = small_top_n, min(large_top_m, small_top_n)
        self.identity = f"cascade[{small.identity} top {small_top_n} -> {large.identity} top {self.large_top_m}]"
        self.max_length = large.max_length
        self.notes = tuple(getattr(small, "notes", ())) + tuple(getattr(large, "notes", ()))

    def run(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
        stats: RerankStats | None = None,
    ) -> CascadeOutcome:
        """Both stages, with every score kept (for views that show the two models side by side)."""
        documents = list(documents)
        stats = stats if stats is not None else RerankStats(pairs=len(documents))
        check = cancel_check(cancel)
        n = min(self.small_top_n, len(documents))
        small = [NAN] * len(documents)
        large = [NAN] * len(documents)
        small_scores, s_stats = self.small.score_with_stats(query, documents[:n], instruction, cancel=cancel)
        small[:n] = small_scores
        by_small = [r.index for r in rank_scores(small_scores)]
        top = by_small[: self.large_top_m]
        check()
        large_scores, l_stats = self.large.score_with_stats(
            query, [documents[i] for i in top], instruction, cancel=cancel
        )
        for i, s in zip(top, large_scores):
            large[i] = s
        order = [RankResult(top[r.index], r.score) for r in rank_scores(large_scores)]
        order += [RankResult(i, small[i]) for i in by_small[self.large_top_m :]]
        order += [RankResult(i, NAN) for i in range(n, len(documents))]
        stats.cache_hits = s_stats.cache_hits + l_stats.cache_hits
        stats.batches = s_stats.batches + l_stats.batches
        stats.tokens = None if s_stats.tokens is None or l_stats.tokens is None else s_stats.tokens + l_stats.tokens
        return CascadeOutcome(order, small, large)

    def _score(self, query, documents, instruction, check, stats):
        outcome = self.run(query, documents, instruction, cancel=lambda: _raises(check), stats=stats)
        return [lg if lg == lg else sm for sm, lg in zip(outcome.small, outcome.large)]

    def rank_with_stats(self, query, documents, instruction=None, top_k=None, *, cancel: Cancel = None):
        documents = list(documents)
        stats = RerankStats(pairs=len(documents))
        start = time.perf_counter()
        order = self.run(query, documents, instruction, cancel=cancel, stats=stats).order
        stats.seconds = time.perf_counter() - start
        self.last_stats = stats
        return (order if top_k is None else order[: max(top_k, 0)]), stats

    def close(self) -> None:
        self.small.close()
        self.large.close()


def _raises(check: Callable[[], None]) -> bool:
    check()
    return False


CASCADE_KEYS = {"small", "large", "small_top_n", "large_top_m"}


def cascade_from_config(config: Mapping, build: Callable[..., Reranker]) -> CascadeReranker:
    """Build from a dict (a YAML `cascade:` section):

        small: {model: Qwen/Qwen3-Reranker-0.6B, backend: auto, max_length: 1024}
        large: {model: Qwen/Qwen3-Reranker-8B, backend: http, url: http://127.0.0.1:8000}
        small_top_n: 100
        large_top_m: 20

    Each stage's mapping is passed to `build` (normally `build_reranker`) as keywords.
    """
    unknown = set(config) - CASCADE_KEYS
    missing = {"small", "large"} - set(config)
    if unknown or missing:
        raise ValueError(
            f"cascade config: unknown keys {sorted(unknown)}, missing {sorted(missing)}; "
            f"expected {sorted(CASCADE_KEYS)}"
        )
    for stage in ("small", "large"):
        if not isinstance(config[stage], Mapping):
            raise ValueError(f"cascade config: {stage!r} must be a mapping of build options")
    small = build(**dict(config["small"]))
    try:
        large = build(**dict(config["large"]))
    except BaseException:
        small.close()
        raise
    return CascadeReranker(
        small,
        large,
        small_top_n=int(config.get("small_top_n", 100)),
        large_top_m=int(config.get("large_top_m", 20)),
    )
