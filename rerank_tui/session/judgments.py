"""Labels to and from the formats evaluation pipelines read: TREC qrels, CSV and JSONL.

- qrels: `qid 0 docid grade` (trec_eval, ir-measures, ranx). Query ids are `q` + the first 12
  hex digits of the SHA-1 of the query text: stable across runs and machines. A queries file
  (JSONL `id`, `text`) goes with it, so the ids can be read back as queries.
- CSV: `query,docid,rating` (Quepid's layout). A cell a spreadsheet would run as a formula
  (starting with `=`, `+`, `-`, `@`, tab or carriage return) is written with a leading `'`,
  which the importer removes again.
- JSONL: one object per label with `query`, `query_id`, `doc`, `grade`, `text_sha1`, `at`;
  a query with no labels is one object with `doc: null`.
CSV and JSONL keep queries that have no labels; qrels cannot.
Malformed input raises `JudgmentFileError` naming the file and line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from rerank_tui.session.labels import SCALE, Label

FORMATS = ("qrels", "csv", "jsonl")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Judgments = dict[str, dict[str, Label]]  # query → doc → label, as in LabelStore.queries


class JudgmentFileError(Exception):
    def __init__(self, path, line: int, message: str) -> None:
        self.path, self.line = path, line
        super().__init__(f"{path}:{line}: {message}")


def query_id(query: str) -> str:
    return "q" + hashlib.sha1(query.encode("utf-8", "surrogatepass")).hexdigest()[:12]


# -- writing ---------------------------------------------------------------------------------


def to_qrels(judgments: Judgments) -> str:
    return "".join(
        f"{query_id(q)} 0 {label.doc} {label.grade}\n" for q, labels in judgments.items() for label in labels.values()
    )


def to_queries_jsonl(judgments: Judgments) -> str:
    return "".join(json.dumps({"id": query_id(q), "text": q}, ensure_ascii=False) + "\n" for q in judgments)


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) or value.startswith("'") else value


def to_csv(judgments: Judgments) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["query", "docid", "rating"])
    for q, labels in judgments.items():
        if not labels:
            writer.writerow([_safe_cell(q), "", ""])
        for label in labels.values():
            writer.writerow([_safe_cell(q), _safe_cell(label.doc), label.grade])
    return out.getvalue()


def to_jsonl(judgments: Judgments) -> str:
    lines = []
    for q, labels in judgments.items():
        if not labels:
            lines.append({"query": q, "query_id": query_id(q), "doc": None})
        for label in labels.values():
            lines.append(
                {"query": q, "query_id": query_id(q), "doc": label.doc, "grade": label.grade, "text_sha1": label.text_sha1, "at": label.at}
            )
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def export_text(judgments: Judgments, fmt: str) -> str:
    return {"qrels": to_qrels, "csv": to_csv, "jsonl": to_jsonl}[fmt](judgments)


# -- reading ---------------------------------------------------------------------------------


def _grade(path, number: int, raw) -> int:
    try:
        grade = int(str(raw).strip())
    except ValueError:
        raise JudgmentFileError(path, number, f"grade {raw!r} is not a whole number") from None
    if grade not in SCALE:
        raise JudgmentFileError(path, number, f"grade {grade} is outside 0–3")
    return grade


def from_qrels(text: str, path, queries: dict[str, str] | None = None) -> Judgments:
    """`queries` maps query ids to texts (from a queries file); without it the id is the query."""
    judgments: Judgments = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 4:
            raise JudgmentFileError(path, number, f"expected `qid 0 docid grade`, found {len(fields)} fields")
        qid, _, doc, raw = fields
        query = (queries or {}).get(qid, qid)
        judgments.setdefault(query, {})[doc] = Label(doc, _grade(path, number, raw))
    return judgments


def _unsafe_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] and value[1:].startswith(_FORMULA_START + ("'",)) else value


def from_csv(text: str, path) -> Judgments:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or [h.strip().lower() for h in header[:3]] != ["query", "docid", "rating"]:
        raise JudgmentFileError(path, 1, "expected the header `query,docid,rating`")
    judgments: Judgments = {}
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != 3:
            raise JudgmentFileError(path, number, f"expected 3 cells, found {len(row)}")
        query, doc, raw = _unsafe_cell(row[0]), _unsafe_cell(row[1]), row[2]
        labels = judgments.setdefault(query, {})
        if doc == "" and raw.strip() == "":
            continue  # a query without labels
        labels[doc] = Label(doc, _grade(path, number, raw))
    return judgments


def from_jsonl(text: str, path) -> Judgments:
    judgments: Judgments = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            query = record["query"]
            doc = record["doc"]
        except (ValueError, KeyError, TypeError) as exc:
            raise JudgmentFileError(path, number, f"expected an object with query and doc ({exc})") from None
        labels = judgments.setdefault(str(query), {})
        if doc is None:
            continue
        labels[str(doc)] = Label(
            str(doc), _grade(path, number, record.get("grade")), str(record.get("text_sha1") or ""), str(record.get("at") or "")
        )
    return judgments


def read_judgments(path: Path, fmt: str, queries_path: Path | None = None) -> Judgments:
    text = Path(path).read_text(encoding="utf-8-sig")
    if fmt == "qrels":
        queries = None
        if queries_path is not None:
            queries = {}
            for number, line in enumerate(Path(queries_path).read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        record = json.loads(line)
                        queries[str(record["id"])] = str(record["text"])
                    except (ValueError, KeyError, TypeError):
                        raise JudgmentFileError(queries_path, number, "expected an object with id and text") from None
        return from_qrels(text, path, queries)
    if fmt == "csv":
        return from_csv(text, path)
    return from_jsonl(text, path)


def guess_format(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl"}.get(suffix, "qrels")
