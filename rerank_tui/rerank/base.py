"""The interface every reranker implements, and the plumbing they share.

A `Reranker` scores (query, document) pairs with p(yes) in [0, 1], in input order, and ranks
them best first (the conventions of sentence-transformers' `CrossEncoder.rank` and the
`rerankers` library). Each call records a `RerankStats` in `last_stats` (and
`score_with_stats` returns it, for callers sharing a reranker across threads), and can be
cancelled between batches through `cancel` (a `threading.Event` or a callable returning
True), which raises `RerankCancelled`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .errors import RerankCancelled

Cancel = Callable[[], bool] | threading.Event | None


@dataclass(frozen=True, slots=True)
class RankResult:
    """One ranked document: its position in the input list and its score."""

    index: int
    score: float


@dataclass(slots=True)
class RerankStats:
    """What one call did. `tokens` is None when the backend cannot count them."""

    pairs: int = 0
    tokens: int | None = None
    seconds: float = 0.0
    cache_hits: int = 0
    batches: int = 0

    @property
    def pairs_per_second(self) -> float:
        return self.pairs / self.seconds if self.seconds > 0 else float("inf")


@runtime_checkable
class Reranker(Protocol):
    """What the session layer and the CLI use."""

    identity: str  # what scores depend on (backend, model + revision, dtype): the cache key
    max_length: int  # prompt length limit in tokens; longer documents are truncated
    last_stats: RerankStats
    notes: tuple[str, ...]  # things the user should see once (e.g. "running on CPU")

    def score(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
    ) -> list[float]: ...

    def score_with_stats(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
    ) -> tuple[list[float], RerankStats]: ...

    def rank(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        top_k: int | None = None,
        *,
        cancel: Cancel = None,
    ) -> list[RankResult]: ...

    def rank_with_stats(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        top_k: int | None = None,
        *,
        cancel: Cancel = None,
    ) -> tuple[list[RankResult], RerankStats]: ...

    def close(self) -> None: ...


def cancel_check(cancel: Cancel) -> Callable[[], None]:
    """A function that raises `RerankCancelled` once `cancel` is set."""
    if cancel is None:
        return lambda: None
    is_set = cancel.is_set if isinstance(cancel, threading.Event) else cancel

    def check() -> None:
        if is_set():
            raise RerankCancelled("rerank cancelled")

    return check


def rank_scores(scores: Sequence[float], top_k: int | None = None) -> list[RankResult]:
    """Best first; ties keep input order (a stable sort). NaN (not scored) sorts last."""
    order = sorted(
        range(len(scores)),
        key=lambda i: (scores[i] != scores[i], -scores[i] if scores[i] == scores[i] else 0.0),
    )
    if top_k is not None:
        order = order[: max(top_k, 0)]
    return [RankResult(i, float(scores[i])) for i in order]


class BaseReranker:
    """Implements the public methods on top of one hook, `_score`.

    Subclasses set `identity` and `max_length` and implement `_score(query, documents,
    instruction, check, stats)`, which fills `stats.tokens`/`stats.batches`/`stats.cache_hits`
    and calls `check()` between batches; timing and `pairs` are filled here.
    """

    identity: str = ""
    max_length: int = 0
    notes: tuple[str, ...] = ()
    # True when calls from several threads may overlap (a server); an in-process model is one
    # call at a time, so callers serialize on it.
    thread_safe: bool = False

    def __init__(self) -> None:
        self.last_stats = RerankStats()

    def _score(
        self,
        query: str,
        documents: list[str],
        instruction: str | None,
        check: Callable[[], None],
        stats: RerankStats,
    ) -> list[float]:
        raise NotImplementedError

    def score_with_stats(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
    ) -> tuple[list[float], RerankStats]:
        documents = list(documents)
        stats = RerankStats(pairs=len(documents))
        start = time.perf_counter()
        check = cancel_check(cancel)
        check()
        scores = self._score(query, documents, instruction, check, stats) if documents else []
        stats.seconds = time.perf_counter() - start
        self.last_stats = stats
        return scores, stats

    def score(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
    ) -> list[float]:
        return self.score_with_stats(query, documents, instruction, cancel=cancel)[0]

    def rank(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        top_k: int | None = None,
        *,
        cancel: Cancel = None,
    ) -> list[RankResult]:
        return self.rank_with_stats(query, documents, instruction, top_k, cancel=cancel)[0]

    def rank_with_stats(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        top_k: int | None = None,
        *,
        cancel: Cancel = None,
    ) -> tuple[list[RankResult], RerankStats]:
        """The order to show, best first. Use this, not a sort of `score()`, wherever order
        matters: a cascade's order is not a sort of its scores."""
        scores, stats = self.score_with_stats(query, documents, instruction, cancel=cancel)
        return rank_scores(scores, top_k), stats

    def close(self) -> None:
        """Free the model (GPU memory, engine processes). Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identity!r}, max_length={self.max_length})"
