"""`rerank-tui eval`: BM25 and one reranked system per instruction, metrics in one table.

The judged queries come from --labels, from --queries with --qrels, or, when PATH is a test
collection folder and neither is given, from the folder itself: BEIR's `queries.jsonl` with
`qrels/test.tsv` (`--split dev` or `train` picks another), or `queries.jsonl` beside one
`qrels.tsv` (the layout of shared/eval). The corpus layer reads the folder's documents.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rerank_tui.cli.errors import UserError, reading

QUERY_FILES = ("queries.jsonl", "queries.tsv")
DEFAULT_SPLIT = "test"


def collection_files(path, split: str | None, qrels: Path | None = None) -> tuple[Path, Path, str | None]:
    """(queries file, qrels file, split or None) of a test collection folder: BEIR's
    `queries.jsonl` and `qrels/SPLIT.tsv` (`test` unless `split` says, or the only split there
    is), or `queries.jsonl` beside a single `qrels.tsv`. `qrels` given: that file instead.
    UserError when the folder has no such files, naming what it lacks."""
    folder = Path(path)
    if not folder.is_dir():
        raise UserError(f"{path} is not a test collection folder: give --labels FILE, or --queries FILE with --qrels FILE")
    queries = next((folder / name for name in QUERY_FILES if (folder / name).is_file()), None)
    if queries is None:
        raise UserError(
            f"{path} has no queries.jsonl: give --labels FILE, or --queries FILE with --qrels FILE "
            "(a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/test.tsv)"
        )
    if qrels is not None:
        if split is not None:
            raise UserError("--split picks the folder's qrels/SPLIT.tsv: it does not go with --qrels")
        return queries, qrels, None
    splits = sorted(p.stem for p in (folder / "qrels").glob("*.tsv") if p.is_file()) if (folder / "qrels").is_dir() else []
    if splits:
        chosen = split or (DEFAULT_SPLIT if DEFAULT_SPLIT in splits else splits[0] if len(splits) == 1 else None)
        if chosen is None:
            raise UserError(f"{folder / 'qrels'} has no {DEFAULT_SPLIT}.tsv: pass --split " + " or ".join(splits))
        if chosen not in splits:
            raise UserError(f"{folder / 'qrels'} has no {chosen}.tsv (splits: {', '.join(splits)})")
        return queries, folder / "qrels" / f"{chosen}.tsv", chosen
    if (folder / "qrels.tsv").is_file():
        if split is not None:
            raise UserError(f"--split {split}: {path} has one qrels file, qrels.tsv, and no qrels/ folder of splits")
        return queries, folder / "qrels.tsv", None
    raise UserError(f"{path} has {queries.name} but no qrels/{DEFAULT_SPLIT}.tsv or qrels.tsv: give --qrels FILE")


def counted_labels(store, labels_path, source: str):
    """The labels `--label-source` counts: people's (human), theirs and accepted suggestions
    (human+accepted), or those and the judge's suggestions beside labels.yaml (all)."""
    from rerank_tui.session.label_sources import labels_for_metrics

    suggestions = None
    if source == "all":
        from rerank_tui.session.store import WorkspaceFileError
        from rerank_tui.session.suggestions import SuggestionStore, suggestions_path

        try:
            suggestions = SuggestionStore.load(suggestions_path(labels_path.parent))
        except WorkspaceFileError as exc:
            raise UserError(str(exc)) from None
    return labels_for_metrics(store.queries, suggestions, source, store.scale)


def _judged_queries(args) -> tuple[list[tuple[str, str]], dict[str, dict[str, int]]]:
    """(query id, text) pairs and qrels, from --labels, --queries + --qrels, or PATH's own."""
    if args.labels is not None:
        from rerank_tui.session.labels import LabelStore
        from rerank_tui.session.scoreboard import labeled_queries
        from rerank_tui.session.store import WorkspaceFileError

        try:
            store = LabelStore.load(args.labels)
        except WorkspaceFileError as exc:
            raise UserError(str(exc)) from None
        from rerank_tui.cli.judgments import load_query_set

        queries, qrels = labeled_queries(counted_labels(store, args.labels, args.label_source), load_query_set(args.labels, store))
    else:
        from rerank_tui.session.judgment_readers import STDIN, read_qrels, read_queries

        if str(args.queries) == str(args.qrels) == STDIN:
            raise UserError("--queries and --qrels cannot both read standard input (-)")
        with reading(args.qrels, "qrels"):
            qrels = read_qrels(args.qrels, grades=None)  # any integer: test collections grade -1 to 4 and more
        with reading(args.queries, "queries file"):
            queries = read_queries(args.queries, wanted=qrels)  # the judged ones, in the file's order
    if not queries:
        raise UserError("no judged queries to evaluate")
    return queries, qrels


