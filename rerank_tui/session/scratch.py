"""Pasted candidates: score documents against a query without a corpus, and show a pair's prompt.

What `rerank-tui score` prints and what the app's scratch screen shows:
- `score_documents`: the documents exactly as given (no title is added: they are not passages
  of a corpus), in the reranker's order (`rank()`, so a cascade keeps its own order), each
  with its position in the input (`index`, 0-based), p(yes) and rank (1-based);
- `pair_prompt`: the prompt the model reads for one (query, document) pair, formatted by
  rerank/prompt.py, with its token count and whether the document was cut to fit
  `max_length`. The tokenizer is the reranker's own where it exposes one (the transformers
  backend's `tokenizer`, also behind the score cache's `backend` and a cascade's `large`
  stage); without one (http, vLLM) the token count is None and so, unless the prompt surely
  fits, is `truncated`;
- `read_documents` / `parse_documents`: a documents file, one document per paragraph
  (blank-line separated) for `.txt`, one JSON object with a `text` string per line for
  `.jsonl`/`.ndjson`/`.json`, and for `-` (standard input) or any other name JSONL when the
  first non-blank line starts with `{`, else paragraphs. Paragraph lines are kept as they
  are: only their line breaks (`\\r\\n` too) become `\\n`. A blank document is refused.
  Limits: `MAX_DOCUMENTS` documents, `MAX_DOCUMENT_CHARS` per document, the import limits
  (judgment_readers) per line and file; every refusal is a `JudgmentFileError` naming the
  file and the line.
"""

from __future__ import annotations

import json
import os
import stat
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rerank_tui.rerank.base import Cancel, OnWait, Reranker, RerankStats
from rerank_tui.rerank.prompt import PREFIX, SUFFIX, body, fit_document, full_prompt
from rerank_tui.session.judgment_readers import (
    MAX_IMPORT_BYTES,
    STDIN,
    JudgmentFileError,
    Lines,
    _lines,
    input_name,
    open_text,
)

MAX_DOCUMENTS = 10_000  # documents per call: each is one forward pass
MAX_DOCUMENT_CHARS = 1 << 20  # one document (the model reads at most max_length tokens of it)
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
TEXT_SUFFIXES = (".txt",)


# -- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoredDocument:
    index: int  # position in the input, 0-based
    document: str  # exactly as given
    score: float | None  # p(yes); None when a cascade left it unscored
    rank: int  # 1-based


def score_documents(
    reranker: Reranker,
    query: str,
    documents: Sequence[str],
    instruction: str | None,
    *,
    cancel: Cancel = None,
    on_wait: OnWait = None,
) -> tuple[list[ScoredDocument], RerankStats]:
    """The documents best first, scored as given (no title added)."""
    documents = list(documents)
    ranking = reranker.rank(query, documents, instruction, cancel=cancel, on_wait=on_wait)
    scored = [
        ScoredDocument(r.index, documents[r.index], r.score, rank)
        for rank, r in enumerate(ranking.results, start=1)
    ]
    return scored, ranking.stats


# -- the prompt of a pair --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairPrompt:
    text: str  # the whole prompt string the model reads (prefix, body, suffix)
    document: str  # the document as the model reads it: cut when `truncated`
    tokens: int | None  # prompt tokens; None without a tokenizer
    truncated: bool | None  # the document was cut to fit; None: unknown (no tokenizer)
    max_length: int | None  # the reranker's prompt limit in tokens


def prompt_tokenizer(reranker) -> tuple[object, int] | None:
    """(tokenizer, max_length) of the model that reads the prompts, or None.

    Looks for a public `tokenizer` (the transformers backend's Hugging Face tokenizer; a
    `tokenizers.Tokenizer` is accepted too) on the reranker, then behind a score cache
    (`backend`) and a cascade (`large`, the model whose order is shown on top)."""
    seen = set()
    current = reranker
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        tokenizer = getattr(current, "tokenizer", None)
        if tokenizer is not None and _rust(tokenizer) is not None:
            return tokenizer, int(getattr(current, "max_length", 0) or 0)
        current = getattr(current, "backend", None) or getattr(current, "large", None)
    return None


_PLAIN: dict[int, tuple[weakref.ref, object]] = {}  # id(tokenizer) → (the tokenizer, its plain copy)


def _encoder(tokenizer):
    """`text → (ids, offsets)` without special tokens, padding or truncation; None when the
    object is no tokenizer this knows (transformers' fast tokenizer, or `tokenizers.Tokenizer`).

    Encodes with a private copy of the Rust tokenizer, made once per tokenizer, as the
    transformers backend does: the shared one may carry a caller's padding or truncation, and
    the Hugging Face wrapper logs a warning past its model_max_length."""
    rust = _rust(tokenizer)
    if rust is None:
        return None
    entry = _PLAIN.get(id(tokenizer))
    if entry is None or entry[0]() is not tokenizer:
        from tokenizers import Tokenizer

        plain = Tokenizer.from_str(rust.to_str())
        plain.no_padding()
        plain.no_truncation()
        for key in [k for k, (ref, _) in _PLAIN.items() if ref() is None]:
            del _PLAIN[key]
        try:
            entry = (weakref.ref(tokenizer), plain)
        except TypeError:  # no weak references: do not keep it
            return _encode_with(plain)
        _PLAIN[id(tokenizer)] = entry
    return _encode_with(entry[1])


def _rust(tokenizer):
    """The `tokenizers.Tokenizer` of a tokenizer, or None."""
    rust = getattr(tokenizer, "backend_tokenizer", tokenizer)
    return rust if hasattr(rust, "to_str") and hasattr(rust, "encode_batch") else None


