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
    workspace = Workspace.open(args.workspace)
    instruction, preset = resolve_instruction(args, workspace.presets)

    from rerank_tui.tui.app import AppOptions, RerankApp
    from rerank_tui.tui.bindings import load_keymap

    keymap, keymap_problems = load_keymap(config_dir())
    app = RerankApp(
        AppOptions(
            source=str(args.path),
            open_index=opener,
            make_reranker=None if args.no_rerank else reranker_factory(args),
            reranker_label="no reranker" if args.no_rerank else reranker_label(args),
            workspace=workspace,
            bm25_k=args.k,
            rerank_depth=args.rerank_depth,
            instruction=instruction,
            preset=preset,
            keymap=keymap,
            notes=tuple(keymap_problems),
        )
    )
    try:
        app.run()
    finally:
        workspace.close()  # the last labels' writes, if any are still on their way
    return 0
