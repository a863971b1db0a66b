"""Bring an opened index up to date with its folder, re-reading only the files that changed.

`refresh_index(opened)` walks the folder (stat only), compares each file's (size, mtime_ns)
with what the index was built from (its `FileManifest`), re-reads and re-tokenizes only
added and changed files, drops removed files' passages, and returns a NEW `OpenedIndex`:
the old one is never modified, so a thread may keep searching it until the caller swaps
the reference. Scores are exact, equal to a fresh build of the new corpus: the index keeps
every passage's term counts and length, so N, df and avgdl are recounted and every weight is
recomputed (vectorized) from the spliced counts. Passages stay in walk order, as a fresh
build orders them, so ties break the same way too; positions (`Hit.index`) may shift, ids
(`rel/path#N`) do not.

Full rebuild instead (reported as `full_rebuild` with a `reason`): JSONL/BEIR corpora (one
file: re-read whole; an unchanged one is not), the rank-bm25 engine (no persisted counts),
or a missing, damaged or inconsistent manifest. An index not opened by `open_index`
(`OpenedIndex.source` unset) is a ValueError.

Persisting the new cache entry writes every passage text and array again (as long as saving
after a build: ~2.4 s at 100k passages in bench/recall.py); pass `persist=False` to swap
first and call `persist_refresh(result)` afterwards (in the same worker thread, say).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rerank_tui.corpus import CorpusError, Skipped, corpus_fingerprint, detect_kind
from rerank_tui.corpus.loader import folder_entries, folder_fingerprint, read_entries
from rerank_tui.corpus.passage import Passage
from rerank_tui.corpus.walk import FileEntry, display_path
from rerank_tui.recall.counting import ChunkCounter
from rerank_tui.recall.engines import Bm25sEngine
from rerank_tui.recall.index import Index, passage_ids
from rerank_tui.recall.manifest import FileManifest, FileRecord
from rerank_tui.recall.passage_store import SplicedPassages
from rerank_tui.recall.postings import Chunk
from rerank_tui.recall.store import CorpusStats, OpenedIndex, entry_key, open_index, save_entry, source_dir


@dataclass
class RefreshResult:
    opened: OpenedIndex  # the up-to-date index (the same object when nothing changed)
    files_added: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    passages_added: int = 0  # passages of added and changed files, as now read
    passages_removed: int = 0  # passages of changed and removed files, as before
    full_rebuild: bool = False
    reason: str = ""  # why a full rebuild, when one was made
    seconds: float = 0.0  # until `opened` was ready (persisting excluded)
    persist_seconds: float | None = None  # None while not persisted
    _key: str = field(default="", repr=False)

    @property
    def changed(self) -> bool:
        return self.opened is not None and (
            self.full_rebuild or bool(self.files_added or self.files_changed or self.files_removed)
        )


def refresh_index(opened: OpenedIndex, *, persist: bool = True, progress=None) -> RefreshResult:
    """An index of `opened.source` as it is now (see the module docstring).

    Raises `CorpusError` when the source is gone or no longer gives any passage.
    """
    started = time.perf_counter()
    source = opened.source
    if source is None:
        raise ValueError("this index was not opened from a source (OpenedIndex.source is None)")
    index = opened.index
    engine = index.engine
    reason = ""
    if detect_kind(source) != "folder":
        fingerprint = corpus_fingerprint(source, opened.options)
        if entry_key(fingerprint, index.tokenizer, engine.name, index.params) == opened.location.name:
            return RefreshResult(opened, seconds=time.perf_counter() - started)
        reason = "a JSONL/BEIR corpus is re-read whole"
    elif not isinstance(engine, Bm25sEngine):
        reason = f"the {engine.name} engine keeps no term counts"
    manifest = opened.manifest
    if not reason and manifest is None:
        try:
            manifest = FileManifest.load(opened.location)
        except (OSError, ValueError, TypeError, KeyError):
            return _full(opened, "no usable per-file manifest in the cache entry", started, progress, rebuild=True)
    if reason or manifest is None or not isinstance(engine, Bm25sEngine):
        return _full(opened, reason, started, progress)

    entries = folder_entries(source, opened.options)
    key = entry_key(folder_fingerprint(entries, opened.options), index.tokenizer, engine.name, index.params)
    if key == opened.location.name:
        return RefreshResult(opened, seconds=time.perf_counter() - started, _key=key)
    runs = manifest.runs()
    if not _matches(manifest, runs, index):
        return _full(opened, "the manifest does not match the index", started, progress, rebuild=True)
    result = RefreshResult(opened)

    # Which files to read again: new ones and those whose size or mtime changed.
    files = [e for e in entries if isinstance(e, FileEntry)]
    stale = [e for e in files if not _same(runs.get(e.rel), e)]
    fresh = dict(zip((e.rel for e in stale), read_entries(stale, opened.options)))
    present = {e.rel for e in files}
    for e in stale:
        (result.files_changed if e.rel in runs else result.files_added).append(e.rel)
    result.files_removed = [f.rel for f in manifest.files if f.rel not in present]
    result.passages_removed = sum(runs[rel][0].passages for rel in result.files_removed + result.files_changed)

    # The new corpus in walk order: runs of kept passages and the re-read files' passages.
    counter = ChunkCounter(index.tokenizer)
    blocks: list[tuple[int, int] | Chunk] = []
    pieces: list[tuple[Sequence[Passage], int, int]] = []
    records: list[FileRecord] = []
    skipped: list[Skipped] = []
    files_read = 0
    for item in entries:
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        got = fresh.get(item.rel)
        if got is None:  # unchanged
            record, start = runs[item.rel]
            blocks.append((start, start + record.passages))
            pieces.append((index.passages, start, start + record.passages))
            records.append(record)
        elif isinstance(got, Skipped):
            record = FileRecord(item.rel, item.size, item.mtime_ns, 0, got)
            records.append(record)
        else:
            blocks.append(counter.count(got))
            pieces.append((got, 0, len(got)))
            record = FileRecord(item.rel, item.size, item.mtime_ns, len(got))
            records.append(record)
            result.passages_added += len(got)
        if record.skipped is not None:
            skipped.append(record.skipped)
        elif record.passages:
            files_read += 1
    passages = SplicedPassages(pieces)
    if not len(passages):
        raise CorpusError(f"no passages in {display_path(source)} any more")

    postings = engine.postings.splice(blocks, engine.vocab)
    new_index = Index(passages, Bm25sEngine.from_postings(postings, index.params), index.tokenizer, index.params)
    stats = CorpusStats(str(source), "folder", len(passages), files_read, skipped)
    result.opened = OpenedIndex(
        new_index,
        stats,
        False,
        time.perf_counter() - started,
        source_dir(source) / key,
        source=source,
        options=opened.options,
        use_cache=opened.use_cache,
        manifest=FileManifest(records),
    )
    result.seconds = time.perf_counter() - started
    result._key = key
    if persist:
        persist_refresh(result)
    return result


def persist_refresh(result: RefreshResult) -> float:
    """Write the refreshed index as the source's cache entry (atomically); its seconds.

    Does nothing for an index opened without the cache, or one a full rebuild already saved.
    """
    opened = result.opened
    if not opened.use_cache or result.full_rebuild or not result.changed or opened.source is None:
        result.persist_seconds = 0.0
        return 0.0
    started = time.perf_counter()
    save_entry(source_dir(opened.source), result._key, opened.index, opened.stats, opened.manifest)
    result.persist_seconds = time.perf_counter() - started
    return result.persist_seconds


def _matches(manifest: FileManifest, runs: dict[str, tuple[FileRecord, int]], index: Index) -> bool:
    """Every file's run of passages holds that file's passages (ids `rel#N`), end to end."""
    if sum(f.passages for f in manifest.files) != len(index.passages):
        return False
    ids = passage_ids(index.passages)
    for record, start in runs.values():
        if record.passages and not (
            ids[start].rpartition("#")[0] == record.rel == ids[start + record.passages - 1].rpartition("#")[0]
        ):
            return False
    return True


def _same(run: tuple[FileRecord, int] | None, entry: FileEntry) -> bool:
    return run is not None and run[0].size == entry.size and run[0].mtime_ns == entry.mtime_ns


def _full(opened: OpenedIndex, reason: str, started: float, progress, rebuild: bool = False) -> RefreshResult:
    """`open_index` again: it reuses the cache entry if the corpus is unchanged (unless
    `rebuild`: the entry's key matches but its manifest is unusable)."""
    index = opened.index
    assert opened.source is not None
    new = open_index(
        opened.source,
        options=opened.options,
        engine=index.engine.name,
        params=index.params,
        tokenizer=index.tokenizer,
        rebuild=rebuild,
        use_cache=opened.use_cache,
        progress=progress,
    )
    old_ids, new_ids = set(passage_ids(index.passages)), set(passage_ids(new.index.passages))
    rebuilt = new.built
    result = RefreshResult(
        new if rebuilt or new.location != opened.location else opened,
        passages_added=len(new_ids - old_ids),
        passages_removed=len(old_ids - new_ids),
        full_rebuild=rebuilt,
        reason=reason if rebuilt else "",
        seconds=time.perf_counter() - started,
        persist_seconds=0.0 if rebuilt else None,
    )
    return result
