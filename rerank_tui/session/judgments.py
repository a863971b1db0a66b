"""Labels to and from the formats evaluation pipelines read: TREC qrels, CSV and JSONL.

- qrels: `qid 0 docid grade` (trec_eval, ir-measures, ranx). Query ids are `q` + the first 12
  hex digits of the SHA-1 of the query text: stable across runs and machines. A queries file
  (JSONL `id`, `text`) goes with it, so the ids can be read back as queries. Import (and
  `eval --qrels`) also reads BEIR's `qid<TAB>docid<TAB>grade` (with or without its header)
  and a TSV queries file.
- CSV: `query,docid,rating` (Quepid's layout). A cell a spreadsheet would run as a formula
  (starting with `=`, `+`, `-`, `@`, tab or carriage return) is written with a leading `'`,
  which the importer removes again.
- JSONL: one object per label with `query`, `query_id`, `doc`, `grade`, `text_sha1`, `at`;
  a query with no labels is one object with `doc: null`.
CSV and JSONL keep queries that have no labels; qrels cannot.
Reading (in `judgment_readers`, whose label readers are re-exported here) streams the file
within fixed limits; malformed input raises `JudgmentFileError` naming the file and line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from rerank_tui.session.judgment_readers import (  # noqa: F401 (re-exported: the reading side)
    FORMULA_START,
    JudgmentFileError,
    Judgments,
    from_csv,
    from_jsonl,
    from_qrels,
    read_judgments,
)


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
    return "'" + value if value.startswith(FORMULA_START) or value.startswith("'") else value


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


def guess_format(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl"}.get(suffix, "qrels")
