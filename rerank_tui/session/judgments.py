"""Labels to and from the formats evaluation pipelines read: TREC qrels, CSV and JSONL.

- qrels: `qid 0 docid grade` (trec_eval, ir-measures, ranx). Query ids are the query set's
  (session/query_set.py): an imported id as it came in, else `q` + the first 12 hex digits of
  the SHA-1 of the query text. A queries file (JSONL `id`, `text`, `note`) goes with it, so the
  ids can be read back as queries. Import (and
  `eval --qrels`) also reads BEIR's `qid<TAB>docid<TAB>grade` (with or without its header)
  and a TSV queries file.
- CSV: `query,docid,rating` (Quepid's layout, integer ratings). A cell a spreadsheet would
  run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) is written with
  a leading `'`, which the importer removes again.
- Quepid: the CSV Quepid's "basic" ratings export writes and its import reads: the same
  header, ratings as Quepid stores them (floats: `3.0`), a query without ratings as `query,,`,
  and Quepid's own formula guard, a space before such a cell (Quepid strips every cell when it
  imports, so the space goes again; Quepid guards the query only, this guards the doc id too).
  Quoting as Ruby's CSV quotes: a cell holding `,`, `"`, CR or LF. Both CSV readers read both
  files.
- JSONL: one object per label with `query`, `query_id`, `note` (when there is one), `doc`,
  `grade`, `text_sha1`, `at`, and `source` (`human` or `accepted`, with the `judge`) once
  any label was accepted from a judge's suggestion;
  a query with no labels is one object with `doc: null`.
CSV and JSONL keep queries that have no labels; qrels cannot.
Reading (in `judgment_readers`, whose label readers are re-exported here) streams the file
within fixed limits; malformed input raises `JudgmentFileError` naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from rerank_tui.session.query_set import QuerySet, query_id  # noqa: F401 (query_id: re-exported)
from rerank_tui.session.judgment_readers import (  # noqa: F401 (re-exported: the reading side)
    CSV_HEADER,
    FORMULA_START,
    QUEPID_GUARD,
    JudgmentFileError,
    Judgments,
    formula_risk,
    from_csv,
    from_jsonl,
    from_quepid,
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
    """Our guard: a `'` before a cell a spreadsheet would run (see `formula_risk`)."""
    return "'" + value if formula_risk(value) else value


def _quepid_cell(value: str) -> str:
    """Quepid's guard (`make_csv_safe` of its ratings export): a space before the cell. Quepid
    guards a query starting with `=`, `+`, `-` or `@`; this guards every `formula_risk` cell,
    doc ids too, which Quepid reads the same (it strips every cell)."""
    return QUEPID_GUARD + value if formula_risk(value) else value


def _csv_line(cells) -> str:
    """One CSV line as Ruby's CSV (Quepid's) writes it: a cell holding `,`, `"`, CR or LF is
    quoted (Python's writer leaves a lone CR bare), None is an empty cell."""
    out = []
    for cell in cells:
        text = "" if cell is None else str(cell)
        out.append('"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text)
    return ",".join(out) + "\n"


def to_csv(judgments: Judgments, query_set: QuerySet | None = None) -> str:
    lines = [_csv_line(CSV_HEADER)]
    for q, labels in judgments.items():
        if not labels:
            lines.append(_csv_line([_safe_cell(q), None, None]))
        for label in labels.values():
            lines.append(_csv_line([_safe_cell(q), _safe_cell(label.doc), label.grade]))
    return "".join(lines)


def to_quepid(judgments: Judgments, query_set: QuerySet | None = None) -> str:
    """Quepid's basic CSV, as its ratings export writes it: `query,docid,rating`, every rating
    of a query on its own row (as a float, `3.0`), a query without ratings as `query,,`."""
    lines = [_csv_line(CSV_HEADER)]
    for q, labels in judgments.items():
        if not labels:
            lines.append(_csv_line([_quepid_cell(q), None, None]))
        for label in labels.values():
            lines.append(_csv_line([_quepid_cell(q), _quepid_cell(label.doc), f"{label.grade}.0"]))
    return "".join(lines)


def to_jsonl(judgments: Judgments, query_set: QuerySet | None = None, sources: bool | None = None) -> str:
    """One object per label. With `sources` each also says where its grade came from
    (`"source": "human"` or `"accepted"`, with the `judge` of an accepted one); by default it
    does once any label was accepted from a judge, so labels given by hand only export as before."""
    from rerank_tui.session.label_sources import ACCEPTED, source_of

    id_of = _ids(query_set)
    if sources is None:
        sources = any(source_of(label) == ACCEPTED for labels in judgments.values() for label in labels.values())
    lines = []
    for q, labels in judgments.items():
        head = {"query": q, "query_id": id_of(q)}
        if query_set is not None and (note := query_set.note_of(q)):
            head["note"] = note
        if not labels:
            lines.append({**head, "doc": None})
        for label in labels.values():
            line = {**head, "doc": label.doc, "grade": label.grade, "text_sha1": label.text_sha1, "at": label.at}
            if sources:
                line["source"] = source_of(label)
                if line["source"] == ACCEPTED:
                    line["judge"] = label.extra.get("judge")
            lines.append(line)
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def suggested_qrels_text(
    suggestions,
    query_ids: QuerySet | Mapping[str, str] | Callable[[str], str] | None = None,
    exclude_labeled: Judgments | None = None,
    scale: Collection[int] | None = None,
) -> str:
    """TREC qrels (`qid 0 doc grade`) of the judge's suggested grades (a SuggestionStore), for
    the pairs `exclude_labeled` has no label for, with the ids the label exports use:
    `query_ids` is the query set (or text → id, or a function); a query it lacks is known by
    `query_id(text)`. With `scale`, a grade not on it is left out."""
    if isinstance(query_ids, QuerySet):
        id_of: Callable[[str], str] = query_ids.id_of
    elif isinstance(query_ids, Mapping):
        known = query_ids
        id_of = lambda text: known.get(text) or query_id(text)  # noqa: E731
    else:
        id_of = query_ids or query_id
    labeled = exclude_labeled or {}
    lines: list[str] = []
    for query in suggestions.queries():
        own = labeled.get(query) or {}
        qid = id_of(query)
        lines.extend(
            f"{qid} 0 {doc} {s.grade}\n"
            for doc, s in suggestions.for_query(query).items()
            if doc not in own and (scale is None or s.grade in scale)
        )
    return "".join(lines)


def export_text(judgments: Judgments, fmt: str, query_set: QuerySet | None = None) -> str:
    return {"qrels": to_qrels, "csv": to_csv, "quepid": to_quepid, "jsonl": to_jsonl}[fmt](judgments, query_set)


def with_query_set(judgments: Judgments, query_set: QuerySet) -> Judgments:
    """Every query of the set in its order (those without labels too), with its labels."""
    out = {entry.text: judgments.get(entry.text, {}) for entry in query_set}
    for q, labels in judgments.items():  # labels of a query the set does not list (none today)
        out.setdefault(q, labels)
    return out


def guess_format(path: Path) -> str:
    """The format of a file to import: "qrels", "csv", "jsonl" or "queries" (see `sniff_format`;
    a Quepid CSV is "csv": that reader reads Quepid's files too)."""
    from rerank_tui.session.query_readers import sniff_format

    return sniff_format(path)
