"""Snapshots: the frozen rankings of a query set for one configuration, kept under a name.

In the workspace folder, `snapshots/NAME.trec` holds the run (`qid Q0 docid rank score tag`) and
`snapshots/NAME.yaml` the rest (version, name, created, config, queries). The YAML is written
last and is what makes a snapshot exist: a crash between the two writes leaves a stray run file
that the next save of that name replaces. Scores are made strictly decreasing in the given order
and written at full precision (repr), because trec_eval, ir-measures and pytrec_eval break ties
by doc id, not by file order; so every evaluator sees exactly the saved ranking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rerank_tui.session.ranking import strictly_decreasing
from rerank_tui.session.metrics import Qrels, Run, mean, paired_p_value, per_query
from rerank_tui.session.overlap import (
    DeltaCounts,
    Overlap,
    compare_per_query,
    delta_counts,
    doc_ids,
    mean_overlap,
    per_query_overlap,
)
from rerank_tui.session.store import (
    WorkspaceFileError,
    YamlDocument,
    atomic_write_text,
    dump_yaml,
    locked,
    read_yaml,
    remove_stray_temps,
)

SNAPSHOTS_DIR = "snapshots"
VERSION = 1
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,79}")
_FORMAT = "a mapping with version, name, created, config and queries"


class SnapshotExists(WorkspaceFileError):
    """A snapshot of that name is there and `replace` was not asked for."""


class SnapshotNotFound(WorkspaceFileError):
    """No snapshot of that name."""


@dataclass
class Snapshot:
    name: str
    created: str  # UTC, ISO 8601 (`2026-11-22T03:00:00Z`)
    config: dict  # recall settings, model, depth, instruction…: plain YAML values
    queries: dict[str, str]  # qid → query text, in run-file order
    run: Run  # qid → [(doc id, score)], best first, scores strictly decreasing


@dataclass(frozen=True)
class SnapshotInfo:
    """One line of `list_snapshots`; `error` set (and the rest empty) when its YAML is broken."""

    name: str
    created: str | None
    config: dict = field(default_factory=dict)
    queries: int = 0
    error: str | None = None


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def check_name(name: str) -> str:
    """A snapshot name is 1–80 ASCII letters, digits, `-`, `_`, `.`, not starting with `.`
    (it names two files and is the run's tag: no separators, no hidden files, one word)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"invalid snapshot name {name!r}: use 1-80 letters, digits, '-', '_' or '.', not starting with '.'"
        )
    return name


def snapshot_paths(workspace_root: str | Path, name: str) -> tuple[Path, Path]:
    """(NAME.yaml, NAME.trec) in the workspace's snapshots folder."""
    folder = Path(workspace_root) / SNAPSHOTS_DIR
    check_name(name)
    return folder / f"{name}.yaml", folder / f"{name}.trec"


# -- writing ------------------------------------------------------------------------------------


def _token(value, what: str) -> str:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise ValueError(f"{what} {value!r} cannot go in a TREC run: it must be one word")
    return value


def _checked_run(queries: Mapping[str, str], run: Mapping[str, list[tuple[str, float]]]) -> Run:
    """The run in the order of `queries` (a query without hits gets []), made strictly decreasing."""
    extra = [qid for qid in run if qid not in queries]
    if extra:
        raise ValueError(f"the run has queries that are not in the query set: {', '.join(map(repr, extra[:5]))}")
    checked: Run = {}
    for qid in queries:
        _token(qid, "query id")
        docs = [(_token(doc, "doc id"), float(score)) for doc, score in run.get(qid, ())]
        if len({doc for doc, _ in docs}) != len(docs):
            raise ValueError(f"query {qid!r} lists a document twice")
        docs = strictly_decreasing(docs)
        bad = next(((doc, s) for doc, s in docs if not math.isfinite(s)), None)
        if bad:
            raise ValueError(f"query {qid!r} has the score {bad[1]} for {bad[0]}: scores must be finite numbers")
        checked[qid] = docs
    return checked


