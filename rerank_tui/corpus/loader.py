"""Entry points: what a path is, load it into passages, fingerprint it cheaply for caches."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from rerank_tui.corpus.formats import Progress, read_file, read_folder, read_jsonl
from rerank_tui.corpus.passage import Passage
from rerank_tui.corpus.model import Corpus, CorpusError, CorpusOptions, Skipped, count_reasons
from rerank_tui.corpus.walk import FileEntry, display_path, walk

# Bump when the same files would give different passages (chunking, decoding, id rules), so
# every index cache keyed by the fingerprint is rebuilt.
CORPUS_FORMAT = "2"  # 2: .gitignore honoured, HTML main content only, .gz read
# A folder holding one of these is a test collection, not a folder of documents: BEIR's
# corpus.jsonl, or docs.jsonl beside queries.jsonl and qrels (the layout of shared/eval).
COLLECTION_FILES = ("corpus.jsonl", "docs.jsonl")


def detect_kind(path: str | os.PathLike) -> str:
    """"beir" (a folder holding corpus.jsonl or docs.jsonl), "jsonl" (a *.jsonl file) or "folder"."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise CorpusError(f"{display_path(path)} does not exist") from None
    except OSError as exc:
        raise CorpusError(f"cannot open {display_path(path)}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        return "beir" if any((path / name).is_file() for name in COLLECTION_FILES) else "folder"
    if stat.S_ISREG(st.st_mode) and path.suffix.lower() == ".jsonl":
        return "jsonl"
    raise CorpusError(f"{display_path(path)} is not a folder or a .jsonl file")


def _records_file(source: Path, kind: str) -> Path:
    if kind != "beir":
        return source
    return next(source / name for name in COLLECTION_FILES if (source / name).is_file())


def load_corpus(
    path: str | os.PathLike,
    options: CorpusOptions = CorpusOptions(),
    progress: Progress | None = None,
    *,
    entries: list[FileEntry | Skipped] | None = None,
) -> Corpus:
    """Read a folder, a JSONL file or a BEIR folder into passages.

    `progress(done, total, current)` is called as files are processed (at most every 50 ms);
    `total` is None for JSONL. Raises CorpusError when the path is missing or not a corpus, or
    when nothing in it produced a passage. `entries`: a folder's walk already made
    (`folder_entries`), so a caller that fingerprinted it reads the same files.
    """
    kind = detect_kind(path)
    source = Path(path).resolve()
    if kind == "folder":
        read = read_folder(source, options, progress, items=entries)
    else:
        read = read_jsonl(_records_file(source, kind), options, progress)
    if not read.passages:
        raise CorpusError(f"no passages in {display_path(path)} ({_summary(read.skipped, kind)})")
    return Corpus(source, kind, read.passages, read.files_read, read.skipped)


def _summary(skipped: list[Skipped], kind: str) -> str:
    unit = "files" if kind == "folder" else "records"
    if not skipped:
        return f"no {unit} found"
    reasons = ", ".join(f"{reason} {n}" for reason, n in count_reasons(skipped).items())
    return f"{len(skipped)} {unit} skipped: {reasons}"


def corpus_fingerprint(path: str | os.PathLike, options: CorpusOptions = CorpusOptions()) -> str:
    """A hash that changes when any file is added, removed or modified, or options change.

    Stat-only (no document is read; only `.gitignore` files, which decide what is a document):
    relative path, size and mtime_ns of every candidate file, after the same walk rules as
    loading, plus the entries the walk reports (their path and reason), the options and
    CORPUS_FORMAT.
    """
    kind = detect_kind(path)
    source = Path(path).resolve()
    if kind == "folder":
        return folder_fingerprint(folder_entries(source, options), options)
    h = hashlib.sha256(f"{CORPUS_FORMAT}\0{kind}\0{options.cache_key()}\n".encode())
    records = _records_file(source, kind)
    try:
        st = records.stat()
    except OSError as exc:
        raise CorpusError(f"cannot read {display_path(records)}: {exc.strerror or exc}") from None
    h.update(f"{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode())
    return h.hexdigest()[:32]


# -- a folder file by file (incremental index updates) ------------------------------------


def folder_entries(path: str | os.PathLike, options: CorpusOptions = CorpusOptions()) -> list[FileEntry | Skipped]:
    """The walk of a folder corpus (stat only): its candidate files and reported entries, in
    the order loading reads them."""
    return list(walk(Path(path).resolve(), use_gitignore=options.gitignore))


def folder_fingerprint(entries: list[FileEntry | Skipped], options: CorpusOptions = CorpusOptions()) -> str:
    """`corpus_fingerprint` of a folder from its walk (`folder_entries`)."""
    h = hashlib.sha256(f"{CORPUS_FORMAT}\0folder\0{options.cache_key()}\n".encode())
    lines = []
    for item in entries:
        if isinstance(item, FileEntry):
            lines.append(f"F\0{item.rel}\0{item.size}\0{item.mtime_ns}\n")
        else:
            lines.append(f"S\0{item.path}\0{item.reason}\n")
    h.update("".join(lines).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def read_entries(entries: list[FileEntry], options: CorpusOptions = CorpusOptions()) -> list[list[Passage] | Skipped]:
    """The passages of each of these files of a folder corpus (or why it has none), read
    exactly as loading the whole folder reads them."""
    return [read_file(entry, options) for entry in entries]
