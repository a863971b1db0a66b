"""Persist BM25 indexes in the user's cache directory; reopen instead of rebuilding.

Layout: `<cache>/indexes/<source>/<build>/` where `<source>` names the corpus path and
`<build>` hashes everything the index depends on: the corpus fingerprint (relative paths,
sizes, mtimes; see `corpus_fingerprint`), corpus options, tokenizer version and settings,
engine and BM25 parameters. Any change gives a new key and a rebuild; older builds of the
same source are then removed. A folder's entry also records each file's size, mtime and
passage count (`manifest`), so `refresh.refresh_index` can re-read only what changed. A cache entry is written to a temporary folder and renamed
into place, so a crash or a second process never leaves a half-written index behind; an
unreadable entry is rebuilt, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rerank_tui.corpus import Corpus, CorpusOptions, Skipped, corpus_fingerprint, detect_kind, load_corpus
from rerank_tui.corpus.loader import folder_entries, folder_fingerprint
from rerank_tui.corpus.model import count_reasons
from rerank_tui.paths import cache_dir
from rerank_tui.recall.engines import BM25Params, Bm25sEngine, Engine, RankBm25Engine
from rerank_tui.recall.index import Index, index_text
from rerank_tui.recall.manifest import FileManifest
from rerank_tui.recall.passage_store import StoredPassages, save_passages
from rerank_tui.recall.tokenize import Tokenizer

STORE_VERSION = "3"  # 3: own BM25 matrix + term counts, per-file manifest


@dataclass
class CorpusStats:
    source: str
    kind: str
    passages: int
    files_read: int
    skipped: list[Skipped] = field(default_factory=list)

    def skipped_by_reason(self) -> dict[str, int]:
        return count_reasons(self.skipped)

    @classmethod
    def of(cls, corpus: Corpus) -> CorpusStats:
        return cls(str(corpus.source), corpus.kind, len(corpus.passages), corpus.files_read, list(corpus.skipped))


@dataclass
class OpenedIndex:
    index: Index
    stats: CorpusStats
    built: bool  # False when loaded from the cache
    seconds: float
    location: Path
    # What `refresh.refresh_index` needs to bring the index up to date (set by `open_index`).
    source: Path | None = None
    options: CorpusOptions = CorpusOptions()
    use_cache: bool = True
    manifest: FileManifest | None = None  # folder corpora; read from `location` when None


def _hash(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def source_dir(source: Path) -> Path:
    resolved = Path(source).resolve()
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in resolved.name)[:40] or "root"
    return cache_dir() / "indexes" / f"{name}-{_hash(str(resolved))}"


def open_index(
    source: str | os.PathLike,
    *,
    options: CorpusOptions = CorpusOptions(),
    engine: str = "bm25s",
    params: BM25Params = BM25Params(),
    tokenizer: Tokenizer | None = None,
    rebuild: bool = False,
    use_cache: bool = True,
    progress=None,
    build_in_child: bool = False,
) -> OpenedIndex:
    """Load the cached index of `source` if it is still current, else build and cache it.

    `build_in_child`: a build runs in a child process that writes the cache entry, which is
    then opened here (`child_build.py`: the app stays responsive while a large corpus builds);
    only with the cache, the bm25s engine and the default tokenizer, else it builds here.
    Raises `CorpusError` for a missing or empty corpus.
    """
    started = time.perf_counter()
    tokenizer = tokenizer or Tokenizer()
    source = Path(source)
    entries = folder_entries(source, options) if detect_kind(source) == "folder" else None
    fingerprint = corpus_fingerprint(source, options) if entries is None else folder_fingerprint(entries, options)
    home, key = source_dir(source), entry_key(fingerprint, tokenizer, engine, params)
    entry = home / key
    resolved = source.resolve()
    if use_cache and not rebuild and entry.is_dir():
        loaded = _load(entry, engine, params, tokenizer)
        if loaded is not None:
            index, stats = loaded
            return OpenedIndex(
                index, stats, False, time.perf_counter() - started, entry, resolved, options, use_cache
            )
    if build_in_child and use_cache and engine == "bm25s" and tokenizer == Tokenizer():
        from rerank_tui.recall.child_build import build_in_child as build_apart

        build_apart(source, options=options, engine=engine, params=params, rebuild=rebuild, progress=progress)
        loaded = _load(entry, engine, params, tokenizer) if entry.is_dir() else None
        if loaded is not None:  # else the files changed meanwhile (another key): build here
            index, stats = loaded
            return OpenedIndex(index, stats, True, time.perf_counter() - started, entry, resolved, options, use_cache)
    corpus = load_corpus(source, options, progress=progress, entries=entries)
    index = Index.build(corpus.passages, engine=engine, params=params, tokenizer=tokenizer, progress=progress)
    stats = CorpusStats.of(corpus)
    manifest = None if entries is None else FileManifest.of(entries, corpus.passages, corpus.skipped)
    if use_cache:
        save_entry(home, key, index, stats, manifest)
    return OpenedIndex(index, stats, True, time.perf_counter() - started, entry, resolved, options, use_cache, manifest)


def entry_key(fingerprint: str, tokenizer: Tokenizer, engine: str, params: BM25Params) -> str:
    """The cache entry name of an index: everything it depends on, hashed."""
    return _hash(STORE_VERSION, fingerprint, tokenizer.cache_key(), engine, params.cache_key())


def save_entry(home: Path, key: str, index: Index, stats: CorpusStats, manifest: FileManifest | None = None) -> None:
    """Write the cache entry `home/key` atomically; other entries of the source are removed."""
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".{key}.tmp-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        save_passages(index.passages, tmp)
        index.engine.save(tmp)
        if manifest is not None:
            manifest.save(tmp)
        meta = {
            "version": STORE_VERSION,
            "engine": index.engine.name,
            "source": stats.source,
            "kind": stats.kind,
            "passages": stats.passages,
            "files_read": stats.files_read,
            "skipped": [[s.path, s.reason, s.detail] for s in stats.skipped],
            "created": time.time(),
        }
        # meta.json last: its presence marks a complete entry.
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        entry = home / key
        old = home / f".old-{key}-{os.getpid()}-{threading.get_ident()}"
        if entry.exists():  # a forced rebuild: move the old entry aside, then replace it
            try:
                os.rename(entry, old)
            except OSError:
                pass
        try:
            os.rename(tmp, entry)
        except OSError:
            return  # another process stored the same build first; ours is redundant
        # An open index may still map the files of an older entry: on POSIX they live on
        # until unmapped; where they cannot be removed (Windows) they are left behind.
        shutil.rmtree(old, ignore_errors=True)
        for sibling in home.iterdir():
            if sibling.name != key and not sibling.name.startswith("."):
                shutil.rmtree(sibling, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load(entry: Path, engine: str, params: BM25Params, tokenizer: Tokenizer):
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        if meta.get("version") != STORE_VERSION or meta.get("engine") != engine:
            return None
        passages = StoredPassages(entry)
        built: Engine
        if engine == "bm25s":
            built = Bm25sEngine.load(entry, params)
        else:
            tokens = [tokenizer.tokenize(index_text(p)) for p in passages]
            built = RankBm25Engine.build(tokens, params)
        skipped = [Skipped(*s) for s in meta["skipped"]]
        stats = CorpusStats(meta["source"], meta["kind"], len(passages), meta["files_read"], skipped)
    except Exception:  # noqa: BLE001 - any damage to a cache entry means: rebuild it
        shutil.rmtree(entry, ignore_errors=True)
        return None
    return Index(passages, built, tokenizer, params), stats