def _plain(value, where: str):
    """A copy of `value` as plain YAML data (tuples become lists), or a ValueError naming where."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"config key {key!r} at {where} is not a string")
            out[key] = _plain(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise ValueError(f"config value at {where} is a {type(value).__name__}, not a plain value (text, number, list, mapping)")


def run_text(snapshot: Snapshot, tag: str | None = None) -> str:
    """The snapshot's run as TREC lines (tag: the snapshot's name), strictly decreasing scores."""
    tag = _token(tag or snapshot.name, "run tag")
    run = _checked_run(snapshot.queries, snapshot.run)
    return "".join(
        f"{qid} Q0 {doc} {rank} {score!r} {tag}\n"
        for qid, docs in run.items()
        for rank, (doc, score) in enumerate(docs, start=1)
    )


def _write(path: Path, text: str) -> None:
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise WorkspaceFileError(path, f"cannot write: {exc.strerror or exc}") from None


def save_snapshot(
    workspace_root: str | Path,
    name: str,
    config: Mapping,
    queries: Mapping[str, str],
    run: Mapping[str, list[tuple[str, float]]],
    *,
    replace: bool = False,
) -> Snapshot:
    """Freeze `run` (qid → [(doc id, score)] in rank order) for the query set `queries` under
    `name`. Refuses an existing name unless `replace`. Returns the snapshot as saved."""
    yaml_path, trec_path = snapshot_paths(workspace_root, name)
    for qid, text in queries.items():
        if not isinstance(text, str):
            raise ValueError(f"the text of query {qid!r} is not a string")
    queries = {_token(qid, "query id"): text for qid, text in queries.items()}
    snapshot = Snapshot(name, utc_now(), _plain(dict(config), "config"), queries, _checked_run(queries, run))
    header = {"version": VERSION, "name": name, "created": snapshot.created, "config": snapshot.config, "queries": queries}
    with locked(yaml_path):
        remove_stray_temps(yaml_path)
        remove_stray_temps(trec_path)
        if yaml_path.exists() and not replace:
            raise SnapshotExists(yaml_path, f"a snapshot named {name!r} exists: choose another name, or replace it")
        _write(trec_path, run_text(snapshot))
        _write(yaml_path, dump_yaml(header))
    return snapshot


def export_run(snapshot: Snapshot, path: str | Path, tag: str | None = None) -> int:
    """Write the snapshot's TREC run to `path` atomically; return the number of lines."""
    text = run_text(snapshot, tag)
    _write(Path(path), text)
    return text.count("\n")


def delete_snapshot(workspace_root: str | Path, name: str) -> None:
    yaml_path, trec_path = snapshot_paths(workspace_root, name)
    if not yaml_path.exists() and not trec_path.exists():
        raise SnapshotNotFound(yaml_path, f"no snapshot named {name!r}")
    with locked(yaml_path):
        try:
            yaml_path.unlink(missing_ok=True)  # the YAML first: without it the snapshot is gone
            trec_path.unlink(missing_ok=True)
        except OSError as exc:
            raise WorkspaceFileError(yaml_path, f"cannot delete: {exc.strerror or exc}") from None


# -- reading ------------------------------------------------------------------------------------


def _header(document: YamlDocument) -> tuple[str, dict, dict[str, str]]:
    """(created, config, queries) of a snapshot's YAML, or a WorkspaceFileError at the line."""
    data = document.data
    if not isinstance(data, dict):
        raise document.error(f"a snapshot file is {_FORMAT}")
    version = data.get("version")
    if version != VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > VERSION
        message = f"version {version} is from a newer rerank-tui" if newer else f"version must be {VERSION}"
        raise document.error(message, *(["version"] if "version" in data else []))
    created = data.get("created")
    if isinstance(created, datetime):  # an unquoted timestamp in a hand-edited file
        created = (created.astimezone(timezone.utc) if created.tzinfo else created).replace(tzinfo=None).isoformat() + "Z"
    if not isinstance(created, str):
        raise document.error("created must be a UTC time such as 2026-11-22T03:00:00Z", *(["created"] if "created" in data else []))
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise document.error("config must be a mapping", "config")
    queries = data.get("queries")
    if not isinstance(queries, dict):
        raise document.error("queries must be a mapping of query id to query text", *(["queries"] if "queries" in data else []))
    out: dict[str, str] = {}
    for qid, text in queries.items():
        if isinstance(qid, bool) or not isinstance(qid, (str, int)) or not str(qid) or any(c.isspace() for c in str(qid)):
            raise document.error(f"query id {qid!r} must be one word", "queries", qid)
        if not isinstance(text, str):
            raise document.error(f"the text of query {qid} must be a string", "queries", qid)
        out[str(qid)] = text
    return created, config, out


