"""labels.yaml itself: parsed with its line numbers only on error, cached by content, and
dumped a few thousand labels at a time."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from rerank_tui.session import parse_cache
from rerank_tui.session.label_model import DEFAULT_SCALE, FORMAT_VERSION, Label, Queries, Scale
from rerank_tui.session.store import YamlDocument, dump_yaml, parse_yaml

DUMP_CHUNK = 2000


def _indented(text: str) -> str:
    """A dumped mapping moved one level in (YAML structure is relative, so this is exact)."""
    return "".join("  " + line if line.strip() else line for line in text.splitlines(keepends=True))


def parse_labels_file(path: Path, text: str) -> tuple[Queries, dict, Scale]:
    """(labels by query, the top-level keys the app does not know, the file's scale: the
    default when it has no `scale:`). A bad file → `WorkspaceFileError` at its line."""
    cached = parse_cache.get(path, text)
    if cached is not None and (parsed := _from_cache(cached)) is not None:
        return parsed
    document = parse_yaml(path, text)
    queries, extra, scale = _parse_document(document)
    parse_cache.put(path, text, cacheable(queries, extra, scale))
    return queries, extra, scale


def _parse_document(document: YamlDocument) -> tuple[Queries, dict, Scale]:
    data = document.data
    if data is None:
        return {}, {}, DEFAULT_SCALE
    if not isinstance(data, dict):
        raise document.error("expected a mapping with `version` and `queries`")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise document.error(f"unsupported version {version!r} (this app reads {FORMAT_VERSION})", "version")
    scale = DEFAULT_SCALE
    if data.get("scale") is not None:
        try:
            scale = Scale.parse(data["scale"])
        except ValueError as exc:
            raise document.error(f"`scale`: {exc}", "scale") from None
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
            problem = _label_problem(item, scale)
            if problem:
                raise document.error(f"query {query!r}, label {number + 1}: {problem}", "queries", query, number)
            label = _label_from(item)
            labels[label.doc] = label
        queries[query] = labels
    extra = {k: v for k, v in data.items() if k not in ("version", "scale", "queries")}
    return queries, extra, scale


_KNOWN = {"doc", "grade", "text_sha1", "at"}


def _label_problem(item, scale: Scale) -> str | None:
    if not isinstance(item, dict):
        return "expected a mapping with `doc` and `grade`"
    if "doc" not in item or "grade" not in item:
        return "needs `doc` and `grade`"
    doc, grade = item["doc"], item["grade"]
    if not isinstance(doc, (str, int)) or isinstance(doc, bool) or not str(doc).strip():
        return f"`doc` must be a passage id, not {doc!r}"
    if isinstance(grade, bool) or not isinstance(grade, int):
        return f"grade {grade!r} is not a whole number"
    if grade not in scale:
        return f"grade {grade} is not on this file's scale {scale.text}"
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


def cacheable(queries: Queries, extra: dict, scale: Scale = DEFAULT_SCALE):
    return {
        "queries": {q: [[x.doc, x.grade, x.text_sha1, x.at, x.extra] for x in labels.values()] for q, labels in queries.items()},
        "extra": extra,
        "scale": [scale.low, scale.high, [[grade, name] for grade, name in scale.names.items()]],
    }


def _from_cache(cached) -> tuple[Queries, dict, Scale] | None:
    """The parsed file back from the cache; None for an entry without a scale (written before
    scales were kept) or one that does not read as a scale (then the file is parsed again)."""
    try:
        low, high, names = cached["scale"]
        scale = Scale(low, high, {grade: name for grade, name in names})
    except (KeyError, TypeError, ValueError):
        return None
    queries = {q: {row[0]: Label(*row) for row in rows} for q, rows in cached["queries"].items()}
    return queries, cached.get("extra") or {}, scale


def off_scale(queries: Queries, scale: Scale) -> tuple[str, Label] | None:
    """The first (query, label) whose grade is not on `scale`, or None."""
    for query, labels in queries.items():
        for label in labels.values():
            if label.grade not in scale:
                return query, label
    return None


def labels_yaml(queries: Queries, extra: dict, scale: Scale = DEFAULT_SCALE) -> str:
    """The whole file, dumped DUMP_CHUNK labels at a time: memory stays flat at any size.

    A label off `scale` → ValueError (nothing is written that this reader would refuse)."""
    parts = [dump_yaml({"version": FORMAT_VERSION, "scale": scale.to_yaml()})]
    parts.append("queries:\n" if queries else "queries: {}\n")
    chunk: dict = {}
    size = 0
    for query, labels in queries.items():
        for lab in labels.values():
            if lab.grade not in scale:
                raise ValueError(f"query {query!r}, doc {lab.doc!r}: grade {lab.grade!r} is not on the scale {scale.text}")
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