def _encode_with(plain):
    def encode(text: str):
        enc = plain.encode(text, add_special_tokens=False)
        return enc.ids, enc.offsets

    return encode


def pair_prompt(reranker, query: str, document: str, instruction: str | None = None) -> PairPrompt:
    """The prompt of (query, document) as the model reads it.

    With the reranker's tokenizer the document is cut exactly as the backend cuts it
    (`prompt.fit_document` within max_length minus the prefix and suffix tokens), and
    `tokens` counts prefix + body + suffix as the backend encodes them. Raises
    `PromptTooLongError` when the instruction and query alone do not fit, as scoring would."""
    found = prompt_tokenizer(reranker)
    if found is None:
        max_length = int(getattr(reranker, "max_length", 0) or 0) or None
        # A byte-level BPE token covers at least one byte: a prompt of at most max_length
        # bytes surely fits; past that only a tokenizer can tell.
        text = full_prompt(query, document, instruction)
        fits = max_length is not None and len(text.encode("utf-8", "surrogatepass")) <= max_length
        return PairPrompt(text, document, None, False if fits else None, max_length)
    tokenizer, max_length = found
    encode = _encoder(tokenizer)
    n_prefix, n_suffix = len(encode(PREFIX)[0]), len(encode(SUFFIX)[0])
    if max_length > 0:
        fitted, ids = fit_document(encode, query, document, instruction, max_length - n_prefix - n_suffix)
    else:  # no limit known: nothing is cut
        fitted, ids = document, list(encode(body(query, document, instruction))[0])
    return PairPrompt(
        full_prompt(query, fitted, instruction),
        fitted,
        n_prefix + len(ids) + n_suffix,
        fitted != document,
        max_length or None,
    )


# -- documents files -------------------------------------------------------------------------


def check_document(path, number: int, document: str) -> str:
    """`document`, refused when blank or longer than MAX_DOCUMENT_CHARS."""
    if not document.strip():
        raise JudgmentFileError(path, number, "the document is empty")
    if len(document) > MAX_DOCUMENT_CHARS:
        raise JudgmentFileError(path, number, f"the document is longer than {MAX_DOCUMENT_CHARS:,} characters")
    return document


def documents_format(path) -> str | None:
    """"jsonl" or "paragraphs" from the file name; None (decide by the first line) for `-`
    and other names."""
    if str(path) == STDIN:
        return None
    suffix = Path(path).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in TEXT_SUFFIXES:
        return "paragraphs"
    return None


def parse_documents(lines: Lines, path, fmt: str | None = None) -> list[str]:
    """Documents of `lines`: "paragraphs", "jsonl", or None (JSONL when the first non-blank
    line starts with `{`)."""
    numbered = _lines(lines, path)
    if fmt is None:
        numbered, fmt = _sniffed(numbered)
    records = _jsonl_documents(numbered, path) if fmt == "jsonl" else _paragraphs(numbered, path)
    documents: list[str] = []
    for number, document in records:
        if len(documents) == MAX_DOCUMENTS:
            raise JudgmentFileError(path, number, f"more than {MAX_DOCUMENTS:,} documents in one file: split the file")
        documents.append(check_document(path, number, document))
    return documents


def read_documents(path: Path) -> list[str]:
    """`parse_documents` of the file at `path` (`-`: standard input), within the limits."""
    if str(path) != STDIN:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_IMPORT_BYTES:
            raise JudgmentFileError(path, 0, f"the file has {info.st_size:,} bytes; at most {MAX_IMPORT_BYTES:,} are read: split the file")
    with open_text(path) as file:
        return parse_documents(file, input_name(path), documents_format(path))


def _sniffed(numbered: Iterator[tuple[int, str]]) -> tuple[Iterator[tuple[int, str]], str]:
    head = []
    for item in numbered:
        head.append(item)
        if item[1].strip():
            break
    fmt = "jsonl" if head and head[-1][1].lstrip().startswith("{") else "paragraphs"

    def chained():
        yield from head
        yield from numbered

    return chained(), fmt


def _paragraphs(numbered: Iterator[tuple[int, str]], path) -> Iterator[tuple[int, str]]:
    """(first line, text) of each blank-line separated paragraph; a paragraph too long is
    refused at its first line before it is held whole."""
    lines: list[str] = []
    start, size = 0, 0
    for number, line in numbered:
        if not line.strip():
            if lines:
                yield start, "\n".join(lines)
            start, lines, size = 0, [], 0
            continue
        if not lines:
            start = number
        text = line.removesuffix("\n").removesuffix("\r")
        size += len(text) + 1
        if size > MAX_DOCUMENT_CHARS + 1:
            raise JudgmentFileError(path, start, f"the document is longer than {MAX_DOCUMENT_CHARS:,} characters")
        lines.append(text)
    if lines:
        yield start, "\n".join(lines)


def _jsonl_documents(numbered: Iterator[tuple[int, str]], path) -> Iterator[tuple[int, str]]:
    for number, line in numbered:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except RecursionError:
            raise JudgmentFileError(path, number, "JSON nested too deep") from None
        except ValueError as exc:
            raise JudgmentFileError(path, number, f"not JSON ({exc})") from None
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(text, str):
            raise JudgmentFileError(path, number, "expected an object with a `text` string")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise JudgmentFileError(path, number, "`text` holds a lone surrogate (an escape like \\ud800)") from None
        yield number, text
