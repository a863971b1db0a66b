"""The interface every reranker implements, and the plumbing they share.

One call, `rank(query, documents)`, returns a `Ranking`: the documents best first
(`RankResult(index, score)`, the shape of sentence-transformers' `CrossEncoder.rank` and the
`rerankers` library) and what the call cost (`RerankStats`). `score()` gives the raw p(yes)
in input order, for comparing backends. A score of None means "not scored" (a cascade's
tail), never NaN.

This layer owns three things callers used to do themselves:

- locking: an in-process model serves one call at a time; `BaseReranker` holds a
  per-instance lock around each call unless `thread_safe`. Any reranker may be called from
  several threads. A call that has to wait for another one first calls its `on_wait()`
  (once, from the calling thread: "waiting for the previous request…"), then waits.
- cancellation: `cancel` is a `Callable[[], bool]`, checked by `raise_if_cancelled` once the
  model is ours and between batches; it raises `RerankCancelled`. A call waiting for the
  model also notices it.
- device: `device` says where the scores are computed ("cpu", "cuda:0", "vllm", "http").
- many queries: `rank_many(requests)` ranks a list of (query, documents, instruction) and
  yields the rankings in order; a reranker that takes overlapping calls (the HTTP backend,
  `parallel_calls` = its --concurrency) runs that many `rank()` calls at once, others one
  by one. The module-level `rank_many(reranker, requests)` does the same for any reranker.
- what the scores are: `score_label` is "p(yes)" for Qwen3-Reranker, "score" for a plain
  reranker's own scores (a non-Qwen3 rerank server); `uses_instruction` is False when the
  instruction does not reach the model (then it is not part of the score cache key).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

from .errors import RerankCancelled

Cancel = Callable[[], bool] | None
OnWait = Callable[[], None] | None
_POLL_S = 0.05  # how often a call waiting for the model looks at its cancel


@dataclass(frozen=True, slots=True)
class RankResult:
    """One ranked document: its position in the input list and its p(yes) (None: not scored)."""

    index: int
    score: float | None


@dataclass(slots=True)
class RerankStats:
    """What one call did. `tokens` is None when the backend cannot count them. `seconds` is
    the whole call, `waited` the part of it spent waiting for another call to free the model."""

    pairs: int = 0
    tokens: int | None = None
    seconds: float = 0.0
    cache_hits: int = 0
    batches: int = 0
    waited: float = 0.0

    @property
    def pairs_per_second(self) -> float:
        working = self.seconds - self.waited
        return self.pairs / working if working > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class Ranking:
    """The answer of `rank()`: results best first, and the call's stats."""

    results: list[RankResult]
    stats: RerankStats

    def scores(self, n: int) -> list[float | None]:
        """Scores in input order for `n` documents (None where a document is not in results)."""
        out: list[float | None] = [None] * n
        for r in self.results:
            out[r.index] = r.score
        return out


class RankRequest(NamedTuple):
    """One query's call for `rank_many`: what `rank(query, documents, instruction)` takes."""

    query: str
    documents: Sequence[str]
    instruction: str | None = None


@runtime_checkable
class Reranker(Protocol):
    """What the session layer and the CLI use."""

    identity: str  # what scores depend on (backend, model + revision, dtype): the cache key
    max_length: int  # prompt length limit in tokens; longer documents are truncated
    notes: tuple[str, ...]  # things the user should see once (e.g. "running on CPU")

    @property
    def device(self) -> str:  # where scores are computed, for display: "cpu", "cuda:0", "vllm", "http", ...
        ...  # read-only here: a wrapper derives it from its backends

    def rank(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        top_k: int | None = None,
        cancel: Cancel = None,
        on_wait: OnWait = None,
    ) -> Ranking: ...

    def score(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
        on_wait: OnWait = None,
    ) -> list[float | None]: ...

    def close(self) -> None: ...


