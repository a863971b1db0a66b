"""Passages → term counts (`Postings`), in parallel worker processes for large corpora.

Tokenizing is the bulk of a BM25 build and is pure Python, so it scales only with
processes. On Linux the workers are forked: they inherit the passages and the tokenizer, so
nothing is pickled on the way in; each returns its chunk as a few compact numpy arrays (a
local vocabulary, int32 term ids, counts, lengths), which the parent merges in order. Small
corpora, a single CPU, or a platform without `fork` are counted in-process by the same code,
so both paths give identical postings (ids are assigned in order of first appearance).

Per chunk, a raw token (a `\\w` run) maps straight to its tuple of local term ids through a
dict, with C-level `map(dict.get, ...)`; the tokenizer's rules run once per distinct raw token.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import chain

import numpy as np
import scipy.sparse as sp

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.hit import index_text
from rerank_tui.recall.postings import Chunk, Postings
from rerank_tui.recall.tokenize import Tokenizer

# Below this many passages a pool costs more than it saves.
def _parallel_above(default: int = 20_000) -> int:
    """RERANK_TUI_PARALLEL_ABOVE overrides the threshold (a positive number of passages)."""
    try:
        return max(1, int(os.environ.get("RERANK_TUI_PARALLEL_ABOVE", default)))
    except ValueError:
        return default


PARALLEL_ABOVE = _parallel_above()
CHUNK = 10_000  # passages per task: bounds a worker's memory and keeps progress moving

# Set in the parent just before forking; the forked workers read them.
_JOB: tuple[Sequence[Passage], Tokenizer] | None = None
_FORK_LOCK = threading.Lock()


class ChunkCounter:
    """Counts runs of passages; keeps its vocabulary and raw-token codes across runs, so a
    worker tokenizes each distinct raw token once however many chunks it counts."""

    def __init__(self, tokenizer: Tokenizer, source: int = 0) -> None:
        self.tokenizer = tokenizer
        self.source = source
        self.vocab: dict[str, int] = {}
        self.terms: list[str] = []
        self.sent = 0  # terms already handed out with an earlier chunk
        # Raw token (bytes for ASCII text, str otherwise: never equal) → a code: its term id
        # when it gives one term (most words), -1 when none (a stopword), -2-m for the m-th
        # raw token giving several terms (identifiers, CJK runs), expanded with numpy.
        self.codes: dict[str | bytes, int] = {}
        self.several: list[tuple[int, ...]] = []

    def _code(self, raw: str | bytes) -> int:
        word = raw.decode("ascii") if isinstance(raw, bytes) else raw
        vocab, terms = self.vocab, self.terms
        ids = []
        for t in self.tokenizer.terms(word):
            i = vocab.get(t)
            if i is None:
                i = vocab[t] = len(terms)
                terms.append(t)
            ids.append(i)
        if len(ids) == 1:
            return ids[0]
        if not ids:
            return -1
        self.several.append(tuple(ids))
        return -1 - len(self.several)  # -2 - m for the m-th

    def count(self, passages: Sequence[Passage], start: int = 0, stop: int | None = None) -> Chunk:
        """The term counts of `passages[start:stop]`."""
        stop = len(passages) if stop is None else stop
        n = stop - start
        codes = self.codes
        get: Callable[[str | bytes], int | None] = codes.get
        flat = array("i")
        ends = array("q")
        raw_tokens, ascii_raw_tokens = self.tokenizer.raw_tokens, self.tokenizer.ascii_raw_tokens
        # The loop makes only acyclic garbage (lists of tokens): a cyclic collection would just
        # walk every passage object again (and, in a forked worker, copy the pages it touches).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for i in range(start, stop):
                text = index_text(passages[i])
                raws: list[str] | list[bytes] = ascii_raw_tokens(text) if text.isascii() else raw_tokens(text)
                before = len(flat)
                try:
                    # One C loop; a raw token seen for the first time (None) stops it with TypeError.
                    flat.extend(map(get, raws))  # type: ignore[arg-type]
                except TypeError:
                    del flat[before:]
                    for raw in raws:
                        if raw not in codes:
                            codes[raw] = self._code(raw)
                    flat.extend(map(get, raws))  # type: ignore[arg-type]
                ends.append(len(flat))
        finally:
            if collecting:
                gc.enable()
        token_ids, lengths = _expand(
            np.frombuffer(flat, dtype=np.int32) if len(flat) else np.zeros(0, np.int32),
            np.frombuffer(ends, dtype=np.int64) if n else np.zeros(0, np.int64),
            self.several,
        )
        docs = np.repeat(np.arange(n, dtype=np.int32), lengths)
        # COO → CSR sums repeated (passage, term) pairs in C: the term frequencies.
        counts = sp.csr_matrix(
            (np.ones(len(token_ids), np.int32), (docs, token_ids)), shape=(n, max(len(self.terms), 1)), dtype=np.int32
        )
        counts.sum_duplicates()
        new_terms = self.terms[self.sent :]
        chunk = Chunk(
            new_terms,
            counts.indptr.astype(np.int64),
            counts.indices.astype(np.int32, copy=False),
            counts.data.astype(np.int32, copy=False),
            lengths,
            source=self.source,
            vocab_start=self.sent,
        )
        self.sent = len(self.terms)
        return chunk


def count_chunk(passages: Sequence[Passage], tokenizer: Tokenizer, start: int = 0, stop: int | None = None) -> Chunk:
    """The term counts of `passages[start:stop]` on their own (term ids local to the chunk)."""
    return ChunkCounter(tokenizer).count(passages, start, stop)


def _expand(codes: np.ndarray, ends: np.ndarray, several: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Raw-token codes → term ids (stopwords dropped, multi-term tokens expanded in place),
    and the passages' lengths in terms."""
    width = np.ones(len(codes), np.int64)
    width[codes == -1] = 0
    multi = np.flatnonzero(codes <= -2)
    if multi.size:
        sizes = np.array([len(t) for t in several], np.int64)
        which = -2 - codes[multi].astype(np.int64)
        width[multi] = sizes[which]
    cum = np.zeros(len(codes) + 1, np.int64)
    np.cumsum(width, out=cum[1:])
    lengths = np.diff(np.concatenate(([0], cum[ends]))).astype(np.int32)
    out = np.repeat(codes, width)
    if multi.size:
        table = np.fromiter(chain.from_iterable(several), np.int32)
        offsets = np.zeros(len(several) + 1, np.int64)
        np.cumsum(sizes, out=offsets[1:])
        reps = width[multi]
        # position k of multi-token j goes to out[cum[multi[j]] + k] from table[offsets[which[j]] + k]
        step = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
        out[np.repeat(cum[multi], reps) + step] = table[np.repeat(offsets[which], reps) + step]
    return out, lengths