def _systems(args, presets) -> list[tuple[str, str]]:
    systems = [(name, presets.get(name)) for name in args.preset or []]
    missing = [name for name, text in systems if text is None]
    if missing:
        raise UserError(f"no preset named {', '.join(map(repr, missing))} (known: {', '.join(presets.names())})")
    systems += [(f"instruction-{i}", text) for i, text in enumerate(args.instruction or [], start=1)]
    if not systems and not args.bm25_only:
        systems = [("default", presets.get("default") or "")]
    return systems


def cmd_eval(args) -> int:
    from rerank_tui.cli.headless import clear_progress, open_from_args, progress_printer, write_trec_run
    from rerank_tui.session.evaluation import evaluate, significance
    from rerank_tui.session.metrics import DEFAULT_METRICS, parse_metrics
    from rerank_tui.session.presets import PresetStore
    from rerank_tui.session.store import WorkspaceFileError

    split = getattr(args, "split", None)
    if args.labels is not None and (args.queries is not None or args.qrels is not None):
        raise UserError("give --labels FILE, or --queries FILE with --qrels FILE, not both")
    if args.queries is not None and args.qrels is None:
        raise UserError("--queries needs --qrels")
    if split is not None and (args.labels is not None or args.queries is not None):
        raise UserError("--split picks the qrels of a BEIR folder PATH: it goes without --labels and --queries")
    metrics = list(dict.fromkeys(args.metrics or DEFAULT_METRICS))
    try:
        parse_metrics(metrics)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.labels is None and args.queries is None:  # PATH's own queries and qrels
        args.queries, args.qrels, split = collection_files(args.path, split, args.qrels)
        which = f" (split {split}; --split picks another)" if split else ""
        print(f"rerank-tui: note: judged queries from {args.queries} and {args.qrels}{which}", file=sys.stderr)
    try:
        presets = PresetStore.load(args.workspace / "presets.yaml")
    except WorkspaceFileError as exc:
        raise UserError(str(exc)) from None
    queries, qrels = _judged_queries(args)
    systems = _systems(args, presets)
    from rerank_tui.cli.headless import read_recall_run_arg, recall_hits_of

    recall_run = read_recall_run_arg(args, queries)
    kinds = list(dict.fromkeys(args.recall or ["bm25"]))
    if recall_run is not None and kinds != ["bm25"]:
        raise UserError("--recall-run gives the candidates itself: it does not go with --recall dense or hybrid")
    recall_name = "bm25" if recall_run is None else _recall_name(recall_run, systems)
    _check_runs_dir(args, recall_name, systems)
    index = open_from_args(args).index
    from rerank_tui.cli.headless import dense_for, recall_function

    dense = dense_for(args, index, kinds)
    sources = [(recall_name, recall_hits_of(recall_run, index, queries))] if recall_run is not None else [
        (kind, recall_function(args, index, kind, dense)) for kind in kinds
    ]
    reranker = None
    if systems:
        from rerank_tui.cli.headless import make_reranker

        reranker = make_reranker(args)
    from rerank_tui.session.metrics import MetricError

    results = []
    for name, hits_of in sources:
        progress = progress_printer()
        try:
            rows = evaluate(
                index, queries, qrels, systems, reranker=reranker, metrics=metrics,
                depth=args.depth, rerank_depth=args.rerank_depth, progress=progress,
                hits_of=hits_of, recall_name=name,
            )
        except MetricError as exc:  # a provider that failed on these judgments
            raise UserError(str(exc)) from None
        finally:
            clear_progress(progress)
        if len(sources) > 1:  # recall × (nothing | each instruction): "dense+default"
            for system in rows[1:]:
                system.name = f"{name}+{system.name}"
        results += rows

    if args.runs is not None:
        args.runs.mkdir(parents=True, exist_ok=True)
        for system in results:
            run_rows = [(qid, [(d, rank, s) for rank, (d, s) in enumerate(docs, start=1)]) for qid, docs in system.run.items()]
            write_trec_run(args.runs / f"{_file_name(system.name)}.trec", run_rows, _file_name(system.name))

    primary = metrics[min(1, len(metrics) - 1)] if "nDCG@10" not in metrics else "nDCG@10"
    base = results[0]
    table = []
    for system in results:
        means = system.means()
        row = {"system": system.name, "queries": len(queries), **{m: means[m] for m in metrics}}
        if system is not base:
            row["delta"] = {m: means[m] - base.means()[m] for m in metrics}
            row["relative_percent"] = {m: _percent(means[m], base.means()[m]) for m in metrics}
            row[f"p_vs_bm25 ({primary})"] = significance(system, base, primary)
        table.append(row)
    pairs = [
        {"a": a.name, "b": b.name, "metric": primary, "p": significance(a, b, primary)}
        for i, a in enumerate(results[1:], start=1)
        for b in results[i + 1 :]
    ]
    try:
        sweep = _alpha_sweep(args, index, queries, qrels, dense, primary) if args.sweep_alpha else None
    except MetricError as exc:
        raise UserError(str(exc)) from None
    if args.json:  # NaN (no test possible) and any non-finite number become null
        from rerank_tui.safe_text import json_line

        document = {"metrics": metrics, "primary": primary, "rows": table, "pairs": pairs}
        if sweep is not None:
            document["alpha_sweep"] = {"metric": primary, "values": [{"alpha": a, primary: v} for a, v in sweep],
                                       "best": max(sweep, key=lambda av: av[1])[0]}
        print(json_line(document))
        return 0
    _print_table(table, metrics, primary, pairs)
    if sweep is not None:
        best = max(sweep, key=lambda av: av[1])
        print(f"\nhybrid linear α sweep ({primary}, no reranking): " + " · ".join(f"{a:.1f} {v:.4f}" for a, v in sweep))
        print(f"best α = {best[0]:.1f} ({primary} {best[1]:.4f}); --fusion linear --alpha {best[0]:.1f} uses it")
    return 0