def raise_if_cancelled(cancel: Cancel) -> None:
    """The one cancellation check: raises `RerankCancelled` once `cancel()` is true."""
    if cancel is not None and cancel():
        raise RerankCancelled("rerank cancelled")


@dataclass(slots=True)
class Call:
    """One public call as the hooks see it: the stats to fill, and what to hand on to inner
    rerankers (a wrapper passes `cancel=call.cancel, on_wait=call.on_wait`)."""

    stats: RerankStats
    cancel: Cancel = None
    on_wait: OnWait = None

    def check(self) -> None:
        """Between batches: raises `RerankCancelled` once the caller cancelled."""
        raise_if_cancelled(self.cancel)


def rank_many(
    reranker: Reranker,
    requests: Iterable[RankRequest | tuple],
    *,
    cancel: Cancel = None,
    on_wait: OnWait = None,
) -> Iterator[Ranking]:
    """`reranker.rank_many(requests)` when it has one, else `rank()` for each request in turn:
    the rankings in the order of `requests`, each yielded as soon as it and those before it
    are known. Raises `RerankCancelled` once `cancel()` is true."""
    method = getattr(reranker, "rank_many", None)
    if method is not None:
        yield from method(requests, cancel=cancel, on_wait=on_wait)
        return
    for request in requests:
        request = RankRequest(*request)
        yield reranker.rank(request.query, request.documents, request.instruction, cancel=cancel, on_wait=on_wait)


def once(fn: OnWait) -> OnWait:
    """`fn` callable at most once (a cascade may wait at both stages: one notice)."""
    if fn is None:
        return None
    done = threading.Event()

    def first_time_only() -> None:
        if not done.is_set():
            done.set()
            fn()

    return first_time_only


def rank_scores(scores: Sequence[float | None], top_k: int | None = None) -> list[RankResult]:
    """Best first; ties keep input order (a stable sort). None (not scored) sorts last."""
    order = sorted(range(len(scores)), key=lambda i: (scores[i] is None, -(scores[i] or 0.0)))
    if top_k is not None:
        order = order[: max(top_k, 0)]
    return [RankResult(i, None if (score := scores[i]) is None else float(score)) for i in order]


