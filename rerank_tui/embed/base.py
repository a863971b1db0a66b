"""The interface every embedder implements, and the plumbing they share.

Two calls, one contract: texts in, an `n × dims` float32 matrix out, every row L2-normalised
(unit length, so a dot product is the cosine).

    vectors = embedder.embed_documents(texts, batch_size=None, cancel=None, progress=None)
    vectors = embedder.embed_queries(queries, instruction=None)
    embedder.last_stats            # EmbedStats(items, tokens, seconds, batches, waited)

Stats: every call fills an `EmbedStats`. Pass your own (`stats=EmbedStats()`) to get exactly
that call's figures even when other threads use the same embedder; `last_stats` is the most
recent finished call's, for display. `tokens` is None when the backend cannot count them.

Prompts. What a document or query becomes before tokenization is the embedder's business, one
rule per `query_style`:

- `"instruct"` (Qwen3-Embedding and its kind): queries are `Instruct: {task}\\nQuery:{query}`,
  the task editable per call (`instruction=`; None means the embedder's `default_instruction`,
  which is the model's own saved task or `DEFAULT_QUERY_INSTRUCTION`); documents go in plain.
- `"prompt"` (e5, gte, BGE, all-MiniLM, ...): the model's own query and document prompts
  (sentence-transformers' `prompts`, e.g. "query: " / "passage: ", often empty) are put in
  front; `instruction` is not used.

`query_text(query, instruction, style, prompt)` spells the rule out for one query.

The rest mirrors the rerank layer: cancellation is a `Callable[[], bool]` checked before each
batch (`EmbedCancelled`), `progress(done, total)` is called after each batch, an in-process
model serves one call at a time (a per-instance lock unless `thread_safe`; a call waiting for
it still watches its cancel), and `device` says where vectors are computed ("cpu", "cuda:0",
"http"). A backend implements one hook, `_embed_batch(texts, prompt, kind)`, returning raw
vectors and a token count; batching, validation (shape, finite, non-zero) and normalisation
are done here, so no backend can hand out a vector that breaks the contract.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import BadVectorsError, EmbedCancelled, EmbedderError

Cancel = Callable[[], bool] | None
Progress = Callable[[int, int], None] | None  # (done, total) items, after each batch

DEFAULT_QUERY_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query"
INSTRUCT = "instruct"  # Qwen3-Embedding: "Instruct: {task}\nQuery:{query}", documents plain
PROMPT = "prompt"  # the model's own query/document prompts (sentence-transformers `prompts`)
QUERY_STYLES = (INSTRUCT, PROMPT)
_POLL_S = 0.05  # how often a call waiting for the model looks at its cancel
_INSTRUCT_PROMPT = re.compile(r"\AInstruct: (?P<task>.*)\nQuery: ?\Z", re.S)

__all__ = [
    "DEFAULT_QUERY_INSTRUCTION",
    "INSTRUCT",
    "PROMPT",
    "QUERY_STYLES",
    "BaseEmbedder",
    "Cancel",
    "EmbedCancelled",
    "EmbedStats",
    "Embedder",
    "EmbedderError",
    "Progress",
    "instruct_prompt",
    "instruct_task",
    "l2_normalize",
    "query_text",
    "raise_if_cancelled",
]


# -- prompts ----------------------------------------------------------------------------------
def instruct_prompt(instruction: str | None = None) -> str:
    """Qwen3-Embedding's query prefix: `Instruct: {task}\\nQuery:` (None: the default task;
    an empty string is kept as given, as the reranker does)."""
    task = DEFAULT_QUERY_INSTRUCTION if instruction is None else instruction
    return f"Instruct: {task}\nQuery:"


def instruct_task(prompt: str | None) -> str | None:
    """The task of a saved query prompt in the `Instruct: {task}\\nQuery:` form, else None.
    This is how a Qwen3-Embedding folder (its `config_sentence_transformers.json`) is recognised."""
    match = _INSTRUCT_PROMPT.match(prompt or "")
    return match.group("task") if match else None


def query_text(query: str, instruction: str | None = None, style: str = INSTRUCT, prompt: str = "") -> str:
    """The text a query is embedded as.

    `"instruct"`: `Instruct: {instruction}\\nQuery:{query}` (None: `DEFAULT_QUERY_INSTRUCTION`).
    `"prompt"`: the model's own query prompt (`prompt`, e.g. "query: ") + query; `instruction`
    is not used.
    """
    if style == INSTRUCT:
        return instruct_prompt(instruction) + query
    if style == PROMPT:
        return prompt + query
    raise ValueError(f"query style {style!r}: use one of {', '.join(QUERY_STYLES)}")


# -- results ----------------------------------------------------------------------------------
@dataclass(slots=True)
class EmbedStats:
    """What one call did: `items` embedded, `tokens` fed to the model (None: not counted),
    `seconds` the whole call, `waited` the part of it spent waiting for another call."""

    items: int = 0
    tokens: int | None = 0
    seconds: float = 0.0
    batches: int = 0
    waited: float = 0.0

    @property
    def items_per_second(self) -> float:
        working = self.seconds - self.waited
        return self.items / working if working > 0 else float("inf")

    def add(self, other: EmbedStats) -> None:
        """Fold another call's figures into these (a corpus embedded in several calls)."""
        self.items += other.items
        self.tokens = None if self.tokens is None or other.tokens is None else self.tokens + other.tokens
        self.seconds += other.seconds
        self.batches += other.batches
        self.waited += other.waited


