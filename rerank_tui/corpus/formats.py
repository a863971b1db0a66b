"""Readers: a folder of files, or a JSONL file of records (plain or BEIR's corpus.jsonl)."""

from __future__ import annotations

import gzip
import json
import os
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from rerank_tui.corpus.chunking import split_passages
from rerank_tui.corpus.decode import Undecodable, decode_bytes
from rerank_tui.corpus.html_text import html_to_text
from rerank_tui.corpus.model import CorpusError, CorpusOptions, Skipped
from rerank_tui.corpus.passage import Passage
from rerank_tui.corpus.sniff import SNIFF_BYTES, binary_reason, extension, gzip_inner_name, kind_by_name
from rerank_tui.corpus.walk import FileEntry, display_path, encode_path, walk

Progress = Callable[[int, "int | None", str], None]
TITLE_SEPARATOR = " › "
ID_FIELDS = ("id", "_id")
TEXT_FIELDS = ("text", "contents", "body")
# An id must stay one token in TREC files and valid UTF-8 in YAML: no whitespace, controls or
# lone surrogates (JSON escapes can produce those).
_BAD_ID_CHAR = re.compile("[\\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass
class Read:
    """What a reader produced."""

    passages: list[Passage] = field(default_factory=list)
    files_read: int = 0
    skipped: list[Skipped] = field(default_factory=list)


class _Throttled:
    """Calls `progress` at most every `interval` seconds (and always for the final count)."""

    def __init__(self, progress: Progress | None, interval: float = 0.05) -> None:
        self.progress = progress
        self.interval = interval
        self.last = float("-inf")

    def __call__(self, done: int, total: int | None, current: str, *, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self.last >= self.interval:
            self.last = now
            self.progress(done, total, current)


# -- folders -------------------------------------------------------------------------------


def read_folder(
    root: str | os.PathLike,
    options: CorpusOptions,
    progress: Progress | None = None,
    items: list[FileEntry | Skipped] | None = None,
) -> Read:
    """Read every file of a folder; `items` is a walk of it already made (`walk(root, ...)`)."""
    items = list(walk(root, use_gitignore=options.gitignore)) if items is None else items
    total = sum(1 for i in items if isinstance(i, FileEntry))
    report = _Throttled(progress)
    out = Read()
    done = 0
    report(0, total, "")
    for item in items:
        if isinstance(item, Skipped):
            out.skipped.append(item)
            continue
        report(done, total, item.rel)
        result = read_file(item, options)
        done += 1
        if isinstance(result, Skipped):
            out.skipped.append(result)
        else:
            out.passages.extend(result)
            out.files_read += 1
    report(done, total, "", force=True)
    return out


def read_file(entry: FileEntry, options: CorpusOptions) -> list[Passage] | Skipped:
    """The passages of one file, or why it has none.

    A gzipped file (`notes.md.gz`, `ls.1.gz`, `CHANGELOG.gz`) is decompressed and read as the
    name inside says; the decompressed size has the same limit as a file's, so a decompression
    bomb is "too large" after at most that many bytes, and a corrupt one is "unreadable".
    """
    rel = entry.rel
    inner = gzip_inner_name(entry.name)
    kind = kind_by_name(inner or entry.name)
    if kind == "binary":
        return Skipped(rel, "binary", f".{extension(entry.name)} file")
    limit = options.max_file_bytes
    if entry.size > limit:
        return Skipped(rel, "too large", f"{entry.size} bytes, limit {limit}")
    data = _read_gzip(entry.path, rel, limit) if inner else _read_plain(entry.path, rel, limit)
    if isinstance(data, Skipped):
        return data
    if not data:
        return Skipped(rel, "empty", "0 bytes decompressed" if inner else "0 bytes")
    why = binary_reason(data[:SNIFF_BYTES])
    if why is not None:
        return Skipped(rel, "binary", why)
    try:
        text = decode_bytes(data)
    except Undecodable as exc:
        return Skipped(rel, "undecodable", str(exc))
    if kind == "html":
        text = html_to_text(text)
    if not text or text.isspace():
        return Skipped(rel, "empty", "whitespace only" if data else "0 bytes")
    spans = split_passages(text, options.max_passage_words, markdown=kind in ("markdown", "html"))
    name = display_path(entry.name)  # readable (spaces kept); controls and bad bytes escaped
    return [
        Passage(
            id=f"{rel}#{n}",
            doc=rel,
            title=TITLE_SEPARATOR.join((name, *span.headings)),
            text=text[span.start : span.end],
            start=span.start,
            end=span.end,
        )
        for n, span in enumerate(spans, start=1)
    ]


def _read_plain(path: str, rel: str, limit: int) -> bytes | Skipped:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        return Skipped(rel, "unreadable", exc.strerror or str(exc))
    if len(data) > limit:  # grew since the walk
        return Skipped(rel, "too large", f"over {limit} bytes")
    return data


def _read_gzip(path: str, rel: str, limit: int) -> bytes | Skipped:
    try:
        fh = open(path, "rb")
    except OSError as exc:
        return Skipped(rel, "unreadable", exc.strerror or str(exc))
    with fh:
        try:
            with gzip.GzipFile(fileobj=fh, mode="rb") as unzipped:
                data = unzipped.read(limit + 1)  # bounded: never more than limit + 1 bytes
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            return Skipped(rel, "unreadable", f"corrupt gzip: {exc}")
    if len(data) > limit:
        return Skipped(rel, "too large", f"over {limit} bytes decompressed, limit {limit}")
    return data


# -- JSONL ---------------------------------------------------------------------------------


class BadRecord(ValueError):
    pass


def _field(record: dict, names: tuple[str, ...], what: str) -> str | None:
    for name in names:
        if name in record:
            value = record[name]
            if value is None:
                return ""
            if isinstance(value, str):
                return value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            raise BadRecord(f"{what} is not a string")
    return None


def _doc_id(record: dict) -> str:
    for name in ID_FIELDS:
        if name in record:
            value = record[name]
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise BadRecord(f"{name} must be a string or an integer")
            doc_id = str(value)
            if not doc_id:
                raise BadRecord(f"{name} is empty")
            if _BAD_ID_CHAR.search(doc_id):
                raise BadRecord(f"{name} {doc_id!r} contains whitespace or control characters")
            return doc_id
    raise BadRecord("no id (expected 'id' or '_id')")


def read_jsonl(path: str | os.PathLike, options: CorpusOptions, progress: Progress | None = None) -> Read:
    """Records with `id`/`_id`, `title` and `text`/`contents`/`body`, one JSON object a line.

    A bad line is skipped and reported ("bad record", with its line number), never fatal; a
    repeated id is a bad record (ids must stay unique for labels and qrels). A record with an
    empty text is kept, so the passages match the collection's documents one to one. Only an
    unreadable file as a whole is a CorpusError.
    """
    name = encode_path(os.path.basename(os.fspath(path)))
    report = _Throttled(progress)
    out = Read()
    seen: dict[str, int] = {}
    max_words = options.max_passage_words
    try:
        with open(path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    try:
                        record = json.loads(raw.decode("utf-8"))
                    except UnicodeDecodeError:
                        raise BadRecord("not valid UTF-8") from None
                    except json.JSONDecodeError as exc:
                        raise BadRecord(exc.msg) from None
                    except (ValueError, RecursionError) as exc:
                        raise BadRecord(str(exc) or "not JSON") from None
                    if not isinstance(record, dict):
                        raise BadRecord("not a JSON object")
                    doc_id = _doc_id(record)
                    title = _field(record, ("title",), "title") or ""
                    text = _field(record, TEXT_FIELDS, "text") or ""
                    if doc_id in seen:
                        raise BadRecord(f"duplicate id {doc_id!r} (first on line {seen[doc_id]})")
                except BadRecord as exc:
                    out.skipped.append(Skipped(name, "bad record", f"line {number}: {exc}"))
                    continue
                seen[doc_id] = number
                out.passages.extend(_record_passages(doc_id, title, text, options.split_records, max_words))
                out.files_read += 1
                report(out.files_read, None, doc_id)
    except OSError as exc:
        raise CorpusError(f"cannot read {display_path(path)}: {exc.strerror or exc}") from None
    report(out.files_read, None, "", force=True)
    return out


def _record_passages(doc_id: str, title: str, text: str, split: bool, max_words: int) -> list[Passage]:
    if split:
        spans = split_passages(text, max_words)
        if len(spans) > 1:
            return [
                Passage(f"{doc_id}#{n}", doc_id, title, text[s.start : s.end], s.start, s.end)
                for n, s in enumerate(spans, start=1)
            ]
    return [Passage(doc_id, doc_id, title, text, 0, len(text))]