class BaseReranker:
    """Implements the public methods on top of one hook, `_score`.

    Subclasses set `identity`, `max_length` and `device` and implement `_score(query,
    documents, instruction, call)`, which returns p(yes) in input order, fills
    `call.stats.tokens`/`.batches`/`.cache_hits` and calls `call.check()` between batches;
    locking, timing, `pairs` and the first cancel check are done here. A wrapper whose order
    is not a sort of its scores (a cascade) also overrides `_rank`. Hooks must not call their
    own instance's public methods (the lock is not reentrant).
    """

    identity: str = ""
    max_length: int = 0
    notes: tuple[str, ...] = ()
    device: str = ""
    label: str = ""  # a short name for display ("bge-reranker-v2-m3 · http plain"), where the backend knows one
    score_label: str = "p(yes)"  # what a score is, for column headers: "score" for a plain reranker
    uses_instruction: bool = True  # False: the instruction never reaches the model
    # True when this object needs no lock of its own: a server takes overlapping requests,
    # and a wrapper's backends lock themselves. An in-process model is one call at a time.
    thread_safe: bool = False

    @property
    def parallel_calls(self) -> int:
        """How many `rank()` calls `rank_many` runs at once (the HTTP backend: its concurrency)."""
        return 1

    def __init__(self) -> None:
        self._lock = threading.Lock()

    # -- hooks ------------------------------------------------------------------------------
    def _score(self, query: str, documents: list[str], instruction: str | None, call: Call) -> list[float | None]:
        raise NotImplementedError

    def _rank(self, query: str, documents: list[str], instruction: str | None, call: Call) -> list[RankResult]:
        return rank_scores(self._score(query, documents, instruction, call))

    # -- public -----------------------------------------------------------------------------
    def rank(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        top_k: int | None = None,
        cancel: Cancel = None,
        on_wait: OnWait = None,
    ) -> Ranking:
        """The order to show, best first. Use this, not a sort of `score()`, wherever order
        matters: a cascade's order is not a sort of its scores."""
        results, stats = self._call(self._rank, query, documents, instruction, Call(RerankStats(), cancel, on_wait))
        return Ranking(results if top_k is None else results[: max(top_k, 0)], stats)

    def score(
        self,
        query: str,
        documents: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
        on_wait: OnWait = None,
    ) -> list[float | None]:
        """p(yes) per document, in input order (None: not scored)."""
        return self._call(self._score, query, documents, instruction, Call(RerankStats(), cancel, on_wait))[0]

    def rank_many(
        self,
        requests: Iterable[RankRequest | tuple],
        *,
        cancel: Cancel = None,
        on_wait: OnWait = None,
    ) -> Iterator[Ranking]:
        """`rank(query, documents, instruction)` for each request, the rankings yielded in the
        order of `requests` (a generator: the work starts when it is iterated). Up to
        `parallel_calls` calls run at once in a thread pool, and a few more are queued ahead;
        one by one when that is 1. `cancel` is checked while waiting and by every call; the
        first error (or `RerankCancelled`) is raised at its place in the order, and stops the
        calls not yet sent. `on_wait` is called at most once."""
        on_wait = once(on_wait)
        workers = max(1, int(self.parallel_calls))
        pending_requests = iter(requests)
        if workers == 1:
            for request in pending_requests:
                request = RankRequest(*request)
                yield self.rank(request.query, request.documents, request.instruction, cancel=cancel, on_wait=on_wait)
            return
        stop = threading.Event()

        def stopped() -> bool:
            return stop.is_set() or (cancel is not None and bool(cancel()))

        def submit(pool: ThreadPoolExecutor, request) -> Future:
            request = RankRequest(*request)
            return pool.submit(self.rank, request.query, request.documents, request.instruction, cancel=stopped, on_wait=on_wait)

        with ThreadPoolExecutor(workers, thread_name_prefix="rerank-many") as pool:
            queued: deque[Future] = deque()
            try:
                for request in pending_requests:
                    queued.append(submit(pool, request))
                    if len(queued) >= 2 * workers:  # enough ahead to keep every slot busy
                        break
                while queued:
                    raise_if_cancelled(cancel)  # a result already in is not handed out after a cancel
                    head = queued[0]
                    while True:
                        try:
                            ranking = head.result(timeout=_POLL_S)
                            break
                        except FutureTimeout:
                            raise_if_cancelled(cancel)
                    queued.popleft()
                    following = next(pending_requests, None)
                    if following is not None:
                        queued.append(submit(pool, following))
                    yield ranking
            finally:  # an error, a cancel, or the consumer stopped early: send nothing more
                stop.set()
                for future in queued:
                    future.cancel()

    def _call(self, hook, query: str, documents: Sequence[str], instruction: str | None, call: Call):
        documents = list(documents)
        call.stats.pairs = len(documents)
        call.on_wait = once(call.on_wait)
        start = time.perf_counter()
        with self._model(call):
            call.check()
            out = hook(query, documents, instruction, call) if documents else []
        call.stats.seconds = time.perf_counter() - start
        return out, call.stats

    @contextmanager
    def _model(self, call: Call) -> Iterator[None]:
        """Hold the instance lock (unless thread_safe); a waiting call still sees its cancel."""
        if self.thread_safe:
            yield
            return
        if not self._lock.acquire(blocking=False):
            start = time.perf_counter()
            if call.on_wait is not None:
                call.on_wait()
            while not self._lock.acquire(timeout=_POLL_S if call.cancel is not None else -1):
                call.check()
            call.stats.waited += time.perf_counter() - start
        try:
            yield
        finally:
            self._lock.release()

    def close(self) -> None:
        """Free the model (GPU memory, engine processes). Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identity!r}, max_length={self.max_length})"
