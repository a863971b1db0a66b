"""Reading judgments (qrels, CSV, JSONL) and queries files, a line at a time within fixed limits.

The one reader of each format, for `import` (any integer grade: the workspace's scale is
chosen from them, see label_scale.py), `eval` (the grades of any test collection) and
`search --queries`:
- `read_judgments`: labels from a qrels, CSV (ours or Quepid's) or JSONL file, for `import`;
- `read_qrels`: `{qid: {docid: grade}}` from TREC's 4 columns or `qid<TAB>docid<TAB>grade`
  (with or without BEIR's header), with the grades a caller allows (any integer for `eval`);
- `read_queries`: ordered (id, text) pairs from JSONL (`id` or `_id`, `text`) or TSV
  `id<TAB>text`.
A path of `-` reads standard input, except for qrels that `read_judgments` maps to query texts
(it reads that file twice).

A file holds at most `MAX_IMPORT_LABELS` labels and at most `MAX_IMPORT_BYTES` (a file over
either is refused before it is parsed, and the limits hold while parsing too), so any file
either reads in well under 1 GB of memory or is refused with a message.
Each line, cell, id and query text has its own limit. Ids (doc ids, query ids) are refused
when empty or when they hold whitespace or a control, format or separator character: an id is
written back as one field of a qrels or run line, so it must not be able to split one.
Every refusal is a `JudgmentFileError` naming the file and the line (0: the whole file).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from rerank_tui.session.labels import DEFAULT_SCALE, Label

MAX_IMPORT_LABELS = 500_000  # labels (records) per import
MAX_IMPORT_BYTES = 256 << 20  # size of a file read by an import
MAX_LINE_CHARS = 1 << 20  # one line of any input file
MAX_QUERY_CHARS = 10_000
MAX_ID_CHARS = 1_000  # doc ids, query ids, and JSONL's `text_sha1` and `at`

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula
QUEPID_GUARD = " "  # Quepid puts a space before such a cell (its importer strips it again)
RUBY_WHITESPACE = "\x00\t\n\v\f\r "  # what Ruby's String#strip removes: Quepid strips every cell
CSV_HEADER = ["query", "docid", "rating"]  # ours and Quepid's
CSV_FORMATS = ("csv", "quepid")
BEIR_QRELS_HEADER = ["query-id", "corpus-id", "score"]
QRELS_LAYOUTS = {4: "`qid 0 docid grade`", 3: "`qid<TAB>docid<TAB>grade`"}
_NOT_IN_IDS = {"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"}  # control, format, surrogate, separators
_INTEGER = re.compile(r"\s*(0|-?[1-9][0-9]*)\s*")  # ASCII digits only: no "+2", "2.0" or "٣"
_WHOLE_RATING = re.compile(r"\s*(0|-?[1-9][0-9]*)\.0+\s*")  # Quepid's ratings are floats: 3.0
_FRACTION = re.compile(r"\s*-?[0-9]*\.[0-9]+\s*")
_GRADE_TEXT = {str(grade): grade for grade in range(-9, 100)}  # the usual ones, looked up first
MAX_GRADE_DIGITS = 18  # a longer grade is no grade (and int() refuses past 4,300 digits)
SHOWN_GRADES = 10  # a refusal lists the allowed grades up to this many, else their range
STDIN = "-"  # the path that reads standard input

Judgments = dict[str, dict[str, Label]]  # query → doc → label, as in LabelStore.queries
Qrels = dict[str, dict[str, int]]  # query id → doc id → grade, as ir-measures reads them
Lines = str | Iterable[str]  # a text, a list of lines, or an open text file


class JudgmentFileError(Exception):
    def __init__(self, path, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


# -- files -----------------------------------------------------------------------------------


def count_lines(path: Path) -> int:
    """Non-blank lines of `path`, counted in binary chunks (no line is held whole)."""
    count, tail = 0, b""
    with open(path, "rb") as file:
        for chunk in iter(partial(file.read, 1 << 20), b""):
            lines = (tail + chunk).split(b"\n")
            tail = b"x" if lines.pop().strip() else b""  # the unfinished line: blank or not is all that counts
            count += sum(1 for line in lines if line.strip())
    return count + len(tail)


def check_import_size(path: Path, max_lines: int | None = MAX_IMPORT_LABELS) -> None:
    """Refuse, before parsing, a file over MAX_IMPORT_BYTES or with more than `max_lines` lines."""
    if str(path) == STDIN:
        return  # the limits while parsing still hold
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        return  # a pipe cannot be read twice: the limits while parsing still hold
    if info.st_size > MAX_IMPORT_BYTES:
        raise JudgmentFileError(path, 0, f"the file has {info.st_size:,} bytes; at most {MAX_IMPORT_BYTES:,} are read: split the file")
    if max_lines is not None and (lines := count_lines(path)) > max_lines + 1:  # + 1: a header line
        raise JudgmentFileError(path, 0, f"the file has {lines:,} lines; a file holds at most {max_lines:,} labels: split the file")


def input_name(path) -> str | Path:
    """How errors name `path`: `<stdin>` for `-`."""
    return "<stdin>" if str(path) == STDIN else path


@contextmanager
def open_text(path: Path, newline: str | None = None):
    """`path` as UTF-8 text (a BOM is dropped); `-` is standard input, left open afterwards."""
    if str(path) != STDIN:
        with open(path, encoding="utf-8-sig", newline=newline) as file:
            yield file
        return
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # already text (replaced by a caller or a test)
        yield sys.stdin
        return
    stream = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline=newline)
    try:
        yield stream
    finally:
        stream.detach()  # closing the wrapper would close standard input


def _lines(source: Lines, path) -> Iterator[tuple[int, str]]:
    """(number, line) of `source`, read a line at a time; a long line, a long file or bytes that
    are not UTF-8 are refused at their line."""
    if isinstance(source, str):
        source = io.StringIO(source)
    if hasattr(source, "readline"):
        source = iter(partial(source.readline, MAX_LINE_CHARS + 1), "")
    number = total = 0
    try:
        for number, line in enumerate(source, start=1):
            total += len(line)
            if len(line) > MAX_LINE_CHARS:
                raise JudgmentFileError(path, number, f"line is longer than {MAX_LINE_CHARS:,} characters")
            if total > MAX_IMPORT_BYTES:
                raise JudgmentFileError(path, number, f"more than {MAX_IMPORT_BYTES:,} characters in one file: split the file")
            yield number, line
    except UnicodeDecodeError as exc:  # the decoder fails on a whole chunk: find the line in it
        bad_line = number + 1 + exc.object[: exc.start].count(b"\n")
        raise JudgmentFileError(path, bad_line, f"not UTF-8 text ({exc.reason} at byte {exc.object[exc.start]:#04x})") from None


# -- values ----------------------------------------------------------------------------------


def check_id(path, number: int, what: str, ident: str) -> str:
    """`ident`, refused when empty, too long, or holding whitespace or a control character."""
    if not ident:
        raise JudgmentFileError(path, number, f"{what} is empty")
    if len(ident) > MAX_ID_CHARS:
        raise JudgmentFileError(path, number, f"{what} is longer than {MAX_ID_CHARS:,} characters")
    if ident.isprintable() and " " not in ident:  # the fast path: isprintable is False for them all
        return ident
    bad = next((c for c in ident if c.isspace() or unicodedata.category(c) in _NOT_IN_IDS), None)
    if bad is not None:
        raise JudgmentFileError(path, number, f"{what} {ident[:80]!r} holds whitespace or a control character (U+{ord(bad):04X})")
    return ident  # only private-use or unassigned characters, which are fine


def check_query(path, number: int, query: str) -> str:
    if len(query) > MAX_QUERY_CHARS:
        raise JudgmentFileError(path, number, f"query text is longer than {MAX_QUERY_CHARS:,} characters")
    return query


def parse_grade(path, number: int, raw, grades: Collection[int] | None = DEFAULT_SCALE) -> int:
    """A grade from an int or its ASCII digits, one of `grades` (None: any integer).

    2.0, "2.0", True, "+2" and "02" are refused; so is 7 when `grades` is the scale 0–3."""
    grade: int | None
    if type(raw) is int:
        grade = raw
    elif isinstance(raw, str):
        grade = _GRADE_TEXT.get(raw)
        if grade is None and (match := _INTEGER.fullmatch(raw)):
            if len(match.group(1).lstrip("-")) > MAX_GRADE_DIGITS:
                raise JudgmentFileError(path, number, f"grade {raw[:40]!r}… has more than {MAX_GRADE_DIGITS} digits")
            grade = int(match.group(1))
    else:
        grade = None
    if grade is None and grades is None:
        raise JudgmentFileError(path, number, f"grade {raw!r} is not a whole number")
    if grades is not None and grade not in grades:
        raise JudgmentFileError(path, number, f"grade {raw!r} is not {_allowed(grades)}")
    assert grade is not None  # refused above: `grades` is set then, and holds no None
    return grade


def _allowed(grades: Collection[int]) -> str:
    """`one of 0, 1, 2, 3`, or `on the scale 0–10` for a longer scale."""
    if len(grades) > SHOWN_GRADES and hasattr(grades, "text"):
        return f"on the scale {grades.text}"
    return f"one of {', '.join(map(str, grades))}"


def _json_object(path, number: int, line: str) -> dict:
    """A JSON object whose values are scalars (no nesting), with strings that are valid Unicode."""
    try:
        record = json.loads(line)
    except RecursionError:
        raise JudgmentFileError(path, number, "JSON nested too deep") from None
    except ValueError as exc:
        raise JudgmentFileError(path, number, f"not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise JudgmentFileError(path, number, "expected a JSON object")
    for key, value in record.items():
        if isinstance(value, (dict, list)):
            raise JudgmentFileError(path, number, f"`{key}` must be a string, number or null, not nested JSON")
        if isinstance(value, str) and not _encodable(value):
            raise JudgmentFileError(path, number, f"`{key}` holds a lone surrogate (an escape like \\ud800)")
    return record


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- records ---------------------------------------------------------------------------------


def _counted(records: Iterable[tuple], path) -> Iterator[tuple]:
    """`records` (each starting with its line number), refused past MAX_IMPORT_LABELS."""
    for count, record in enumerate(records, start=1):
        if count > MAX_IMPORT_LABELS:
            raise JudgmentFileError(path, record[0], f"more than {MAX_IMPORT_LABELS:,} labels in one file: split the file")
        yield record


def _collect(records: Iterable[tuple[int, str, Label | None]], path) -> Judgments:
    """Judgments from (line, query, label or None for a query without labels) records."""
    judgments: Judgments = {}
    for _, query, label in _counted(records, path):
        labels = judgments.setdefault(query, {})
        if label is not None:
            labels[label.doc] = label
    return judgments


def _qrels_fields(line: str) -> list[str]:
    """Tab-separated fields when the line has a tab (BEIR), else whitespace-separated (TREC)."""
    text = line.strip()
    return text.split("\t") if "\t" in text else text.split()


def _qrels_rows(lines: Lines, path, grades: Collection[int] | None) -> Iterator[tuple[int, str, str, int]]:
    """(line, query id, doc id, grade) of qrels lines: TREC's 4 columns or 3 (BEIR's header skipped)."""
    columns = None  # 4 (TREC) or 3 (BEIR), set by the first line; every line must have as many
    for number, line in _lines(lines, path):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _qrels_fields(line)
        if columns is None and [f.strip().lower() for f in fields] == BEIR_QRELS_HEADER:
            columns = 3
            continue
        if len(fields) not in QRELS_LAYOUTS or columns not in (None, len(fields)):
            expected = " or ".join(QRELS_LAYOUTS.values()) if columns is None else f"{QRELS_LAYOUTS[columns]} as above"
            raise JudgmentFileError(path, number, f"expected {expected}, found {len(fields)} fields")
        columns = len(fields)
        qid, doc = check_id(path, number, "query id", fields[0]), check_id(path, number, "doc id", fields[-2])
        yield number, qid, doc, parse_grade(path, number, fields[-1], grades)


def _qrels_records(lines: Lines, path, queries: dict[str, str] | None, grades: Collection[int] | None):
    for number, qid, doc, grade in _qrels_rows(lines, path, grades):
        if queries is not None and qid not in queries:
            raise JudgmentFileError(path, number, f"query id {qid!r} is not in the queries file")
        yield number, queries[qid] if queries is not None else qid, Label(doc, grade)


def formula_risk(value: str) -> bool:
    """A cell a spreadsheet would run as a formula, or one a reader would take for a guarded
    cell: after any spaces it starts with a formula start or a `'`. Each writer guards such a
    cell with one character (ours `'`, Quepid's a space) and the reader takes exactly that one
    off again, so every text reads back as it was written."""
    return value.lstrip(" ").startswith(FORMULA_START + ("'",))


def unguard_cell(value: str) -> str:
    """A CSV cell with the formula guard of either writer taken off (our `'`, Quepid's space)."""
    return value[1:] if value[:1] in ("'", QUEPID_GUARD) and formula_risk(value[1:]) else value


def _csv_rating(path, number: int, raw: str, grades: Collection[int] | None) -> int:
    """A rating cell: a whole number, or one written as Quepid writes its (float) ratings, 3.0."""
    if match := _WHOLE_RATING.fullmatch(raw):
        raw = match.group(1)
    elif _FRACTION.fullmatch(raw):
        raise JudgmentFileError(path, number, f"grade {raw!r} is not a whole number (labels take whole grades, as Quepid's scales do)")
    return parse_grade(path, number, raw, grades)


def _csv_records(lines: Lines, path, grades: Collection[int] | None, fmt: str = "csv"):
    """Records of `query,docid,rating` rows, ours or Quepid's (the same layout): a row with a
    query alone (`query,,`) or a doc without a rating (`query,docid,`, a doc Quepid shows
    unrated) adds the query without a label; a rating is a whole number, also as `3.0`.

    "csv" reads each cell as written, less either writer's formula guard; "quepid" reads as
    Quepid does: every cell stripped of surrounding whitespace (its guard space too; a `'`
    stays), and rows may be short (`query` alone)."""
    quepid = fmt == "quepid"
    reader = csv.reader(line for _, line in _lines(lines, path))
    try:
        header = next(reader, None)
        if header is None or [h.strip(RUBY_WHITESPACE).lower() for h in header[:3]] != CSV_HEADER:
            raise JudgmentFileError(path, 1, "expected the header `query,docid,rating`")
        start = reader.line_num + 1
        for row in reader:
            number, start = start, reader.line_num + 1  # a quoted cell may span lines: name the first
            if not row or (quepid and not any(cell.strip(RUBY_WHITESPACE) for cell in row)):
                continue
            if len(row) != 3 and not (quepid and len(row) < 3):
                raise JudgmentFileError(path, number, f"expected 3 cells, found {len(row)}")
            if quepid:
                query, doc, raw = (list(cell.strip(RUBY_WHITESPACE) for cell in row) + ["", ""])[:3]
                if not query:
                    raise JudgmentFileError(path, number, "query text is empty")
            else:
                query, doc, raw = unguard_cell(row[0]), unguard_cell(row[1]), row[2]
            query = check_query(path, number, query)
            if raw.strip(RUBY_WHITESPACE) == "":
                yield number, query, None  # a query without labels, or a doc not rated yet
            else:
                yield number, query, Label(check_id(path, number, "doc id", doc), _csv_rating(path, number, raw, grades))
    except csv.Error as exc:
        raise JudgmentFileError(path, reader.line_num, f"not valid CSV ({exc})") from None


def _optional_text(path, number: int, record: dict, key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_ID_CHARS:
        raise JudgmentFileError(path, number, f"`{key}` must be a string of at most {MAX_ID_CHARS:,} characters")
    return value


def _jsonl_records(lines: Lines, path, grades: Collection[int] | None):
    for number, line in _lines(lines, path):
        if not line.strip():
            continue
        record = _json_object(path, number, line)
        query, doc = record.get("query"), record.get("doc")
        if not isinstance(query, str) or "doc" not in record or not isinstance(doc, (str, type(None))):
            raise JudgmentFileError(path, number, "expected an object with a `query` string and a `doc` string or null")
        query = check_query(path, number, query)
        if doc is None:
            yield number, query, None  # a query without labels
            continue
        yield number, query, Label(
            check_id(path, number, "doc id", doc),
            parse_grade(path, number, record.get("grade"), grades),
            _optional_text(path, number, record, "text_sha1"),
            _optional_text(path, number, record, "at"),
        )


def query_rows(lines: Lines, path) -> Iterator[tuple[int, str, str, dict | None]]:
    """(line, id, text, the JSON record or None for TSV) of a queries file: JSONL `{"id",
    "text"}` (or BEIR's `_id`) or TSV `id<TAB>text`."""
    jsonl = None  # decided by the first line
    record = None
    for number, line in _lines(lines, path):
        if not line.strip():
            continue
        if jsonl is None:
            jsonl = line.lstrip().startswith("{")
        if jsonl:
            record = _json_object(path, number, line)
            qid, text = record.get("id", record.get("_id")), record.get("text")
            if type(qid) is int:
                qid = str(qid)
            if not isinstance(qid, str) or not isinstance(text, str):
                raise JudgmentFileError(path, number, "expected an object with an `id` and a `text` string")
        else:
            qid, tab, text = line.rstrip("\r\n").partition("\t")
            if not tab:
                raise JudgmentFileError(path, number, "expected `id<TAB>text`")
        qid = check_id(path, number, "query id", qid)
        if not text.strip():
            raise JudgmentFileError(path, number, f"query {qid!r} has no text")
        yield number, qid, check_query(path, number, text), record


# -- public ----------------------------------------------------------------------------------


# The label readers take the grades they allow: the default scale's unless told (None: any
# integer, as `read_judgments` reads for an import, which then chooses the scale).


def from_qrels(
    lines: Lines, path, queries: dict[str, str] | None = None, grades: Collection[int] | None = DEFAULT_SCALE
) -> Judgments:
    """Labels of qrels lines (TREC's 4 columns or BEIR's 3, with or without its header).

    `queries` maps query ids to texts (from a queries file), and an id it lacks is an error;
    without it the id is the query.
    """
    return _collect(_qrels_records(lines, path, queries, grades), path)


def from_csv(lines: Lines, path, grades: Collection[int] | None = DEFAULT_SCALE, fmt: str = "csv") -> Judgments:
    """Labels of CSV lines `query,docid,rating`, ours or Quepid's (`fmt` "quepid": read as
    Quepid reads them); a row `query,,` is a query without labels."""
    return _collect(_csv_records(lines, path, grades, fmt), path)


def from_quepid(lines: Lines, path, grades: Collection[int] | None = DEFAULT_SCALE) -> Judgments:
    """Labels of Quepid's CSV, read as Quepid reads it (every cell stripped, short rows)."""
    return from_csv(lines, path, grades, "quepid")


def from_jsonl(lines: Lines, path, grades: Collection[int] | None = DEFAULT_SCALE) -> Judgments:
    """Labels of JSONL lines, one flat object per label (`doc: null`: a query without labels)."""
    return _collect(_jsonl_records(lines, path, grades), path)


def parse_qrels(lines: Lines, path, grades: Collection[int] | None = DEFAULT_SCALE) -> Qrels:
    """`{qid: {docid: grade}}` of qrels lines (TREC's 4 columns or 3, BEIR's header skipped),
    with grades among `grades` (None: any integer, as test collections use: Cranfield has -1)."""
    qrels: Qrels = {}
    for _, qid, doc, grade in _counted(_qrels_rows(lines, path, grades), path):
        qrels.setdefault(qid, {})[doc] = grade
    return qrels


def read_qrels(path: Path, grades: Collection[int] | None = DEFAULT_SCALE) -> Qrels:
    """`parse_qrels` of the file at `path` (`-`: standard input), within the limits."""
    check_import_size(path)
    with open_text(path) as file:
        return parse_qrels(file, input_name(path), grades)


def read_queries(path: Path, wanted: Collection[str] | None = None) -> list[tuple[str, str]]:
    """(id, text) pairs of a queries file (`-`: standard input) in file order, keeping only
    the `wanted` ids (all when None). A file of no queries gives []."""
    check_import_size(path, max_lines=None)  # any number of queries; only the wanted are kept
    name = input_name(path)
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    with open_text(path) as file:
        for number, qid, text, _ in query_rows(file, name):
            if wanted is not None and qid not in wanted:
                continue
            if qid in seen:
                raise JudgmentFileError(name, number, f"query id {qid!r} appears twice")
            seen.add(qid)
            pairs.append((qid, text))
    return pairs


def read_judgments(
    path: Path, fmt: str, queries_path: Path | None = None, grades: Collection[int] | None = None
) -> Judgments:
    """Labels from a `fmt` ("qrels", "csv", "quepid", "jsonl") file, within the import limits.

    Grades are any integer (a grade that is not a whole number is refused at its line), or,
    with `grades`, one of them; an import then picks the scale (label_scale.import_scale).
    For qrels, `queries_path` names a queries file (JSONL or TSV) giving each query id its text;
    without one the ids are the queries. Either path may be `-` (standard input), except the
    qrels file when a queries file goes with it: that one is read twice.
    """
    check_import_size(path)
    name = input_name(path)
    if fmt in CSV_FORMATS:
        with open_text(path, newline="") as file:
            return from_csv(file, name, grades, fmt)
    if fmt == "jsonl":
        with open_text(path) as file:
            return from_jsonl(file, name, grades)
    if queries_path is not None and str(path) == STDIN:
        raise JudgmentFileError(name, 0, "qrels with a queries file are read twice: give the qrels as a file, not -")
    with open_text(path) as file:
        by_id = from_qrels(file, name, grades=grades)
    if queries_path is None:
        return by_id
    wanted = set(by_id)
    del by_id  # the second pass builds the judgments again, by query text
    texts = dict(read_queries(queries_path, wanted))
    with open_text(path) as file:
        return from_qrels(file, path, texts, grades)  # an id the queries file lacks is refused at its line
