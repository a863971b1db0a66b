"""Passage vectors that persist in the cache, so a corpus is embedded once.

A store is keyed by (corpus, model identity, max length, pooling): `<cache>/vectors/<name>-<key>/`.
Inside, vectors are filed by the SHA-1 of the text they embed (title, a newline, the text:
what BM25 indexes and the reranker reads), not by passage id, so a passage whose text is
unchanged keeps its vector wherever it moves, and editing one file re-embeds only its
passages. The corpus key is the corpus's name or path, deliberately not its fingerprint:
a fingerprint changes with every edit and would throw every vector away.

Layout, every file written to a temporary name, fsynced and renamed into place:

    manifest.json      version, key, dims, the committed chunks, the search matrix's order
    c000001.npy        float32 rows × dims: one chunk of vectors
    c000001.keys       rows × 20 bytes: the SHA-1 of each row's text
    matrix.npy         float32 n × dims, one row per passage in corpus order, memory-mapped
    ann1-<order>.faiss the approximate index of that matrix (only above `approximate_above`
                       rows), named by the matrix's order digest, memory-mapped when reopened

Embedding writes a chunk (`chunk_rows` texts) at a time and commits it in the manifest, so a
kill loses at most the chunk in flight and the next run embeds only what is still missing;
`cancel` stops between batches with the same guarantee. The approximate index is built the
first time a big matrix is searched (`CorpusVectors.index`) and kept until the matrix's order
changes; one that cannot be read is built again. Files the manifest does not name
(an interrupted chunk) are removed on the next run. When dead rows (texts no longer in the
corpus) outnumber live ones, the live rows are rewritten into fresh chunks. One process at a
time embeds into a store (a file lock); a store that cannot be read is emptied and rebuilt,
never fatal (it is a cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rerank_tui.recall.approximate import DEFAULT_APPROXIMATE_ABOVE, ApproximateIndex, use_approximate
from rerank_tui.recall.dense import DenseIndex
from rerank_tui.recall.hit import index_text

from .base import Cancel, EmbedStats, raise_if_cancelled

STORE_VERSION = 1
DEFAULT_CHUNK_ROWS = 1024
KEY_BYTES = 20  # SHA-1
ANN_PREFIX = "ann1-"  # the approximate index's file: ANN_PREFIX + the matrix's order digest + ".faiss"


def text_key(text: str) -> bytes:
    """The SHA-1 of a text as embedded: what a vector is filed under."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def text_keys(texts: Sequence[str]) -> list[bytes]:
    """`text_key` of each text (one loop without a call per text: a warm reopen hashes them all)."""
    sha1 = hashlib.sha1
    return [sha1(t.encode("utf-8", "surrogatepass")).digest() for t in texts]


def passage_texts(passages) -> list[str]:
    """What is embedded for each passage: `title\\ntext` (recall's `index_text`)."""
    return [index_text(p) for p in passages]