def raise_if_cancelled(cancel: Cancel) -> None:
    """The one cancellation check: raises `EmbedCancelled` once `cancel()` is true."""
    if cancel is not None and cancel():
        raise EmbedCancelled("embedding cancelled")


def l2_normalize(vectors: np.ndarray, *, source: str = "the embedder") -> np.ndarray:
    """Rows scaled to unit length, as float32 (norms taken in float64). A row that is not
    finite or is all zeros cannot be a direction: `BadVectorsError`."""
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2:
        raise BadVectorsError(f"{source} returned an array of shape {v.shape}, not one vector per text")
    if not np.isfinite(v).all():
        row = int(np.flatnonzero(~np.isfinite(v).all(axis=1))[0])
        raise BadVectorsError(f"{source} returned a vector with NaN or infinite values (row {row})",
                              "the model may overflow in this dtype: try --embed-dtype float32")
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    if (norms == 0).any():
        row = int(np.flatnonzero(norms[:, 0] == 0)[0])
        raise BadVectorsError(f"{source} returned an all-zero vector (row {row})", "check the model's pooling")
    return (v / norms).astype(np.float32)


# -- the interface ----------------------------------------------------------------------------
@runtime_checkable
class Embedder(Protocol):
    """What the session layer, the vector store and the CLI use."""

    identity: str  # what vectors depend on (backend, model + revision, dtype): part of the cache key
    dims: int  # length of every vector
    max_length: int  # tokens per text (prompt included); longer texts are truncated. 0: the server's limit
    pooling: str  # "mean", "cls", "lasttoken", ... ("server" when only the server knows)
    device: str  # where vectors are computed, for display: "cpu", "cuda:0", "http", ...
    notes: tuple[str, ...]  # things the user should see once (e.g. "embedding on CPU")
    query_style: str  # "instruct" or "prompt" (see the module doc)
    default_instruction: str | None  # the task queries get when `instruction` is None ("instruct" only)
    last_stats: EmbedStats

    def embed_documents(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        cancel: Cancel = None,
        progress: Progress = None,
        stats: EmbedStats | None = None,
    ) -> np.ndarray: ...

    def embed_queries(
        self,
        texts: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
        stats: EmbedStats | None = None,
    ) -> np.ndarray: ...

    def query_text(self, query: str, instruction: str | None = None) -> str: ...

    def close(self) -> None: ...


