"""Term counts per passage (doc-major CSR): what BM25 weights are computed from.

`Postings` keeps, for every passage, which terms it holds and how often (`indptr` into
`terms`/`tf`), its length in tokens, and the vocabulary (term id → term). It is the exact,
unweighted record of the corpus: the engine derives its term-major weight matrix from it, and
an incremental refresh splices passages in and out of it, then derives the weights again, so
a refreshed index scores exactly like a fresh build.

Term ids are assigned in order of first appearance over the passages, so any chunking of the
same passages gives the same ids. Terms are never renumbered by a splice: a term no passage
holds any more keeps its id (df 0, no effect on any score) until the next full build.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Chunk:
    """The counts of a run of passages, with term ids local to the counter that made it.

    A counter (one per worker process, `source`) numbers its terms as it meets them and
    hands out only the terms new since its previous chunk: `vocab` holds the terms with
    local ids `vocab_start`, `vocab_start + 1`, ...
    """

    vocab: list[str]
    indptr: np.ndarray  # int64, one more than passages
    terms: np.ndarray  # int32 local term ids
    tf: np.ndarray  # int32
    lengths: np.ndarray  # int32 tokens per passage
    source: int = 0
    vocab_start: int = 0


@dataclass(frozen=True)
class Postings:
    vocab: list[str]
    indptr: np.ndarray  # int64 [n_docs + 1]
    terms: np.ndarray  # int32 [nnz] term id of each (passage, term) pair
    tf: np.ndarray  # uint16 or int32 [nnz]
    lengths: np.ndarray  # int32 [n_docs]

    @property
    def n_docs(self) -> int:
        return len(self.lengths)

    @classmethod
    def merge(cls, chunks: Iterable[Chunk], vocab: list[str] | None = None, ids: dict[str, int] | None = None) -> Postings:
        """One Postings of `chunks` in order; new terms are appended to (copies of) `vocab`/`ids`.

        Chunks from one source must come in the order that source counted them.
        """
        vocab = list(vocab or [])
        ids = dict(ids) if ids is not None else {t: i for i, t in enumerate(vocab)}
        maps: dict[int, np.ndarray] = {}
        terms, tfs, counts, lengths = [], [], [], []
        for c in chunks:
            terms.append(_global_terms(c, vocab, ids, maps))
            tfs.append(c.tf)
            counts.append(np.diff(c.indptr))
            lengths.append(c.lengths)
        return cls._of(vocab, terms, tfs, counts, lengths)

    def canonical(self) -> Postings:
        """The same postings with term ids in sorted term order: one vocabulary and one BM25
        matrix per corpus, however it was chunked or scheduled (within a passage, terms stay
        in the order its counter numbered them)."""
        order = sorted(range(len(self.vocab)), key=self.vocab.__getitem__)
        rank = np.empty(len(order), np.int32)
        rank[np.array(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int32)
        terms = rank[self.terms] if len(self.terms) else self.terms
        return Postings([self.vocab[i] for i in order], self.indptr, terms, self.tf, self.lengths)

    @classmethod
    def _of(cls, vocab, terms, tfs, counts, lengths) -> Postings:
        def cat(parts, dtype):
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

        per_doc = cat(counts, np.int64)
        indptr = np.zeros(len(per_doc) + 1, np.int64)
        np.cumsum(per_doc, out=indptr[1:])
        tf = cat(tfs, np.int32)
        return cls(vocab, indptr, cat(terms, np.int32), _compact_tf(tf), cat(lengths, np.int32))

    def vocab_ids(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.vocab)}

    def splice(self, blocks: Sequence[tuple[int, int] | Chunk], ids: dict[str, int] | None = None) -> Postings:
        """A new Postings made of runs of this one's passages (`(start, stop)`) and new chunks, in order."""
        vocab = list(self.vocab)
        ids = dict(ids) if ids is not None else self.vocab_ids()
        maps: dict[int, np.ndarray] = {}
        terms, tfs, counts, lengths = [], [], [], []
        for block in _merge_runs(blocks):
            if isinstance(block, Chunk):
                terms.append(_global_terms(block, vocab, ids, maps))
                tfs.append(block.tf)
                counts.append(np.diff(block.indptr))
                lengths.append(block.lengths)
            else:
                a, b = block
                lo, hi = self.indptr[a], self.indptr[b]
                terms.append(self.terms[lo:hi])
                tfs.append(self.tf[lo:hi])
                counts.append(np.diff(self.indptr[a : b + 1]))
                lengths.append(self.lengths[a:b])
        return Postings._of(vocab, terms, tfs, counts, lengths)

    # -- persistence ------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        with open(directory / "vocab.json", "w", encoding="utf-8") as fh:
            json.dump(self.vocab, fh, ensure_ascii=False)
        for name in ("indptr", "terms", "tf", "lengths"):
            np.save(directory / f"doc_{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, directory: Path) -> Postings:
        with open(directory / "vocab.json", encoding="utf-8") as fh:
            vocab = json.load(fh)
        arrays = {name: np.load(directory / f"doc_{name}.npy", mmap_mode="r") for name in ("indptr", "terms", "tf", "lengths")}
        postings = cls(vocab, **arrays)
        if len(postings.indptr) != postings.n_docs + 1 or postings.indptr[-1] != len(postings.terms) != len(postings.tf):
            raise ValueError("postings are inconsistent")
        return postings


def _global_terms(chunk: Chunk, vocab: list[str], ids: dict[str, int], maps: dict[int, np.ndarray]) -> np.ndarray:
    """The chunk's term ids in the global vocabulary; its new terms are appended (in place).
    `maps` holds each source's local → global id array."""
    got = list(map(ids.get, chunk.vocab))
    if None in got:
        for j, g in enumerate(got):
            if g is None:
                term = chunk.vocab[j]
                ids[term] = got[j] = len(vocab)
                vocab.append(term)
    known = maps.get(chunk.source, np.zeros(0, np.int32))
    if len(known) != chunk.vocab_start:
        raise ValueError("chunks of one source out of order")
    mapping = maps[chunk.source] = np.concatenate((known, np.array(got, dtype=np.int32)))
    return mapping[chunk.terms] if chunk.terms.size else np.zeros(0, np.int32)


def _compact_tf(tf: np.ndarray) -> np.ndarray:
    """uint16 where every count fits (passages are short), halving the largest array."""
    if tf.size == 0 or int(tf.max()) < 2**16:
        return tf.astype(np.uint16)
    return tf.astype(np.int32, copy=False)


def _merge_runs(blocks: Sequence[tuple[int, int] | Chunk]) -> list[tuple[int, int] | Chunk]:
    """Adjacent runs of old passages joined, so a splice copies a few large slices."""
    out: list[tuple[int, int] | Chunk] = []
    for block in blocks:
        if isinstance(block, tuple):
            if block[0] == block[1]:
                continue
            last = out[-1] if out else None
            if isinstance(last, tuple) and last[1] == block[0]:
                out[-1] = (last[0], block[1])
                continue
        out.append(block)
    return out
