"""`rerank-tui export` and `rerank-tui import`: labels.yaml to and from qrels, CSV and JSONL."""

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


def cmd_export(args) -> int:
    from rerank_tui.session.judgments import export_text, to_queries_jsonl
    from rerank_tui.session.store import atomic_write_text

    from rerank_tui.session.label_journal import journal_path

    path = _labels_path(args)
    if not path.exists() and not journal_path(path).exists():
        raise UserError(f"no labels at {path} (label some hits in the app, or pass --labels FILE)")
    store = _load_store(path)
    text = export_text(store.queries, args.format)
    try:
        if args.out is None:
            sys.stdout.write(text)
        else:
            atomic_write_text(args.out, text)
        if args.queries_out is not None:
            atomic_write_text(args.queries_out, to_queries_jsonl(store.queries))
    except OSError as exc:
        raise UserError(f"cannot write: {exc}") from None
    if args.out is not None:
        print(f"wrote {len(store)} labels of {len(store.queries)} queries to {args.out}", file=sys.stderr)
    return 0


def cmd_import(args) -> int:
    from rerank_tui.session.judgments import guess_format, read_judgments
    from rerank_tui.session.labels import LabelStore

    fmt = args.format or guess_format(args.file)
    with reading(args.file):
        imported = read_judgments(args.file, fmt, args.queries)
    from rerank_tui.session.store import WorkspaceFileError

    path = _labels_path(args)
    store = LabelStore(path) if args.replace else _load_store(path)
    try:
        store.merge(imported, replace=args.replace)  # under the labels' lock: a running app keeps its labels
    except WorkspaceFileError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    count = sum(len(v) for v in imported.values())
    print(f"imported {count} labels of {len(imported)} queries into {path}", file=sys.stderr)
    return 0