def _percent(value: float, base: float) -> float:
    """The relative change in percent (NaN when the base is 0)."""
    return (value - base) / base * 100 if base else float("nan")


def _alpha_sweep(args, index, queries, qrels, dense, primary: str) -> list[tuple[float, float]]:
    """(α, mean `primary`) of hybrid linear recall for α = 0, 0.1, …, 1 over the judged
    queries, as the Search Relevance Workbench's hybrid optimizer does (no reranking)."""
    from rerank_tui.session.evaluation import evaluate
    from rerank_tui.session.recall_sources import Fusion, hits_function

    if dense is None:
        raise UserError("--sweep-alpha needs dense recall: add --recall hybrid (or dense) and --embedder MODEL")
    out = []
    for step in range(11):
        alpha = step / 10
        hits_of = hits_function("hybrid", index, dense, instruction=args.query_instruction, fusion=Fusion("linear", args.rrf_k, alpha))
        [system] = evaluate(index, queries, qrels, [], reranker=None, metrics=[primary], depth=args.depth,
                            rerank_depth=args.rerank_depth, hits_of=hits_of, recall_name=f"alpha-{alpha:.1f}")
        out.append((alpha, system.means()[primary]))
    return out


def _recall_name(recall_run, systems) -> str:
    """The first row's name with --recall-run: the run file's stem, or `run` when that is
    taken by a reranked system."""
    name = _file_name(recall_run.name)
    return "run" if name in {n for n, _ in systems} or name == "system" else name


def _check_runs_dir(args, recall_name: str, systems) -> None:
    """Refuse, before any work, --runs writing over the --recall-run file itself."""
    if args.runs is None or args.recall_run is None or str(args.recall_run) == "-":
        return
    source = args.recall_run.resolve()
    for name in [recall_name, *(n for n, _ in systems)]:
        if (args.runs / f"{_file_name(name)}.trec").resolve() == source:
            raise UserError(f"--runs {args.runs} would write {name}.trec over the --recall-run file: choose another folder")


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "system"


def _fmt_p(p: float) -> str:
    return "   –" if p != p else f"{p:.3f}" + ("*" if p < 0.05 else " ")


def _print_table(table, metrics, primary, pairs) -> None:
    width = max(12, *(len(r["system"]) for r in table))
    cell = {m: max(16, len(m)) for m in metrics}  # a long name (nDCG(dcg='exp-log2')@10) widens its column
    header = f"{'system':<{width}} " + " ".join(f"{m:>{cell[m]}}" for m in metrics) + f"  p vs {table[0]['system']} ({primary})"
    print(header)
    print("-" * len(header))
    for row in table:
        cells = []
        for m in metrics:
            value = f"{row[m]:.4f}"
            if "delta" in row:
                value += f" ({row['delta'][m]:+.3f})"
            cells.append(f"{value:>{cell[m]}}")
        p = row.get(f"p_vs_bm25 ({primary})")
        print(f"{row['system']:<{width}} " + " ".join(cells) + ("  " + _fmt_p(p) if p is not None else ""))
    print(f"\n{table[0]['queries']} judged queries; unlabeled passages count as non-relevant; "
          "p: two-sided paired t-test over queries (* < 0.05)")
    for pair in pairs:
        print(f"{pair['a']} vs {pair['b']} ({primary}): p = {_fmt_p(pair['p']).strip()}")
    sys.stdout.flush()
