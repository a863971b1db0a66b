"""`rerank-tui export` and `rerank-tui import`: labels.yaml to and from qrels, CSV (ours and
Quepid's) and JSONL, and queries files (no labels) into the query set.

The query set (queries.yaml, next to labels.yaml) keeps each query's id: qrels imported with
their queries file keep the file's ids, and every export writes them back.
"""

from __future__ import annotations

import sys

from rerank_tui.cli.errors import UserError, reading


def _labels_path(args):
    return args.labels if args.labels is not None else args.workspace / "labels.yaml"


def _load_store(path):
    from rerank_tui.session.labels import LabelStore
    from rerank_tui.session.store import WorkspaceFileError

    try:
        return LabelStore.load(path)
    except WorkspaceFileError as exc:
        raise UserError(str(exc)) from None


def _load_query_file(labels_path):
    """queries.yaml beside the labels file (the workspace's, or the one --labels names)."""
    from rerank_tui.session.query_set import QuerySetFile
    from rerank_tui.session.store import WorkspaceFileError

    try:
        return QuerySetFile.load(labels_path.with_name("queries.yaml"))
    except WorkspaceFileError as exc:
        raise UserError(str(exc)) from None


def load_query_set(labels_path, store):
    """The query set of the labels at `labels_path` (queries.yaml beside them, then the labeled
    queries it lacks): its ids are the ones every export and run file uses."""
    return _query_set(store, _load_query_file(labels_path))


def _query_set(store, listed):
    from rerank_tui.session.query_set import QuerySet

    return QuerySet.of(listed, (q for q, labels in store.queries.items() if labels))


def cmd_export(args) -> int:
    from rerank_tui.session.judgments import export_text, to_queries_jsonl, with_query_set
    from rerank_tui.session.label_journal import journal_path
    from rerank_tui.session.store import atomic_write_text

    path = _labels_path(args)
    listed = _load_query_file(path)
    if not path.exists() and not journal_path(path).exists() and not listed.entries:
        raise UserError(f"no labels at {path} (label some hits in the app, or pass --labels FILE)")
    store = _load_store(path)
    query_set = _query_set(store, listed)
    judgments = with_query_set(store.queries, query_set)
    text = export_text(judgments, args.format, query_set)
    try:
        if args.out is None:
            sys.stdout.write(text)
        else:
            atomic_write_text(args.out, text)
        if args.queries_out is not None:
            atomic_write_text(args.queries_out, to_queries_jsonl(judgments, query_set))
        if args.suggested is not None:
            atomic_write_text(args.suggested, _suggested_text(path, store, query_set))
    except OSError as exc:
        raise UserError(f"cannot write: {exc}") from None
    if args.out is not None:
        print(f"wrote {len(store)} labels of {len(judgments)} queries to {args.out}", file=sys.stderr)
    return 0


def _suggested_text(labels_path, store, query_set) -> str:
    """The judge's suggestions beside the labels (suggestions.jsonl) as qrels, minus the labeled pairs."""
    from rerank_tui.session.judgments import suggested_qrels_text
    from rerank_tui.session.store import WorkspaceFileError
    from rerank_tui.session.suggestions import SuggestionStore, suggestions_path

    try:
        suggestions = SuggestionStore.load(suggestions_path(labels_path.parent))
    except WorkspaceFileError as exc:
        raise UserError(str(exc)) from None
    return suggested_qrels_text(suggestions, query_set, exclude_labeled=store.queries, scale=store.scale)


def cmd_import(args) -> int:
    from rerank_tui.session.judgments import guess_format

    fmt = args.format or guess_format(args.file)
    if fmt == "queries":
        if args.queries is not None:
            raise UserError("--queries goes with a qrels file; this is a queries file (import it alone)")
        return _import_queries(args)
    return _import_judgments(args, fmt)


def _import_queries(args) -> int:
    """A queries file without labels: its queries join the set with their ids (and notes)."""
    from rerank_tui.session.query_readers import read_query_records

    with reading(args.file, "queries file"):
        records = read_query_records(args.file)
    if not records:
        raise UserError(f"no queries in {args.file}")
    path = _labels_path(args)
    listed = _load_query_file(path)
    added = _add_queries(listed, [(r.id, r.text) for r in records], {r.text: r.note for r in records if r.note})
    print(f"{added} new queries of {len(records)} in {args.file} added to {listed.path}", file=sys.stderr)
    return 0