def read_run(path: Path, queries: Mapping[str, str]) -> Run:
    """The run file of a snapshot, streamed line by line; any line that is not a TREC run line
    of one of `queries`, in rank order with strictly decreasing scores, is an error at its line."""
    run: Run = {qid: [] for qid in queries}
    seen: dict[str, set[str]] = {qid: set() for qid in queries}
    try:
        file = open(path, "rb")
    except FileNotFoundError:
        raise WorkspaceFileError(path, "missing: the run file of this snapshot is not there") from None
    except OSError as exc:
        raise WorkspaceFileError(path, f"cannot read: {exc.strerror or exc}") from None
    with file:
        for number, raw in enumerate(file, start=1):
            try:
                fields = raw.decode("utf-8").split()
            except UnicodeDecodeError:
                raise WorkspaceFileError(path, "not UTF-8 text", number) from None
            if not fields:
                continue
            if len(fields) != 6:
                raise WorkspaceFileError(path, f"expected `qid Q0 docid rank score tag` (6 fields), found {len(fields)}", number)
            qid, _, doc, rank, score, _ = fields
            docs = run.get(qid)
            if docs is None:
                raise WorkspaceFileError(path, f"query {qid!r} is not among the snapshot's queries", number)
            try:
                rank_n, value = int(rank), float(score)
            except ValueError:
                raise WorkspaceFileError(path, f"rank {rank!r} and score {score!r} must be numbers", number) from None
            if rank_n != len(docs) + 1:
                raise WorkspaceFileError(path, f"rank {rank_n} where {len(docs) + 1} was expected for query {qid!r}", number)
            if not math.isfinite(value) or (docs and value >= docs[-1][1]):
                raise WorkspaceFileError(path, f"score {score} must be a finite number below the one before it", number)
            if doc in seen[qid]:
                raise WorkspaceFileError(path, f"document {doc!r} appears twice for query {qid!r}", number)
            seen[qid].add(doc)
            docs.append((doc, value))
    return run


def load_snapshot(workspace_root: str | Path, name: str) -> Snapshot:
    yaml_path, trec_path = snapshot_paths(workspace_root, name)
    document = read_yaml(yaml_path)
    if document is None:
        raise SnapshotNotFound(yaml_path, f"no snapshot named {name!r}")
    created, config, queries = _header(document)
    return Snapshot(name, created, config, queries, read_run(trec_path, queries))


def list_snapshots(workspace_root: str | Path) -> list[SnapshotInfo]:
    """Every snapshot, newest first (broken ones last, with their `error`); reads only the YAMLs."""
    folder = Path(workspace_root) / SNAPSHOTS_DIR
    if not folder.is_dir():
        return []
    infos = []
    for path in folder.glob("*.yaml"):
        name = path.name[: -len(".yaml")]
        if not _NAME.fullmatch(name):
            continue
        try:
            document = read_yaml(path)
            if document is None:  # deleted since the glob
                continue
            created, config, queries = _header(document)
            if not path.with_name(f"{name}.trec").exists():
                raise WorkspaceFileError(path.with_name(f"{name}.trec"), "missing: the run file of this snapshot is not there")
            infos.append(SnapshotInfo(name, created, config, len(queries)))
        except WorkspaceFileError as exc:
            infos.append(SnapshotInfo(name, None, error=str(exc)))
    return sorted(infos, key=lambda i: (i.created is not None, i.created or "", i.name), reverse=True)


# -- comparing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankChange:
    doc: str
    rank_a: int | None  # None: not in a's run at all
    rank_b: int | None

    @property
    def moved(self) -> int | None:
        """Positions gained from a to b (positive: moved up); None when missing from one."""
        return None if self.rank_a is None or self.rank_b is None else self.rank_a - self.rank_b


