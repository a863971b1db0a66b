"""`rerank-tui snapshot`: save a query set's rankings under a name, list, diff, export, delete.

`save` ranks with `session.evaluation.evaluate`, the code `eval` uses (the recall stage's top
`depth`, or the reranked top `rerank_depth` followed by the rest of the recall's top `depth`),
so a snapshot's run is the run `eval --runs` (and `search --run`) would write for the same
options. The recall stage is BM25, dense or hybrid (`--recall`, with the embedder options) or a
run file's candidates (`--recall-run`, BM25 for the queries it lacks), built by the helpers
`search` and `eval` use; `config.recall` records it (session.recall_config), and `list` and
`diff` show its short form. The files are described in docs/formats.md (`snapshots/`).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from rerank_tui.cli.errors import UserError, model_error, reading
from rerank_tui.safe_text import json_line, one_line


def cmd_snapshot(args) -> int:
    handler = {
        "save": _save,
        "list": _list,
        "diff": _diff,
        "export": _export,
        "delete": _delete,
    }[args.snapshot_command]
    from rerank_tui.session.store import WorkspaceFileError

    try:
        return handler(args)
    except WorkspaceFileError as exc:  # SnapshotExists, SnapshotNotFound, a corrupt file
        raise UserError(str(exc)) from None
    except ValueError as exc:  # a bad name or tag, an id that cannot go in a run
        raise UserError(str(exc)) from None


# -- save ---------------------------------------------------------------------------------------


def _labels_path(args) -> Path:
    return args.labels if args.labels is not None else args.workspace / "labels.yaml"


def _load_labels(path: Path):
    from rerank_tui.session.labels import LabelStore

    return LabelStore.load(path)  # a WorkspaceFileError becomes a UserError in cmd_snapshot


def _query_set(args) -> tuple[list[tuple[str, str]], str]:
    """(query id, text) pairs, and where they came from."""
    if args.queries is None:
        if args.qrels is not None:
            raise UserError("--qrels goes with --queries")
        from rerank_tui.cli.judgments import load_query_set

        path = _labels_path(args)
        query_set = load_query_set(path, _load_labels(path))  # queries.yaml's, then the labeled ones
        queries = [(e.id, e.text) for e in query_set]
        if not queries:
            raise UserError(f"no queries in the query set of {path} (label some, `rerank-tui import QUERIES`, or give --queries FILE)")
        return queries, str(path.with_name("queries.yaml") if query_set.entries and path.with_name("queries.yaml").exists() else path)
    from rerank_tui.session.judgment_readers import STDIN, read_qrels, read_queries

    if args.qrels is not None and str(args.queries) == str(args.qrels) == STDIN:
        raise UserError("--queries and --qrels cannot both read standard input (-)")
    wanted = None
    if args.qrels is not None:
        with reading(args.qrels, "qrels"):
            wanted = read_qrels(args.qrels, grades=None)
    with reading(args.queries, "queries file"):
        queries = read_queries(args.queries, wanted=wanted)
    if not queries:
        raise UserError(f"no {'judged ' if wanted is not None else ''}queries in {args.queries}")
    return queries, str(args.queries)


def _config(args, instruction: str | None, preset: str | None, recall: dict) -> dict:
    from rerank_tui.cli.options import DEFAULT_MODEL

    reranked = not args.bm25_only
    config = {
        "corpus": str(args.path),
        "recall": recall,
        "model": None,
        "backend": None,
        "depth": args.depth,
        "rerank_depth": args.rerank_depth if reranked else None,
        "instruction": instruction,
        "preset": preset,
    }
    if reranked:
        if args.cascade is not None:
            config["model"] = f"cascade {args.cascade}"
        else:
            config["model"] = args.model or (None if args.url else DEFAULT_MODEL)
            config["backend"] = "http" if args.url and args.backend == "auto" else args.backend
            if args.url:
                config["url"] = args.url
    return config


def _recall(args, index, queries: list[tuple[str, str]], recall_run):
    """(hits_of, the recall config) of the options: BM25, dense, hybrid or the run's
    candidates (BM25 for the queries the run lacks), as `search` and `eval` have them."""
    from rerank_tui.cli.headless import dense_for, fusion_from_args, recall_candidates, recall_function
    from rerank_tui.session.recall_config import recall_config, run_description

    if recall_run is not None:
        candidates = recall_candidates(recall_run, index, queries)
        run = run_description(args.recall_run, candidates, [qid for qid, _ in queries])
        return candidates.hits_of(index), recall_config("run", index, engine=args.engine, run=run)
    kind = args.recall or "bm25"
    dense = dense_for(args, index, [kind])
    hits_of = recall_function(args, index, kind, dense)
    config = recall_config(
        kind, index, engine=args.engine, embedder=None if dense is None else dense.embedder,
        fusion=fusion_from_args(args) if kind == "hybrid" else None, query_instruction=args.query_instruction,
    )
    return hits_of, config


def _save(args) -> int:
    from rerank_tui.cli.headless import clear_progress, make_reranker, open_from_args, progress_printer, read_recall_run_arg
    from rerank_tui.embed.errors import EmbedderError
    from rerank_tui.rerank.errors import RerankerError
    from rerank_tui.session.evaluation import evaluate
    from rerank_tui.session.recall_config import describe_recall
    from rerank_tui.session.snapshots import check_name, save_snapshot

    check_name(args.name)  # before any work
    if args.depth <= 0 or args.rerank_depth <= 0:
        raise UserError("--depth and --rerank-depth must be positive")
    if args.bm25_only and (args.instruction is not None or args.preset is not None):
        raise UserError("--bm25-only takes no --instruction or --preset")
    instruction = preset = None
    if not args.bm25_only:
        from rerank_tui.cli.reranking import resolve_instruction
        from rerank_tui.session.presets import PresetStore

        instruction, preset = resolve_instruction(args, PresetStore.load(args.workspace / "presets.yaml"))
    if args.recall_run is not None and (args.recall or "bm25") != "bm25":
        raise UserError("--recall-run gives the candidates itself: it does not go with --recall dense or hybrid")
    if (args.recall or "bm25") == "hybrid":
        from rerank_tui.cli.headless import fusion_from_args

        fusion_from_args(args)  # a bad --alpha or --rrf-k before any work
    queries, source = _query_set(args)
    recall_run = read_recall_run_arg(args, queries)
    index = open_from_args(args).index
    hits_of, recall = _recall(args, index, queries, recall_run)
    config = _config(args, instruction, preset, recall)
    reranker = None if args.bm25_only else make_reranker(args)
    systems = [] if args.bm25_only or instruction is None else [(preset or "instruction", instruction)]  # None: only with --bm25-only
    progress = progress_printer()
    try:
        results = evaluate(
            index, queries, {}, systems, reranker=reranker, metrics=[],
            depth=args.depth, rerank_depth=args.rerank_depth, progress=progress,
            hits_of=hits_of, recall_name=recall["kind"],
        )
    except RerankerError as exc:
        raise model_error(exc, "rerank failed: ") from None
    except EmbedderError as exc:  # a query's vector (dense, hybrid)
        raise model_error(exc, "embedding failed: ") from None
    finally:
        clear_progress(progress)
    snapshot = save_snapshot(args.workspace, args.name, config, dict(queries), results[-1].run, replace=args.replace)
    what = describe_recall(recall)
    if not args.bm25_only:
        what += f", reranked ({one_line(config['model'] or 'server model', 60)})"
    print(f"saved snapshot {snapshot.name}: {len(snapshot.queries)} queries from {one_line(source, 120)}, {what}, depth {args.depth}")
    return 0


# -- list ---------------------------------------------------------------------------------------


def _list(args) -> int:
    from rerank_tui.session.recall_config import describe_recall
    from rerank_tui.session.snapshots import list_snapshots

    infos = list_snapshots(args.workspace)
    recalls = {i.name: describe_recall(i.config) for i in infos if i.error is None}
    if args.json:
        print(json_line({"snapshots": [
            {"name": i.name, "created": i.created, "queries": i.queries, "recall": recalls.get(i.name),
             "config": i.config, "error": i.error}
            for i in infos
        ]}))
        return 0
    if not infos:
        print(f"no snapshots in {one_line(str(args.workspace), 120)}")
        return 0
    width = max(8, *(len(i.name) for i in infos))
    recall_width = min(40, max(6, *(len(r) for r in recalls.values()))) if recalls else 6
    print(f"{'name':<{width}}  {'created':<20}  {'queries':>7}  {'recall':<{recall_width}}  {'model':<28}  instruction")
    for i in infos:
        if i.error is not None:
            print(f"{one_line(i.name, width):<{width}}  error: {one_line(i.error, 160)}")
            continue
        config = i.config
        model = config.get("model") or ("–" if not config.get("instruction") else "?")
        instruction = config.get("instruction")
        shown = one_line(str(instruction), 50) if instruction else "–"
        if config.get("preset"):
            shown = f"[{one_line(str(config['preset']), 20)}] {shown}"
        recall = one_line(recalls[i.name], recall_width)
        print(
            f"{i.name:<{width}}  {one_line(str(i.created), 20):<20}  {i.queries:>7}  {recall:<{recall_width}}  "
            f"{one_line(str(model), 28):<28}  {shown}"
        )
    return 0


# -- diff ---------------------------------------------------------------------------------------


def _diff_qrels(args) -> tuple[dict, str | None]:
    """The qrels to score with, and where they came from (None: no labels at all)."""
    if args.qrels is not None:
        from rerank_tui.session.judgment_readers import read_qrels

        with reading(args.qrels, "qrels"):
            return read_qrels(args.qrels, grades=None), str(args.qrels)
    path = _labels_path(args)
    if args.labels is None and not path.exists():
        return {}, None
    if args.labels is not None and not path.exists():
        raise UserError(f"{path}: no such labels file")
    from rerank_tui.cli.judgments import load_query_set
    from rerank_tui.session.scoreboard import labeled_queries

    store = _load_labels(path)
    _, qrels = labeled_queries(store, load_query_set(path, store))  # the ids snapshots were saved with
    return qrels, str(path)


def _change(c) -> dict:
    return {"doc": c.doc, "rank_a": c.rank_a, "rank_b": c.rank_b}


def _shown_queries(diff, limit: int):
    """Judged queries worst first, then the unjudged ones least alike first (lowest RBO)."""
    judged = [q for q in diff.queries if q.delta is not None]
    others = sorted((q for q in diff.queries if q.delta is None), key=lambda q: (q.overlap.rbo, q.overlap.jaccard, q.qid))
    shown = judged + others
    return shown if limit <= 0 else shown[:limit]


def _diff(args) -> int:
    from rerank_tui.session.metrics import parse_metrics
    from rerank_tui.session.recall_config import describe_recall
    from rerank_tui.session.snapshots import diff_snapshots, load_snapshot

    try:
        parse_metrics([args.metric])
    except ValueError as exc:
        raise UserError(str(exc)) from None
    a, b = load_snapshot(args.workspace, args.a), load_snapshot(args.workspace, args.b)
    qrels, source = _diff_qrels(args)
    diff = diff_snapshots(a, b, qrels, args.metric)
    judged = sum(q.delta is not None for q in diff.queries)
    shown = _shown_queries(diff, args.limit)
    recalls = (describe_recall(a.config), describe_recall(b.config))
    if args.json:
        print(json_line({
            "a": diff.a, "b": diff.b, "recall_a": recalls[0], "recall_b": recalls[1], "metric": diff.metric, "labels": source,
            "shared": len(diff.queries), "judged": judged,
            "mean_a": diff.mean_a, "mean_b": diff.mean_b, "delta": diff.mean_delta, "p": diff.p_value,
            "better": diff.counts.better, "worse": diff.counts.worse, "same": diff.counts.same,
            "jaccard@10": diff.overlap.jaccard, "rbo": diff.overlap.rbo,
            "only_in_a": diff.only_in_a, "only_in_b": diff.only_in_b,
            "queries": [
                {
                    "qid": q.qid, "text": q.text, "a": q.a, "b": q.b, "delta": q.delta,
                    "jaccard@10": q.overlap.jaccard, "rbo": q.overlap.rbo,
                    "moved_up": [_change(c) for c in q.moved_up], "moved_down": [_change(c) for c in q.moved_down],
                    "only_a": [_change(c) for c in q.only_a], "only_b": [_change(c) for c in q.only_b],
                }
                for q in shown
            ],
        }))
        return 0
    _print_diff(diff, judged, source, shown, recalls)
    return 0


def _num(value: float | None, spec: str = ".4f") -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def _rank(rank: int | None) -> str:
    return "–" if rank is None else f"#{rank}"


def _print_diff(diff, judged: int, source: str | None, shown, recalls: tuple[str, str]) -> None:
    name_a, name_b = one_line(diff.a, 40), one_line(diff.b, 40)
    print(f"{name_a} → {name_b}: {len(diff.queries)} shared queries")
    if recalls[0] != recalls[1]:
        print(f"  recall: {name_a} {recalls[0]}, {name_b} {recalls[1]}")
    if diff.only_in_a or diff.only_in_b:
        print(f"  queries only in {name_a}: {len(diff.only_in_a)}, only in {name_b}: {len(diff.only_in_b)}")
    metric = one_line(diff.metric, 30)
    if source is None:
        print("no labels (give --labels or --qrels): overlap only")
    elif not judged:
        print(f"no shared query is judged in {one_line(source, 120)}: overlap only")
    else:
        p = diff.p_value
        star = "*" if p == p and p < 0.05 else ""
        print(
            f"{metric}: {_num(diff.mean_a)} → {_num(diff.mean_b)} ({diff.mean_delta:+.4f}), "
            f"paired p = {_num(p, '.3f')}{star}, over {judged} judged queries"
        )
        print(f"better {diff.counts.better}, worse {diff.counts.worse}, same {diff.counts.same}")
    print(f"mean Jaccard@10 {_num(diff.overlap.jaccard, '.3f')}, RBO(0.9) {_num(diff.overlap.rbo, '.3f')}")
    if not shown:
        return
    print()
    title = f"worst queries ({metric} delta)" if judged else "least alike queries (RBO)"
    print(title + ":")
    for q in shown:
        delta = f"{q.delta:+.4f}" if q.delta is not None else "      –"
        values = f"{_num(q.a)} → {_num(q.b)}, " if q.delta is not None else ""
        print(
            f"{delta}  {one_line(q.qid, 30)}  {one_line(q.text, 80)}  "
            f"({values}Jaccard {q.overlap.jaccard:.2f}, RBO {q.overlap.rbo:.2f})"
        )
        for label, changes in (
            ("moved up", q.moved_up), ("moved down", q.moved_down),
            (f"only in {name_a}", q.only_a), (f"only in {name_b}", q.only_b),
        ):
            if changes:
                items = ", ".join(f"{one_line(c.doc, 50)} {_rank(c.rank_a)}→{_rank(c.rank_b)}" for c in changes)
                print(f"           {label}: {items}")
    sys.stdout.flush()


# -- export, delete -----------------------------------------------------------------------------


def _export(args) -> int:
    from rerank_tui.session.snapshots import export_run, load_snapshot

    snapshot = load_snapshot(args.workspace, args.name)
    lines = export_run(snapshot, args.out, args.tag)
    print(f"wrote {lines} lines for {len(snapshot.queries)} queries to {one_line(str(args.out), 160)}", file=sys.stderr)
    return 0


def _delete(args) -> int:
    from rerank_tui.session.snapshots import check_name, delete_snapshot

    check_name(args.name)
    delete_snapshot(args.workspace, args.name)
    print(f"deleted snapshot {args.name}")
    return 0
