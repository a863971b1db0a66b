"""Two-stage reranking: a small model re-scores the top N, a large model the top M of those.

Final order: the large model's order for its M documents, then the rest of the N by the small
model's score, then any documents past N in their input (recall) order. `score()` reports,
for each document, the p(yes) of the last model that saw it, and None for documents past N
(not scored); `rank()` gives the cascade order, which is not a plain sort of those scores.

The cascade holds no lock of its own (`thread_safe`): each stage serializes its own model, so
a call waits (and calls its `on_wait`, once) only while a stage it needs is busy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .base import BaseReranker, Call, Cancel, OnWait, RankResult, Reranker, RerankStats, once


@dataclass(frozen=True, slots=True)
class CascadeOutcome:
    order: list[RankResult]  # the cascade order, best first
    small: list[float | None]  # small-model p(yes) per input document; None past N
    large: list[float | None]  # large-model p(yes) per input document; None outside the top M


class CascadeReranker(BaseReranker):
    thread_safe = True  # the stages lock themselves

    def __init__(self, small: Reranker, large: Reranker, *, small_top_n: int = 100, large_top_m: int = 20):
        super().__init__()
        if small_top_n < 1 or large_top_m < 1:
            raise ValueError("small_top_n and large_top_m must be at least 1")
        self.small, self.large = small, large
        self.small_top_n, self.large_top_m = small_top_n, min(large_top_m, small_top_n)
        self.identity = f"cascade[{small.identity} top {small_top_n} -> {large.identity} top {self.large_top_m}]"
        self.max_length = large.max_length
        self.notes = tuple(getattr(small, "notes", ())) + tuple(getattr(large, "notes", ()))

    @property
    def device(self) -> str:  # type: ignore[override]  # derived from the stages; never assigned on a wrapper
        return f"{self.small.device}→{self.large.device}"

    def run(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
        on_wait: OnWait = None,
        stats: RerankStats | None = None,
    ) -> CascadeOutcome:
        """Both stages, with every score kept (for views that show the two models side by side)."""
        documents = list(documents)
        stats = stats if stats is not None else RerankStats(pairs=len(documents))
        on_wait = once(on_wait)  # both stages may wait: one notice
        n = min(self.small_top_n, len(documents))
        first = self.small.rank(query, documents[:n], instruction, cancel=cancel, on_wait=on_wait)
        by_small = [r.index for r in first.results]
        top = by_small[: self.large_top_m]
        second = self.large.rank(query, [documents[i] for i in top], instruction, cancel=cancel, on_wait=on_wait)
        small = first.scores(len(documents))
        large: list[float | None] = [None] * len(documents)
        for r in second.results:
            large[top[r.index]] = r.score
        order = [RankResult(top[r.index], r.score) for r in second.results]
        order += [RankResult(i, small[i]) for i in by_small[self.large_top_m :]]
        order += [RankResult(i, None) for i in range(n, len(documents))]
        one, two = first.stats, second.stats
        stats.cache_hits = one.cache_hits + two.cache_hits
        stats.batches = one.batches + two.batches
        stats.tokens = None if one.tokens is None or two.tokens is None else one.tokens + two.tokens
        stats.waited = one.waited + two.waited
        return CascadeOutcome(order, small, large)

    def _outcome(self, query, documents, instruction, call: Call) -> CascadeOutcome:
        return self.run(query, documents, instruction, cancel=call.cancel, on_wait=call.on_wait, stats=call.stats)

    def _rank(self, query, documents, instruction, call: Call):
        return self._outcome(query, documents, instruction, call).order

    def _score(self, query, documents, instruction, call: Call):
        outcome = self._outcome(query, documents, instruction, call)
        return [sm if lg is None else lg for sm, lg in zip(outcome.small, outcome.large)]

    def close(self) -> None:
        self.small.close()
        self.large.close()


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
