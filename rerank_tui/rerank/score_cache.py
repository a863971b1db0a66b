"""A persistent score cache, and a reranker wrapper that asks its backend only for misses.

Scores live in SQLite at `cache_dir()/scores.sqlite`, keyed by a SHA-1 of (model identity,
max_length, instruction, query, SHA-1 of the document text); an HTTP backend's identity
names its server's URL as well as the model (`http:MODEL@URL`), so two servers serving
different checkpoints under one name never share scores (entries written before the URL was
part of it are simply never hit again, and age out). Rows are evicted oldest first
when the table passes `max_rows`. WAL mode and a busy timeout let two processes (two TUIs, a
TUI and a benchmark) share the file. The cache is rebuildable: a file SQLite cannot read is
deleted and created afresh, and a cache that cannot be opened at all only costs speed.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .base import BaseReranker, Call, Ranking, Reranker, RerankStats, rank_scores
from .prompt import resolve_instruction

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
DEFAULT_MAX_ROWS = 2_000_000  # ~100 MB


def cache_key(identity: str, max_length: int, instruction: str | None, query: str, document: str) -> bytes:
    return cache_keys(identity, max_length, instruction, query, [document])[0]


def cache_keys(identity: str, max_length: int, instruction: str | None, query: str, documents: Sequence[str]) -> list[bytes]:
    """SHA-1 of (identity, max_length, instruction, query, SHA-1 of the document), joined by
    NUL, for each document; the common prefix is hashed once per call."""
    prefix = hashlib.sha1(
        "\x00".join((identity, str(max_length), resolve_instruction(instruction), query, "")).encode("utf-8", "surrogatepass")
    )
    keys = []
    for document in documents:
        h = prefix.copy()
        h.update(hashlib.sha1(document.encode("utf-8", "surrogatepass")).hexdigest().encode("ascii"))
        keys.append(h.digest())
    return keys


class ScoreCache:
    """key -> score in one SQLite file. Thread-safe; every method tolerates a broken file."""

    def __init__(self, path: str | Path | None = None, *, max_rows: int = DEFAULT_MAX_ROWS):
        if path is None:
            from rerank_tui.paths import cache_dir

            path = cache_dir() / "scores.sqlite"
        self.path = Path(path)
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._disabled = False

    # -- connection ---------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._disabled:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open_patiently()
            except sqlite3.DatabaseError as error:
                if isinstance(error, sqlite3.OperationalError):
                    raise
                log.warning("score cache %s is unreadable (%s): rebuilding it", self.path, error)
                self._discard()
                self._db = self._open_patiently()
        except (OSError, sqlite3.Error) as error:
            log.warning("score cache %s disabled: %s", self.path, error)
            self._disabled = True
        return self._db

    def _open_patiently(self) -> sqlite3.Connection:
        """Open; while another process holds the file during its own first open, wait."""
        deadline = time.monotonic() + 10.0
        while True:
            try:
                return self._open()
            except sqlite3.OperationalError as error:
                busy = "locked" in str(error) or "busy" in str(error)
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS scores (key BLOB PRIMARY KEY, score REAL NOT NULL)")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            (version,) = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if version != str(SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
            db.execute("SELECT count(*) FROM scores WHERE rowid < 0").fetchone()  # touches the pages
        except BaseException:
            db.close()
            raise
        return db

    def _discard(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _run(self, work: Callable[[sqlite3.Connection], object], default):
        """Run `work` on the connection; on a corrupt file, rebuild once and retry."""
        with self._lock:
            for _attempt in (0, 1):
                db = self._connect()
                if db is None:
                    return default
                try:
                    return work(db)
                except sqlite3.OperationalError as error:  # locked too long, disk full, ...
                    log.warning("score cache %s: %s", self.path, error)
                    return default
                except sqlite3.DatabaseError as error:  # malformed, not a database
                    log.warning("score cache %s is corrupt (%s): rebuilding it", self.path, error)
                    self._discard()
            return default

    # -- public -------------------------------------------------------------------------------
    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, float]:
        def work(db):
            found = {}
            for start in range(0, len(keys), 500):  # SQLite's host-parameter limit
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(db.execute(f"SELECT key, score FROM scores WHERE key IN ({marks})", chunk))
            return found

        return self._run(work, {}) if keys else {}

    def put_many(self, items: Iterable[tuple[bytes, float]]) -> None:
        rows = list(items)
        if not rows:
            return

        def work(db):
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO scores (key, score) VALUES (?, ?)", rows)
                # rowids grow with each insert, so the span bounds the row count in O(log n).
                low, high = db.execute("SELECT min(rowid), max(rowid) FROM scores").fetchone()
                if high - low + 1 > self.max_rows:  # keep the newest 90%: evict in bulk
                    db.execute("DELETE FROM scores WHERE rowid <= ?", (high - int(self.max_rows * 0.9),))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        self._run(work, None)

    def __len__(self) -> int:
        return self._run(lambda db: db.execute("SELECT count(*) FROM scores").fetchone()[0], 0)

    def clear(self) -> None:
        self._run(lambda db: db.execute("DELETE FROM scores"), None)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class CachedReranker(BaseReranker):
    """Serves known scores from the cache and sends only the misses (deduplicated) on.

    It holds no lock of its own (`thread_safe`: the cache is thread-safe and the backend
    serializes its model), so hits are served while the backend is busy with another call;
    only a call with misses waits (and calls its `on_wait`)."""

    thread_safe = True

    def __init__(self, backend: Reranker, cache: ScoreCache | None = None):
        super().__init__()
        self.backend = backend
        self.cache = cache if cache is not None else ScoreCache()
        self.identity = backend.identity
        self.max_length = backend.max_length
        self.notes = tuple(getattr(backend, "notes", ()))
        self.score_label = getattr(backend, "score_label", "p(yes)")
        self.uses_instruction = getattr(backend, "uses_instruction", True)
        self.label = getattr(backend, "label", "") or ""

    @property
    def device(self) -> str:  # type: ignore[override]  # derived from the backend; never assigned on a wrapper
        return self.backend.device

    @property
    def parallel_calls(self) -> int:
        """`rank_many` runs as many calls at once as the backend takes (hits need no slot)."""
        return getattr(self.backend, "parallel_calls", 1)

    def _keys(self, instruction: str | None, query: str, documents: Sequence[str]) -> list[bytes]:
        # A backend that never sends the instruction scores alike under every one: one entry.
        key_instruction = instruction if self.uses_instruction else ""
        return cache_keys(self.identity, self.max_length, key_instruction, query, documents)

    def _score(self, query, documents, instruction, call: Call):
        stats = call.stats
        keys = self._keys(instruction, query, documents)
        known: dict[bytes, float | None] = dict(self.cache.get_many(keys))
        stats.cache_hits = sum(1 for k in keys if k in known)
        missing: dict[bytes, str] = {}
        for k, d in zip(keys, documents):
            if k not in known:
                missing.setdefault(k, d)
        stats.tokens = 0
        if missing:
            inner = self.backend.rank(query, list(missing.values()), instruction, cancel=call.cancel, on_wait=call.on_wait)
            stats.tokens, stats.batches, stats.waited = inner.stats.tokens, inner.stats.batches, inner.stats.waited
            new = dict(zip(missing, inner.scores(len(missing))))
            self.cache.put_many((k, s) for k, s in new.items() if s is not None)
            known.update(new)
        return [known[k] for k in keys]

    def peek(self, query: str, documents: Sequence[str], instruction: str | None = None) -> Ranking | None:
        """The ranking `rank()` would give when every score is cached, else None; never waits
        for or touches the model (for showing what is known at once)."""
        start = time.perf_counter()
        documents = list(documents)
        keys = self._keys(instruction, query, documents)
        known = self.cache.get_many(keys) if keys else {}
        if len(known) < len(set(keys)):
            return None
        stats = RerankStats(pairs=len(documents), cache_hits=len(documents), tokens=0)
        results = rank_scores([known[k] for k in keys])
        stats.seconds = time.perf_counter() - start
        return Ranking(results, stats)

    def close(self) -> None:
        self.backend.close()
        self.cache.close()