@dataclass(frozen=True, slots=True)
class StoreKey:
    """What a store's vectors depend on."""

    corpus: str  # the corpus's name or resolved path
    identity: str  # the embedder's identity (backend, model + revision, dtype)
    max_length: int
    pooling: str

    @classmethod
    def of(cls, corpus: str | os.PathLike, embedder) -> StoreKey:
        return cls(str(corpus), embedder.identity, int(embedder.max_length), embedder.pooling)

    def digest(self) -> str:
        parts = (str(STORE_VERSION), self.corpus, self.identity, str(self.max_length), self.pooling)
        return hashlib.sha1("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def as_dict(self) -> dict:
        return {"corpus": self.corpus, "identity": self.identity, "max_length": self.max_length, "pooling": self.pooling}


@dataclass(frozen=True, slots=True)
class EmbedProgress:
    """Where embedding a corpus stands: `done` of `total` texts have a vector, `embedded` of
    `to_embed` by this run, in `seconds`."""

    done: int
    total: int
    embedded: int
    to_embed: int
    seconds: float

    @property
    def rate(self) -> float | None:
        """Texts per second embedded by this run (None before the first batch)."""
        return self.embedded / self.seconds if self.embedded and self.seconds > 0 else None

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (0 when nothing is left, None when unknown)."""
        left = self.to_embed - self.embedded
        if left <= 0:
            return 0.0
        rate = self.rate
        return left / rate if rate else None


OnProgress = Callable[[EmbedProgress], None] | None


@dataclass
class CorpusVectors:
    """The answer of `sync`: one unit vector per text, in input order, and what it cost."""

    matrix: np.ndarray  # n × dims float32, memory-mapped (read-only) when n > 0
    reused: int  # texts whose vector was already stored
    embedded: int  # texts embedded by this call (identical texts are embedded once)
    seconds: float
    stats: EmbedStats = field(default_factory=EmbedStats)
    location: Path | None = None
    order: str | None = None  # the SHA-1 of the rows' text keys in order (None when empty)

    def index(
        self, ids: Sequence | None = None, *, approximate_above: int | None = DEFAULT_APPROXIMATE_ABOVE,
        cancel: Cancel = None,
    ) -> DenseIndex | ApproximateIndex:
        """Exact search over the matrix, or with more rows than `approximate_above` (0 or None:
        always exact) the approximate index, read from beside the matrix or built and stored
        there (in memory only for vectors that have no store). Same `search(vector, k)`."""
        if not use_approximate(len(self.matrix), approximate_above):
            return DenseIndex(self.matrix, ids)
        if self.location is None or self.order is None:
            return ApproximateIndex.build(self.matrix, ids, on_batch=_check(cancel))
        return _approximate_index(Path(self.location), self.order, self.matrix, ids, cancel)


@dataclass
class _State:
    chunks: list[dict]  # {"name", "rows"}
    next: int
    matrix: dict | None
    where: dict[bytes, tuple[int, int]]  # text key -> (chunk position, row)


class VectorStore:
    """The vectors of one (corpus, embedder) pair. `sync(texts, embedder)` embeds what is
    missing and returns the matrix for `texts`."""

    def __init__(self, key: StoreKey, dims: int, *, root: str | os.PathLike | None = None,
                 chunk_rows: int = DEFAULT_CHUNK_ROWS):
        if root is None:
            from rerank_tui.paths import cache_dir

            root = cache_dir() / "vectors"
        self.key = key
        self.dims = int(dims)
        self.chunk_rows = max(1, int(chunk_rows))
        tail = Path(key.corpus.rstrip("/\\")).name or "corpus"
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in tail)[:40]
        self.path = Path(root) / f"{name}-{key.digest()}"

    @classmethod
    def for_embedder(cls, corpus: str | os.PathLike, embedder, **options) -> VectorStore:
        return cls(StoreKey.of(corpus, embedder), embedder.dims, **options)

    # -- public -------------------------------------------------------------------------------
    def missing(self, texts: Sequence[str]) -> int:
        """How many distinct texts have no stored vector yet (nothing is written)."""
        where = self._load(repair=False).where
        return sum(1 for k in dict.fromkeys(text_key(t) for t in texts) if k not in where)

    def sync(
        self,
        texts: Sequence[str],
        embedder,
        *,
        batch_size: int | None = None,
        cancel: Cancel = None,
        progress: OnProgress = None,
    ) -> CorpusVectors:
        """Embed the texts that have no vector yet, chunk by chunk, then return the matrix of
        all of them (row i is `texts[i]`). `EmbedCancelled` leaves every finished chunk stored."""
        if embedder.dims != self.dims:
            raise ValueError(f"the embedder makes {embedder.dims}-dimensional vectors, the store holds {self.dims}")
        started = time.perf_counter()
        texts = list(texts)
        keys = text_keys(texts)
        stats = EmbedStats(tokens=0)
        with self._locked(cancel):
            state = self._load(repair=True)
            todo: dict[bytes, str] = {}
            for k, t in zip(keys, texts):
                if k not in state.where and k not in todo:
                    todo[k] = t
            unique = len(dict.fromkeys(keys))
            reused = unique - len(todo)
            todo_keys = list(todo)
            embed_start = time.perf_counter()

            def report(embedded: int) -> None:
                if progress is not None:
                    progress(EmbedProgress(reused + embedded, unique, embedded, len(todo_keys), time.perf_counter() - embed_start))

            report(0)
            for first in range(0, len(todo_keys), self.chunk_rows):
                raise_if_cancelled(cancel)
                chunk = todo_keys[first : first + self.chunk_rows]
                call = EmbedStats()
                vectors = embedder.embed_documents(
                    [todo[k] for k in chunk],
                    batch_size=batch_size,
                    cancel=cancel,
                    progress=None if progress is None else (lambda done, _total, base=first: report(base + done)),
                    stats=call,
                )
                stats.add(call)
                self._commit_chunk(state, chunk, vectors)
                report(first + len(chunk))
            live = set(keys)
            if len(state.where) - len(live) > max(len(live), self.chunk_rows):
                self._compact(state, list(dict.fromkeys(keys)))
            matrix = self._matrix(state, keys)
        order = _order_of(keys) if keys else None
        return CorpusVectors(matrix, reused, len(todo_keys), time.perf_counter() - started, stats, self.path, order)

    def clear(self) -> None:
        """Forget every vector of this store."""
        shutil.rmtree(self.path, ignore_errors=True)

    # -- loading ------------------------------------------------------------------------------
    def _manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def _load(self, *, repair: bool) -> _State:
        empty = _State([], 1, None, {})
        try:
            manifest = json.loads(self._manifest_path().read_text(encoding="utf-8"))
            ok = (
                isinstance(manifest, dict)
                and manifest.get("version") == STORE_VERSION
                and manifest.get("key") == self.key.as_dict()
                and manifest.get("dims") == self.dims
                and isinstance(manifest.get("chunks"), list)
            )
        except (OSError, ValueError):
            manifest, ok = None, False
        if not ok:
            if repair:
                self._reset()
            return empty
        state = _State([], int(manifest.get("next", 1)), manifest.get("matrix"), {})
        broken = False
        for chunk in manifest["chunks"]:
            try:
                name, rows = str(chunk["name"]), int(chunk["rows"])
                keys = (self.path / f"{name}.keys").read_bytes()
                shape = np.load(self.path / f"{name}.npy", mmap_mode="r").shape
                if len(keys) != rows * KEY_BYTES or shape != (rows, self.dims):
                    raise ValueError(name)
            except (OSError, ValueError, KeyError, TypeError):
                broken = True  # this chunk's vectors are lost; the others stay
                continue
            position = len(state.chunks)
            state.chunks.append({"name": name, "rows": rows})
            state.where.update(
                zip((keys[i : i + KEY_BYTES] for i in range(0, rows * KEY_BYTES, KEY_BYTES)), zip([position] * rows, range(rows)))
            )
        if repair:
            if broken:
                state.matrix = None
                self._save_manifest(state)
            self._remove_strays(state)
        return state

    def _reset(self) -> None:
        if self.path.exists():
            for entry in self.path.iterdir():
                if entry.name != ".lock":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink(missing_ok=True)
        self.path.mkdir(parents=True, exist_ok=True)
        self._save_manifest(_State([], 1, None, {}))

    def _remove_strays(self, state: _State) -> None:
        """Delete chunk files no manifest entry names and temporary files of a killed run."""
        named = {c["name"] for c in state.chunks}
        for entry in self.path.iterdir():
            stem, suffix = entry.name.rsplit(".", 1)[0], entry.suffix
            if entry.name.endswith(".tmp") or (suffix in (".npy", ".keys") and stem.startswith("c") and stem not in named):
                entry.unlink(missing_ok=True)

    # -- writing ------------------------------------------------------------------------------
    def _commit_chunk(self, state: _State, keys: list[bytes], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        assert vectors.shape == (len(keys), self.dims), vectors.shape
        name = f"c{state.next:06d}"
        _atomic_write(self.path / f"{name}.npy", lambda f: np.save(f, vectors, allow_pickle=False))
        _atomic_write(self.path / f"{name}.keys", lambda f: f.write(b"".join(keys)))
        position = len(state.chunks)
        state.chunks.append({"name": name, "rows": len(keys)})
        state.next += 1
        for row, k in enumerate(keys):
            state.where[k] = (position, row)
        self._save_manifest(state)

    def _save_manifest(self, state: _State) -> None:
        manifest = {
            "version": STORE_VERSION,
            "key": self.key.as_dict(),
            "dims": self.dims,
            "chunks": state.chunks,
            "next": state.next,
            "matrix": state.matrix,
        }
        text = json.dumps(manifest, indent=1)
        _atomic_write(self._manifest_path(), lambda f: f.write(text.encode("utf-8")))

    def _gather(self, state: _State, keys: Sequence[bytes], out: np.ndarray) -> None:
        """`out[i]` = the stored vector of `keys[i]`, reading each chunk once."""
        if not keys:
            return
        where = np.array([state.where[k] for k in keys], dtype=np.int64).reshape(-1, 2)
        order = np.argsort(where[:, 0], kind="stable")
        chunks = where[order, 0]
        bounds = np.flatnonzero(np.diff(chunks)) + 1
        for part in np.split(order, bounds):
            position = int(where[part[0], 0])
            data = np.load(self.path / f"{state.chunks[position]['name']}.npy", mmap_mode="r")
            out[part] = data[where[part, 1]]

    def _compact(self, state: _State, live: list[bytes]) -> None:
        """Rewrite the live rows into fresh chunks, then drop the old ones."""
        old = list(state.chunks)
        fresh = _State([], state.next, None, {})
        for first in range(0, len(live), self.chunk_rows):
            part = live[first : first + self.chunk_rows]
            data = np.empty((len(part), self.dims), dtype=np.float32)
            self._gather(state, part, data)
            name = f"c{fresh.next:06d}"
            _atomic_write(self.path / f"{name}.npy", lambda f, d=data: np.save(f, d, allow_pickle=False))
            _atomic_write(self.path / f"{name}.keys", lambda f, p=part: f.write(b"".join(p)))
            fresh.chunks.append({"name": name, "rows": len(part)})
            for row, k in enumerate(part):
                fresh.where[k] = (len(fresh.chunks) - 1, row)
            fresh.next += 1
        self._save_manifest(fresh)  # the switch: from here on the old chunks are strays
        for chunk in old:
            for suffix in (".npy", ".keys"):
                (self.path / f"{chunk['name']}{suffix}").unlink(missing_ok=True)
        state.chunks, state.next, state.matrix, state.where = fresh.chunks, fresh.next, None, fresh.where

    def _matrix(self, state: _State, keys: list[bytes]) -> np.ndarray:
        """The search matrix for `keys` in order, reused when the stored one has that order."""
        if not keys:
            return np.zeros((0, self.dims), dtype=np.float32)
        order = _order_of(keys)
        target = self.path / "matrix.npy"
        current = state.matrix or {}
        if current.get("order") == order and current.get("rows") == len(keys):
            try:
                matrix = np.load(target, mmap_mode="r")
                if matrix.shape == (len(keys), self.dims) and matrix.dtype == np.float32:
                    return matrix
            except (OSError, ValueError):
                pass
        tmp = self.path / f".matrix.{os.getpid()}.npy.tmp"
        try:
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(len(keys), self.dims))
            self._gather(state, keys, out)
            out.flush()
            del out
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.path)
        state.matrix = {"order": order, "rows": len(keys)}
        self._save_manifest(state)
        _remove_approximate(self.path, keep=order)  # an index of another order is of no use now
        return np.load(target, mmap_mode="r")

    # -- locking ------------------------------------------------------------------------------
    def _locked(self, cancel: Cancel):
        return _store_lock(self.path, cancel)


@contextmanager
def _store_lock(folder: Path, cancel: Cancel) -> Iterator[None]:
    """One process (and thread) at a time writes a store; a waiting call sees its cancel."""
    from filelock import FileLock, Timeout

    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / ".lock"))
    while True:
        try:
            lock.acquire(timeout=-1 if cancel is None else 0.1)
            break
        except Timeout:
            raise_if_cancelled(cancel)
    try:
        yield
    finally:
        lock.release()


def _order_of(keys: Sequence[bytes]) -> str:
    """The digest of a matrix's row order: the SHA-1 of its rows' text keys, in order."""
    return hashlib.sha1(b"".join(keys)).hexdigest()


def _approximate_path(folder: Path, order: str) -> Path:
    return folder / f"{ANN_PREFIX}{order}.faiss"


def _remove_approximate(folder: Path, *, keep: str | None = None) -> None:
    """Delete the approximate indexes of other matrices than the one of order `keep`."""
    wanted = None if keep is None else _approximate_path(folder, keep).name
    for entry in folder.glob(f"{ANN_PREFIX}*.faiss"):
        if entry.name != wanted:
            try:
                entry.unlink(missing_ok=True)
            except OSError:  # still mapped by a process where that forbids it: the next change removes it
                pass


def _approximate_index(folder: Path, order: str, matrix: np.ndarray, ids, cancel: Cancel) -> ApproximateIndex:
    """The stored approximate index of the matrix of order `order`, or a new one built and
    stored atomically (under the store's lock, so two processes build it once)."""
    path = _approximate_path(folder, order)
    with _store_lock(folder, cancel):
        if path.exists():
            try:
                return ApproximateIndex.read(path, matrix, ids)
            except (OSError, ValueError):
                path.unlink(missing_ok=True)  # unreadable or for another shape: build it again
        index = ApproximateIndex.build(matrix, ids, on_batch=_check(cancel))
        _atomic_write(path, index.write)
        _remove_approximate(folder, keep=order)
    return index


def _check(cancel: Cancel):
    """A between-batches callback that stops a build (EmbedCancelled) once `cancel` says so."""
    if cancel is None:
        return None
    return lambda done, total: raise_if_cancelled(cancel)


def embed_corpus(
    passages,
    embedder,
    *,
    corpus: str | os.PathLike,
    root: str | os.PathLike | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    batch_size: int | None = None,
    cancel: Cancel = None,
    progress: OnProgress = None,
) -> CorpusVectors:
    """The vectors of `passages` (row i is passage i), embedding only what the cache lacks.
    `corpus` names the corpus (its resolved path, or a collection's name)."""
    store = VectorStore.for_embedder(corpus, embedder, root=root, chunk_rows=chunk_rows)
    return store.sync(passage_texts(passages), embedder, batch_size=batch_size, cancel=cancel, progress=progress)


def _atomic_write(path: Path, write: Callable) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