_COUNTER: ChunkCounter | None = None  # one per worker process, made on its first task


def _yield_the_cpu() -> None:
    """Workers run at a lower priority: on a machine with as many cores as workers, the app's
    event loop (the caller) still gets a core at once, so typing stays live during a build."""
    try:
        os.nice(10)
    except OSError:  # not permitted here: same priority, still correct
        pass


def _count_task(span: tuple[int, int]) -> Chunk:
    global _COUNTER
    assert _JOB is not None
    passages, tokenizer = _JOB
    if _COUNTER is None:
        _COUNTER = ChunkCounter(tokenizer, source=os.getpid())
    return _COUNTER.count(passages, *span)


def workers_for(n: int, parallel_above: int = PARALLEL_ABOVE) -> int:
    """How many worker processes to count `n` passages with (0: in-process)."""
    if n <= parallel_above or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cpus, 8) if cpus > 1 else 0


def count_passages(
    passages: Sequence[Passage],
    tokenizer: Tokenizer,
    *,
    parallel_above: int = PARALLEL_ABOVE,
    chunk: int = CHUNK,
    workers: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Postings:
    """The postings of `passages` (the same in-process or in parallel)."""
    # Chunks are merged as they arrive, while the workers count the next ones.
    chunks = iter_chunks(passages, tokenizer, parallel_above=parallel_above, chunk=chunk, workers=workers, progress=progress)
    return Postings.merge(chunks).canonical()


def count_chunks(passages: Sequence[Passage], tokenizer: Tokenizer, **how) -> list[Chunk]:
    """The chunks of `passages`, in order (see `iter_chunks`)."""
    return list(iter_chunks(passages, tokenizer, **how))


def iter_chunks(
    passages: Sequence[Passage],
    tokenizer: Tokenizer,
    *,
    parallel_above: int = PARALLEL_ABOVE,
    chunk: int = CHUNK,
    workers: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Iterator[Chunk]:
    """The chunks of `passages`, in order; `workers` overrides `workers_for` (0: in-process)."""
    global _JOB
    n = len(passages)
    spans = [(a, min(a + chunk, n)) for a in range(0, n, chunk)]
    if workers is None:
        workers = workers_for(n, parallel_above)
    elif "fork" not in multiprocessing.get_all_start_methods():
        workers = 0
    done = 0
    if workers and len(spans) > 1:
        # Each worker hands back its chunks in the order it counted them, and imap yields in
        # submission order, so a worker's new terms reach `merge` in order.
        # The workers are forked when the pool is made and keep the job they saw then; the
        # lock keeps two threads building at once from handing each other's job to theirs.
        with _FORK_LOCK:
            _JOB = (passages, tokenizer)
            try:
                pool = multiprocessing.get_context("fork").Pool(min(workers, len(spans)), initializer=_yield_the_cpu)
            finally:
                _JOB = None
        with pool:
            for c in pool.imap(_count_task, spans):
                done += len(c.lengths)
                if progress is not None:
                    progress(done, n, "tokenizing")
                yield c
    else:
        counter = ChunkCounter(tokenizer)
        for a, b in spans:
            c = counter.count(passages, a, b)
            if progress is not None:
                progress(b, n, "tokenizing")
            yield c