class BaseEmbedder:
    """Implements the public methods on top of one hook, `_embed_batch`.

    Subclasses set `identity`, `dims`, `max_length`, `pooling`, `device`, the prompt settings
    (`query_style`, `query_prompt`, `document_prompt`, `default_instruction`) and implement
    `_embed_batch(texts, prompt, kind) -> (vectors, tokens)`: raw vectors (any float dtype,
    one row per text) for `prompt + text` each, `kind` "query" or "document", and the number
    of tokens the model saw (None: unknown). Texts reach the hook sorted longest first, in
    batches of at most `batch_size`, so a batch pads little.
    """

    identity: str = ""
    dims: int = 0
    max_length: int = 0
    pooling: str = ""
    device: str = ""
    notes: tuple[str, ...] = ()
    batch_size: int = 32
    query_style: str = PROMPT
    query_prompt: str = ""  # the "prompt" style's query prefix
    document_prompt: str = ""
    default_instruction: str | None = None
    # True when this object needs no lock of its own (a server takes overlapping requests).
    thread_safe: bool = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last_stats = EmbedStats()

    # -- hook -------------------------------------------------------------------------------
    def _embed_batch(self, texts: list[str], prompt: str, kind: str) -> tuple[np.ndarray, int | None]:
        raise NotImplementedError

    # -- prompts ----------------------------------------------------------------------------
    def query_prefix(self, instruction: str | None = None) -> str:
        """What goes in front of every query of a call with this `instruction`."""
        if self.query_style == INSTRUCT:
            return instruct_prompt(self.default_instruction if instruction is None else instruction)
        return self.query_prompt

    def query_text(self, query: str, instruction: str | None = None) -> str:
        """The whole text `query` is embedded as (for display and for other backends)."""
        return self.query_prefix(instruction) + query

    # -- public -----------------------------------------------------------------------------
    def embed_documents(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        cancel: Cancel = None,
        progress: Progress = None,
        stats: EmbedStats | None = None,
    ) -> np.ndarray:
        """Passages → `len(texts) × dims` float32, unit rows, in input order. What is embedded
        for a corpus passage is `title\\ntext` (recall's `index_text`): callers pass that."""
        return self._call(texts, self.document_prompt, "document", batch_size, cancel, progress, stats)

    def embed_queries(
        self,
        texts: Sequence[str],
        instruction: str | None = None,
        *,
        cancel: Cancel = None,
        stats: EmbedStats | None = None,
    ) -> np.ndarray:
        """Queries → `len(texts) × dims` float32, unit rows. `instruction` is the task of the
        "instruct" style (None: `default_instruction`); the "prompt" style ignores it."""
        return self._call(texts, self.query_prefix(instruction), "query", None, cancel, None, stats)

    def embed_query(self, text: str, instruction: str | None = None, *, cancel: Cancel = None) -> np.ndarray:
        """One query → one unit vector of `dims` float32."""
        return self.embed_queries([text], instruction, cancel=cancel)[0]

    def _call(self, texts, prompt: str, kind: str, batch_size, cancel: Cancel, progress: Progress, stats):
        texts = [str(t) for t in texts]
        stats = stats if stats is not None else EmbedStats()
        stats.items = len(texts)
        size = max(1, int(batch_size or self.batch_size))
        start = time.perf_counter()
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # stable: ties keep input order
        with self._model(cancel, stats):
            for first in range(0, len(order), size):
                raise_if_cancelled(cancel)
                rows = order[first : first + size]
                raw, tokens = self._embed_batch([texts[i] for i in rows], prompt, kind)
                out[rows] = self._checked(raw, len(rows))
                stats.tokens = None if tokens is None or stats.tokens is None else stats.tokens + tokens
                stats.batches += 1
                if progress is not None:
                    progress(first + len(rows), len(texts))
            if not texts:
                raise_if_cancelled(cancel)
        stats.seconds = time.perf_counter() - start
        self.last_stats = stats
        return out

    def _checked(self, raw, n: int) -> np.ndarray:
        source = f"{type(self).__name__} ({self.identity})"
        vectors = np.asarray(raw)
        if vectors.shape != (n, self.dims):
            raise BadVectorsError(
                f"{source} returned vectors of shape {vectors.shape} for {n} texts, expected ({n}, {self.dims})"
            )
        return l2_normalize(vectors, source=source)

    @contextmanager
    def _model(self, cancel: Cancel, stats: EmbedStats) -> Iterator[None]:
        """Hold the instance lock (unless thread_safe); a waiting call still sees its cancel."""
        if self.thread_safe:
            yield
            return
        if not self._lock.acquire(blocking=False):
            start = time.perf_counter()
            while not self._lock.acquire(timeout=_POLL_S if cancel is not None else -1):
                raise_if_cancelled(cancel)
            stats.waited += time.perf_counter() - start
        try:
            yield
        finally:
            self._lock.release()

    def close(self) -> None:
        """Free the model (GPU memory) or the connection pool. Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identity!r}, dims={self.dims}, pooling={self.pooling!r})"
