"""Reading what the query set takes from files: queries with their ids and notes.

- `read_query_records`: a queries file without labels (JSONL `id` or `_id`, `text`, optional
  `note`, BEIR's `queries.jsonl`; or TSV `id<TAB>text`), for `rerank-tui import QUERIES`;
- `read_jsonl_query_ids`: the `query_id` and `note` a JSONL export wrote beside each label;
- `sniff_format`: whether a file is qrels, CSV (ours or Quepid's), JSONL judgments or a queries file.
Within the same limits, and with the same line-numbered errors, as the judgment readers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rerank_tui.session.judgment_readers import (
    CSV_HEADER,
    MAX_ID_CHARS,
    STDIN,
    JudgmentFileError,
    _json_object,
    _lines,
    check_id,
    check_import_size,
    input_name,
    open_text,
    query_rows,
)
from rerank_tui.session.query_set import MAX_NOTE_CHARS

MAX_QUERIES = 100_000


@dataclass(frozen=True, slots=True)
class QueryRecord:
    line: int
    id: str
    text: str
    note: str = ""


def _note(path, number: int, record: dict) -> str:
    note = record.get("note")
    if note is None:
        return ""
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise JudgmentFileError(path, number, f"`note` must be a string of at most {MAX_NOTE_CHARS:,} characters")
    return note.strip()


def read_query_records(path: Path) -> list[QueryRecord]:
    """Every query of a queries file, in file order; an id or a text given twice is an error."""
    check_import_size(path, max_lines=MAX_QUERIES)
    name = input_name(path)
    records: list[QueryRecord] = []
    ids: dict[str, int] = {}
    texts: dict[str, int] = {}
    with open_text(path) as file:
        for number, qid, text, record in query_rows(file, name):
            note = _note(name, number, record) if record is not None else ""
            if qid in ids:
                raise JudgmentFileError(name, number, f"query id {qid!r} appears twice (first at line {ids[qid]})")
            if text in texts:
                raise JudgmentFileError(name, number, f"the text of query {qid!r} appears twice (first at line {texts[text]})")
            if len(records) >= MAX_QUERIES:
                raise JudgmentFileError(name, number, f"more than {MAX_QUERIES:,} queries in one file: split the file")
            ids[qid], texts[text] = number, number
            records.append(QueryRecord(number, qid, text, note))
    return records


def read_jsonl_query_ids(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(query text → query_id, query text → note) of a JSONL judgments file (the file was
    already read and checked as judgments; records without `query_id` are skipped)."""
    name = input_name(path)
    ids: dict[str, str] = {}
    notes: dict[str, str] = {}
    owner: dict[str, str] = {}
    with open_text(path) as file:
        for number, line in _lines(file, name):
            if not line.strip():
                continue
            record = _json_object(name, number, line)
            query, qid = record.get("query"), record.get("query_id")
            if not isinstance(query, str):
                continue
            if qid is not None:
                if type(qid) is int:
                    qid = str(qid)
                if not isinstance(qid, str) or len(qid) > MAX_ID_CHARS:
                    raise JudgmentFileError(name, number, "`query_id` must be a string")
                qid = check_id(name, number, "query id", qid)
                if ids.get(query, qid) != qid:
                    raise JudgmentFileError(name, number, f"query {query[:60]!r} has two ids, {ids[query]!r} and {qid!r}")
                if owner.get(qid, query) != query:
                    raise JudgmentFileError(name, number, f"query id {qid!r} names two queries")
                ids[query], owner[qid] = qid, query
            if note := _note(name, number, record):
                notes[query] = note
    return ids, notes


def first_line_of(path: Path, qid: str) -> int | None:
    """The first line of a qrels file whose query id is `qid` (for an error message)."""
    try:
        with open_text(path) as file:
            for number, line in _lines(file, input_name(path)):
                fields = line.strip().split("\t") if "\t" in line else line.split()
                if fields and fields[0] == qid:
                    return number
    except (OSError, JudgmentFileError):
        return None
    return None


def sniff_format(path: Path) -> str:
    """"csv", "jsonl", "queries" or "qrels", from the name and the first line.

    A `.csv` is CSV, and so is a file whose first line is the header `query,docid,rating` (ours
    and Quepid's: the CSV reader reads both). Otherwise the first non-blank line decides: a JSON object with `query` or
    `doc` is JSONL judgments, one with `text` (and no `doc`) a queries file; two tab-separated
    fields are a TSV queries file; anything else is qrels. Standard input is qrels unless
    --format says otherwise (it cannot be read twice)."""
    if str(path) == STDIN:
        return "qrels"
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as file:
            first = ""
            for _ in range(1000):
                line = file.readline(1 << 20)
                if not line:
                    break
                if line.strip():
                    first = line
                    break
    except OSError:
        return "jsonl" if suffix in (".jsonl", ".json") else "qrels"  # the reader reports the error
    text = first.strip()
    if [cell.strip().lower() for cell in text.split(",")] == CSV_HEADER:
        return "csv"
    if text.startswith("{"):
        try:
            record = json.loads(text)
        except ValueError:
            return "jsonl"
        if isinstance(record, dict) and "doc" not in record and "query" not in record and "text" in record:
            return "queries"
        return "jsonl"
    if suffix in (".jsonl", ".json"):
        return "jsonl"
    if len(text.split("\t")) == 2 and "\t" in text:
        return "queries"
    return "qrels"
