"""Labels to and from the formats evaluation pipelines read: TREC qrels, CSV and JSONL.

- qrels: `qid 0 docid grade` (trec_eval, ir-measures, ranx). Query ids are the query set's
  (session/query_set.py): an imported id as it came in, else `q` + the first 12 hex digits of
  the SHA-1 of the query text. A queries file (JSONL `id`, `text`, `note`) goes with it, so the
  ids can be read back as queries. Import (and
  `eval --qrels`) also reads BEIR's `qid<TAB>docid<TAB>grade` (with or without its header)
  and a TSV queries file.
- CSV: `query,docid,rating` (Quepid's layout). A cell a spreadsheet would run as a formula
  (starting with `=`, `+`, `-`, `@`, tab or carriage return) is written with a leading `'`,
  which the importer removes again.
- JSONL: one object per label with `query`, `query_id`, `note` (when there is one), `doc`,
  `grade`, `text_sha1`, `at`;
  a query with no labels is one object with `doc: null`.
CSV and JSONL keep queries that have no labels; qrels cannot.
Reading (in `judgment_readers`, whose label readers are re-exported here) streams the file
within fixed limits; malformed input raises `JudgmentFileError` naming the file and line.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from rerank_tui.session.query_set import QuerySet, query_id  # noqa: F401 (query_id: re-exported)
from rerank_tui.session.judgment_readers import (  # noqa: F401 (re-exported: the reading side)
    FORMULA_START,
    JudgmentFileError,
    Judgments,
    from_csv,
    from_jsonl,
    from_qrels,
    read_judgments,
)


# -- writing ---------------------------------------------------------------------------------
# Each writer takes the query set (optional): its ids go out (an imported id as it came in)
# and its notes go into JSONL. Without one, every query is known by `query_id(text)`.


def _ids(query_set: QuerySet | None):
    return query_set.id_of if query_set is not None else query_id


def to_qrels(judgments: Judgments, query_set: QuerySet | None = None) -> str:
    id_of = _ids(query_set)
    return "".join(
        f"{id_of(q)} 0 {label.doc} {label.grade}\n" for q, labels in judgments.items() for label in labels.values()
    )


def to_queries_jsonl(judgments: Judgments, query_set: QuerySet | None = None) -> str:
    """`{"id", "text"}` per query (with `note` when it has one), in the judgments' order."""
    id_of = _ids(query_set)
    lines = []
    for q in judgments:
        record = {"id": id_of(q), "text": q}
        if query_set is not None and (note := query_set.note_of(q)):
            record["note"] = note
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return "".join(lines)


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) or value.startswith("'") else value


def to_csv(judgments: Judgments, query_set: QuerySet | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["query", "docid", "rating"])
    for q, labels in judgments.items():
        if not labels:
            writer.writerow([_safe_cell(q), "", ""])
        for label in labels.values():
            writer.writerow([_safe_cell(q), _safe_cell(label.doc), label.grade])
    return out.getvalue()


def to_jsonl(judgments: Judgments, query_set: QuerySet | None = None) -> str:
    id_of = _ids(query_set)
    lines = []
    for q, labels in judgments.items():
        head = {"query": q, "query_id": id_of(q)}
        if query_set is not None and (note := query_set.note_of(q)):
            head["note"] = note
        if not labels:
            lines.append({**head, "doc": None})
        for label in labels.values():
            lines.append({**head, "doc": label.doc, "grade": label.grade, "text_sha1": label.text_sha1, "at": label.at})
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def export_text(judgments: Judgments, fmt: str, query_set: QuerySet | None = None) -> str:
    return {"qrels": to_qrels, "csv": to_csv, "jsonl": to_jsonl}[fmt](judgments, query_set)


def with_query_set(judgments: Judgments, query_set: QuerySet) -> Judgments:
    """Every query of the set in its order (those without labels too), with its labels."""
    out = {entry.text: judgments.get(entry.text, {}) for entry in query_set}
    for q, labels in judgments.items():  # labels of a query the set does not list (none today)
        out.setdefault(q, labels)
    return out


def guess_format(path: Path) -> str:
    """The format of a file to import: "qrels", "csv", "jsonl" or "queries" (see `sniff_format`)."""
    from rerank_tui.session.query_readers import sniff_format

    return sniff_format(path)
