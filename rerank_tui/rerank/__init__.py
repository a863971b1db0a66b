"""Qwen3-Reranker scoring behind one small interface; heavy imports only when a backend is built.

    from rerank_tui.rerank import build_reranker
    reranker = build_reranker("auto", model="Qwen/Qwen3-Reranker-0.6B")   # cached by default
    ranking = reranker.rank(query, passages, instruction=None, top_k=10,
                            cancel=None, on_wait=None)  # () -> bool; () -> None
    for hit in ranking.results:
        print(hit.index, hit.score)                    # p(yes), best first; None: not scored
    ranking.stats                                      # pairs, tokens, seconds, cache_hits, waited
    reranker.device                                    # "cpu", "cuda:0", "vllm", "http", ...

Any reranker may be called from several threads: an in-process model serves one call at a
time. A call that has to wait calls `on_wait()` once, then waits, still watching `cancel`.

Modules: `prompt` (the official prompt, one source of truth), `base` (protocol, results,
stats, locking, cancellation), `errors`, `checkpoint` (find/validate a model without loading it),
`transformers_backend`, `vllm_backend`, `http_backend`, `score_cache`, `cascade`, `factory`.
Importing this package imports no torch, transformers or vllm.
"""

from .base import BaseReranker, Call, Cancel, OnWait, Ranking, RankResult, Reranker, RerankStats, rank_scores
from .cascade import CascadeOutcome, CascadeReranker
from .checkpoint import DEFAULT_MODEL
from .errors import (
    BackendUnavailableError,
    ModelNotFoundError,
    NotQwen3RerankerError,
    PromptTooLongError,
    RerankCancelled,
    RerankerError,
    RerankOutOfMemoryError,
    RerankServerError,
)
from .factory import BACKENDS, build_cascade, build_reranker
from .prompt import DEFAULT_INSTRUCTION
from .score_cache import CachedReranker, ScoreCache

__all__ = [
    "BACKENDS",
    "DEFAULT_INSTRUCTION",
    "DEFAULT_MODEL",
    "BackendUnavailableError",
    "BaseReranker",
    "CachedReranker",
    "Call",
    "Cancel",
    "CascadeOutcome",
    "CascadeReranker",
    "ModelNotFoundError",
    "NotQwen3RerankerError",
    "OnWait",
    "PromptTooLongError",
    "RankResult",
    "Ranking",
    "RerankCancelled",
    "RerankOutOfMemoryError",
    "RerankServerError",
    "RerankStats",
    "Reranker",
    "RerankerError",
    "ScoreCache",
    "build_cascade",
    "build_reranker",
    "rank_scores",
]
