"""labels.yaml itself: parsed with its line numbers only on error, cached by content, and
dumped a few thousand labels at a time."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from rerank_tui.session import parse_cache
from rerank_tui.session.label_model import FORMAT_VERSION, SCALE, Label, Queries
from rerank_tui.session.store import YamlDocument, dump_yaml, parse_yaml

DUMP_CHUNK = 2000


def _indented(text: str) -> str:
    """A dumped mapping moved one level in (YAML structure is relative, so this is exact)."""
    return "".join("  " + line if line.strip() else line for line in text.splitlines(keepends=True))


def parse_labels_file(path: Path, text: str) -> tuple[Queries, dict]:
    cached = parse_cache.get(path, text)
    if cached is not None:
        return _from_cache(cached)
    document = parse_yaml(path, text)
    queries, extra = _parse_document(document)
    parse_cache.put(path, text, cacheable(queries, extra))
    return queries, extra


def _parse_document(document: YamlDocument) -> tuple[Queries, dict]:
    data = document.data
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise document.error("expected a mapping with `version` and `queries`")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise document.error(f"unsupported version {version!r} (this app reads {FORMAT_VERSION})", "version")
    raw_queries = data.get("queries") or {}
    if not isinstance(raw_queries, dict):
        raise document.error("`queries` must map each query to a list of labels", "queries")
    queries: Queries = {}
    for query, items in raw_queries.items():
        if not isinstance(query, str):
            raise document.error(f"query {query!r} must be text (quote it)", "queries", str(query))
        if items is None:
            items = []
        if not isinstance(items, list):
            raise document.error(f"labels of query {query!r} must be a list", "queries", query)
        labels: dict[str, Label] = {}
        for number, item in enumerate(items):
            problem = _label_problem(item)
            if problem:
                raise document.error(f"query {query!r}, label {number + 1}: {problem}", "queries", query, number)
            label = _label_from(item)
            labels[label.doc] = label
        queries[query] = labels
    extra = {k: v for k, v in data.items() if k not in ("version", "scale", "queries")}
    return queries, extra


_KNOWN = {"doc", "grade", "text_sha1", "at"}


def _label_problem(item) -> str | None:
    if not isinstance(item, dict):
        return "expected a mapping with `doc` and `grade`"
    if "doc" not in item or "grade" not in item:
        return "needs `doc` and `grade`"
    doc, grade = item["doc"], item["grade"]
    if not isinstance(doc, (str, int)) or isinstance(doc, bool) or not str(doc).strip():
        return f"`doc` must be a passage id, not {doc!r}"
    if isinstance(grade, bool) or not isinstance(grade, int) or grade not in SCALE:
        return f"grade {grade!r} is not one of {', '.join(map(str, SCALE))}"
    for key in ("text_sha1", "at"):
        value = item.get(key)
        if value is not None and not isinstance(value, (str, datetime)):
            return f"`{key}` must be text, not {value!r}"
    return None


def _label_from(item: dict) -> Label:
    at = item.get("at", "")
    if isinstance(at, datetime):  # YAML parses unquoted timestamps
        at = at.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z" if at.tzinfo else at.isoformat()
    extra = {k: v for k, v in item.items() if k not in _KNOWN} if len(item) > 4 or not _KNOWN.issuperset(item) else {}
    return Label(str(item["doc"]), item["grade"], str(item.get("text_sha1") or ""), str(at or ""), extra)


def cacheable(queries: Queries, extra: dict):
    return {
        "queries": {q: [[l.doc, l.grade, l.text_sha1, l.at, l.extra] for l in labels.values()] for q, labels in queries.items()},
        "extra": extra,
    }


def _from_cache(cached) -> tuple[Queries, dict]:
    queries = {q: {row[0]: Label(*row) for row in rows} for q, rows in cached["queries"].items()}
    return queries, cached.get("extra") or {}




def labels_yaml(queries: Queries, extra: dict) -> str:
    """The whole file, dumped DUMP_CHUNK labels at a time: memory stays flat at any size."""
    parts = [dump_yaml({"version": FORMAT_VERSION, "scale": dict(SCALE)})]
    parts.append("queries:\n" if queries else "queries: {}\n")
    chunk: dict = {}
    size = 0
    for query, labels in queries.items():
        chunk[query] = [lab.to_yaml() for lab in labels.values()]
        size += len(labels) + 1
        if size >= DUMP_CHUNK:
            parts.append(_indented(dump_yaml(chunk)))
            chunk, size = {}, 0
    if chunk:
        parts.append(_indented(dump_yaml(chunk)))
    if extra:
        parts.append(dump_yaml(extra))
    return "".join(parts)
