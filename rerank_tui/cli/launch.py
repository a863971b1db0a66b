"""`rerank-tui PATH`: check what can be checked up front, then open the app.

The index opens and the model loads inside the app, in workers, so the first frame comes at
once; only a missing corpus path stops here.
"""

from __future__ import annotations

from pathlib import Path

from rerank_tui.cli.errors import UserError


def cmd_tui(args) -> int:
    from rerank_tui.cli.headless import index_opener
    from rerank_tui.cli.reranking import reranker_factory, reranker_label, resolve_instruction
    from rerank_tui.paths import config_dir
    from rerank_tui.session.workspace import Workspace

    if not Path(args.path).exists():
        raise UserError(f"{args.path} does not exist")
    if args.k <= 0 or args.rerank_depth <= 0:
        raise UserError("-k and --rerank-depth must be positive")
    opener = index_opener(args)
    recall, make_dense, read_run = recall_sources(args)
    refuse_without_terminal()
    workspace = Workspace.open(args.workspace)
    instruction, preset = resolve_instruction(args, workspace.presets)
    make_judge = None
    if args.judge_model or args.judge_url:
        from rerank_tui.cli.judge import judge_factory

        make_judge = judge_factory(args)  # a bad prompt file is refused here, before the app opens

    from rerank_tui.tui.app import AppOptions, RerankApp
    from rerank_tui.tui.bindings import load_keymap

    keymap, keymap_problems = load_keymap(config_dir())
    app = RerankApp(
        AppOptions(
            source=str(args.path),
            open_index=lambda **kwargs: opener(build_in_child=True, **kwargs),  # the app's own process stays responsive
            make_reranker=None if args.no_rerank else reranker_factory(args),
            reranker_label="no reranker" if args.no_rerank else reranker_label(args),
            workspace=workspace,
            bm25_k=args.k,
            rerank_depth=args.rerank_depth,
            instruction=instruction,
            preset=preset,
            keymap=keymap,
            notes=tuple(keymap_problems),
            recall=recall,
            make_dense=make_dense,
            read_run=read_run,
            make_judge=make_judge,
            **({} if args.no_watch or args.no_cache else corpus_watching(args.path)),
        )
    )
    try:
        app.run()
    finally:
        workspace.close()  # the last labels' writes, if any are still on their way
    return leave_now(0, busy=app.executor.busy())


HEAVY_MODULES = ("torch", "transformers", "vllm", "sentence_transformers")


def leave_now(code: int, *, busy: bool) -> int:
    """Exit at once once the app has closed and the workspace is saved.

    A worker still running (a model load, a rerank batch, an embedding batch) is abandoned,
    not joined, and with torch or vLLM loaded the interpreter's own shutdown (freeing
    modules, their exit hooks) takes a second or more: then the process ends here with
    `os._exit`, after flushing the standard streams and signalling child processes (vLLM's
    engine cores) to stop. Otherwise it returns `code` for a normal exit.
    """
    import os
    import sys

    if not busy and not any(name in sys.modules for name in HEAVY_MODULES):
        return code
    import multiprocessing

    for child in multiprocessing.active_children():
        try:
            child.terminate()
        except Exception:  # noqa: BLE001 - leaving anyway
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed terminal
            pass
    os._exit(code)


def recall_sources(args):
    """The app's recall sources from the options: (RecallChoice, make_dense or None, read_run
    or None). The run file is read here, so a bad line stops before the app opens; the
    embedder is built, and the corpus embedded, in the app's worker."""
    from rerank_tui.cli.headless import corpus_name
    from rerank_tui.session.recall_choice import RecallChoice
    from rerank_tui.session.recall_sources import Fusion

    wants_embedder = args.embedder is not None or args.embed_url is not None
    if args.approximate_above < 0:
        raise UserError("--approximate-above must be 0 (always exact) or a number of passages")
    if args.recall in ("dense", "hybrid") and not wants_embedder:
        raise UserError(f"--recall {args.recall} needs --embedder MODEL (or --embed-url URL)")
    try:
        fusion = Fusion(args.fusion, args.rrf_k, args.alpha)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    run = None
    if args.recall_run is not None:
        from rerank_tui.cli.errors import reading
        from rerank_tui.session.recall_run import read_recall_run

        if str(args.recall_run) == "-":
            raise UserError("--recall-run in the app reads a file, not standard input")
        with reading(args.recall_run, "run file"):
            run = read_recall_run(args.recall_run)
    embedder_name = ""
    if wants_embedder:
        embedder_name = (args.embedder or "server model").rstrip("/").split("/")[-1]
    recall = RecallChoice.of(
        embedder_name=embedder_name, run_name=run.name if run is not None else "",
        initial="run" if run is not None else (args.recall or "bm25"),
        default=args.recall,  # with a run: what the queries it lacks get (default BM25)
        fusion=fusion, query_instruction=args.query_instruction,
    )
    make_dense = None
    if wants_embedder:
        corpus, backend, model, url = corpus_name(args), args.embed_backend, args.embedder, args.embed_url
        approximate_above = args.approximate_above

        def make_dense(index, progress=None, cancel=None):
            from rerank_tui.embed.factory import build_embedder
            from rerank_tui.session.recall_sources import dense_recall

            embedder = build_embedder(backend, model, url=url)
            return dense_recall(index, embedder, corpus=corpus, progress=progress, cancel=cancel, approximate_above=approximate_above)

    read_run = None
    if run is not None:

        def read_run(index):
            from rerank_tui.session.recall_run import run_candidates

            return run_candidates(run, index)

    return recall, make_dense, read_run


def corpus_watching(path) -> dict:
    """The app's corpus watcher and refresh (AppOptions.watch, .refresh_index, .persist_refresh)."""

    def watch(stop):
        from rerank_tui.session.corpus_watch import corpus_changes

        return corpus_changes(path, stop)

    def refresh(opened, paths):
        from rerank_tui.recall.refresh import refresh_index

        return refresh_index(opened, persist=False)  # swapped in first, written to the cache after

    def persist(result) -> None:
        from rerank_tui.recall.refresh import persist_refresh

        persist_refresh(result)

    return {"watch": watch, "refresh_index": refresh, "persist_refresh": persist}


def refuse_without_terminal() -> None:
    """The app draws on a terminal: with standard output piped or redirected, or TERM=dumb,
    say so in one line instead of filling a file with escape codes (or hanging a script)."""
    import os
    import sys

    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        raise UserError("the app needs a terminal (standard input and output are not one); "
                        "for scripts use `rerank-tui search`, `eval` or `score`")
    if os.environ.get("TERM", "") == "dumb":
        raise UserError("the app cannot draw on TERM=dumb; use a terminal such as xterm-256color, "
                        "or `rerank-tui search`, `eval` or `score` for scripts")