def _add_queries(listed, pairs, notes=None) -> int:
    from rerank_tui.session.store import WorkspaceFileError

    try:
        return listed.add(pairs, notes)
    except ValueError as exc:
        raise UserError(f"{listed.path}: not changed: {exc}") from None
    except WorkspaceFileError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {listed.path}: {exc.strerror or exc}") from None


def _import_judgments(args, fmt: str) -> int:
    from rerank_tui.session.labels import LabelStore
    from rerank_tui.session.store import WorkspaceFileError

    from rerank_tui.session.label_model import Scale
    from rerank_tui.session.label_scale import import_scale, judgment_grades

    try:
        requested = Scale.parse(args.scale) if args.scale else None
    except ValueError as exc:
        raise UserError(f"--scale {args.scale}: {exc}") from None
    path = _labels_path(args)
    listed = _load_query_file(path)
    store = LabelStore(path) if args.replace else _load_store(path)
    judgments, ids, notes = _read_judgments(args, fmt, _query_set(store, listed))
    try:
        scale = import_scale(store.scale, args.replace or len(store) == 0, judgment_grades(judgments), requested)
    except ValueError as exc:
        raise UserError(f"{args.file}: {exc}") from None
    # Queries that come with an id or a note, and queries without labels (Quepid's `query,,`),
    # join the query set (queries.yaml): a query without labels is known by nothing else.
    joining = [q for q in judgments if q in ids or q in notes or (not judgments[q] and listed.by_text(q) is None)]
    if joining:
        _add_queries(listed, [(ids.get(q), q) for q in joining], notes)
    before = store.scale
    try:
        store.merge(judgments, replace=args.replace, scale=scale)  # under the labels' lock: a running app keeps its labels
    except ValueError as exc:  # a label already in the workspace is off the new scale
        raise UserError(f"{path}: not changed: {exc}") from None
    except WorkspaceFileError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    count = sum(len(v) for v in judgments.values())
    print(f"imported {count} labels of {len(judgments)} queries into {path}", file=sys.stderr)
    if scale != before or (requested is not None and scale.names != before.names):
        print(f"the labels' scale is now {scale.text} (labels.yaml `scale:`; the label keys follow it)", file=sys.stderr)
    return 0


def _read_judgments(args, fmt: str, query_set):
    """(labels by query text, the query ids they came with, their notes)."""
    from rerank_tui.session.judgment_readers import STDIN, read_judgments, read_queries
    from rerank_tui.session.query_readers import first_line_of

    if fmt != "qrels":
        with reading(args.file):
            judgments = read_judgments(args.file, fmt)
        ids: dict[str, str] = {}
        notes: dict[str, str] = {}
        if fmt == "jsonl":
            from rerank_tui.session.query_readers import read_jsonl_query_ids

            with reading(args.file):
                ids, notes = read_jsonl_query_ids(args.file)
        return judgments, ids, notes
    if args.queries is not None and str(args.file) == str(args.queries) == STDIN:
        raise UserError("the qrels and --queries cannot both read standard input (-)")
    with reading(args.file):
        by_id = read_judgments(args.file, "qrels")
    if args.queries is not None:
        with reading(args.queries, "queries file"):
            texts = dict(read_queries(args.queries, wanted=set(by_id)))
        source = f"the queries file {args.queries}"
    else:
        texts = {qid: query_set.by_id[qid].text for qid in by_id if qid in query_set.by_id}
        source = "the query set"
    missing = [qid for qid in by_id if qid not in texts]
    if missing:
        where = first_line_of(args.file, missing[0]) if str(args.file) != STDIN else None
        at = f"{args.file}:{where}: " if where else f"{args.file}: "
        shown = ", ".join(map(repr, missing[:3])) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        if args.queries is None:
            raise UserError(
                f"{at}query ids {shown} have no text: pass --queries FILE (JSONL id/text or TSV id<TAB>text) "
                "so each id gets its query; nothing imported"
            )
        raise UserError(f"{at}query ids {shown} are not in {source}; nothing imported")
    judgments = {texts[qid]: labels for qid, labels in by_id.items()}
    if len(judgments) != len(by_id):
        raise UserError(f"two query ids of {args.file} have the same text in {source}; nothing imported")
    ids = {texts[qid]: qid for qid in by_id}
    return judgments, ids, {}