@dataclass
class QueryDiff:
    qid: str
    text: str
    a: float | None  # the metric on each side; None for a query without labels
    b: float | None
    overlap: Overlap  # Jaccard and RBO of the two top-`top` lists
    moved_up: list[RankChange] = field(default_factory=list)  # in both tops, higher in b
    moved_down: list[RankChange] = field(default_factory=list)
    only_a: list[RankChange] = field(default_factory=list)  # left the top (rank_b: where it went)
    only_b: list[RankChange] = field(default_factory=list)  # entered the top (rank_a: where from)

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass
class SnapshotDiff:
    a: str  # snapshot names
    b: str
    metric: str
    queries: list[QueryDiff]  # judged queries worst first (most negative delta), then the others
    mean_a: float  # over the judged queries both snapshots have (NaN: none)
    mean_b: float
    p_value: float  # paired t-test; NaN when undefined
    counts: DeltaCounts
    overlap: Overlap  # means over all shared queries
    only_in_a: list[str] = field(default_factory=list)  # query ids one snapshot lacks
    only_in_b: list[str] = field(default_factory=list)

    @property
    def mean_delta(self) -> float:
        return self.mean_b - self.mean_a


def rank_changes(run_a: list[tuple[str, float]], run_b: list[tuple[str, float]], top: int = 10):
    """(moved up, moved down, only in a's top, only in b's top) among the two top-`top` lists."""
    rank_a = {doc: r for r, (doc, _) in enumerate(run_a, start=1)}
    rank_b = {doc: r for r, (doc, _) in enumerate(run_b, start=1)}
    up: list[RankChange] = []
    down: list[RankChange] = []
    only_a: list[RankChange] = []
    only_b: list[RankChange] = []
    for doc in dict.fromkeys([d for d, _ in run_a[:top]] + [d for d, _ in run_b[:top]]):
        change = RankChange(doc, rank_a.get(doc), rank_b.get(doc))
        in_a = change.rank_a is not None and change.rank_a <= top
        in_b = change.rank_b is not None and change.rank_b <= top
        if in_a and in_b:
            if change.moved:
                (up if change.moved > 0 else down).append(change)
        else:
            (only_a if in_a else only_b).append(change)
    up.sort(key=lambda c: _known(c.rank_b))
    down.sort(key=lambda c: _known(c.rank_a))
    only_a.sort(key=lambda c: _known(c.rank_a))
    only_b.sort(key=lambda c: _known(c.rank_b))
    return up, down, only_a, only_b


def _known(rank: int | None) -> int:
    # Each list above is sorted by a rank all its members have (a run's docs are unique: read_run).
    assert rank is not None
    return rank


def diff_snapshots(
    a: Snapshot, b: Snapshot, qrels: Qrels, metric: str = "nDCG@10", *, top: int = 10, p: float = 0.9
) -> SnapshotDiff:
    """Per query both snapshots have: `metric` on each side against `qrels` (the labels as they
    are now; queries without labels get None), the rank changes in the top `top`, and the overlap
    of the two tops; plus means, the paired p-value and how many queries got better or worse."""
    shared = [qid for qid in a.queries if qid in b.queries]
    judged = {qid: qrels[qid] for qid in shared if qrels.get(qid)}

    def values(s: Snapshot) -> dict[str, float]:
        by_metric = per_query(judged, {qid: s.run.get(qid, []) for qid in judged}, [metric])
        return next(iter(by_metric.values()))

    values_a, values_b = values(a), values(b)
    deltas = compare_per_query(values_a, values_b)
    order = [d.qid for d in deltas] + [q for q in shared if q not in judged]
    overlaps = per_query_overlap(
        {q: ids for q, ids in doc_ids(a.run).items() if q in b.queries}, doc_ids(b.run), k=top, p=p
    )
    empty = Overlap(1.0, 1.0)
    diffs = []
    for qid in order:
        run_a, run_b = a.run.get(qid, []), b.run.get(qid, [])
        diffs.append(
            QueryDiff(
                qid, a.queries[qid], values_a.get(qid), values_b.get(qid), overlaps.get(qid, empty),
                *rank_changes(run_a, run_b, top),
            )
        )
    return SnapshotDiff(
        a.name,
        b.name,
        metric,
        diffs,
        mean(values_a),
        mean(values_b),
        paired_p_value(values_a, values_b),
        delta_counts(deltas),
        mean_overlap({d.qid: d.overlap for d in diffs}),
        [q for q in a.queries if q not in b.queries],
        [q for q in b.queries if q not in a.queries],
    )
