"""The command line: `rerank-tui PATH` opens the app (`tui`, launch.py); the other commands
run without it: `index` and `search` (headless.py), `eval` (evaluate.py), `export` and
`import` (judgments.py), `snapshot` (snapshot.py), `score` (score.py), `judge` (judge.py). options.py builds the one parser; reranking.py turns options into a
reranker and an instruction.

Errors print one line on stderr (`rerank-tui: error: …`, errors.py), never a traceback, and
exit with status 2 for usage and bad input (a missing path, an empty corpus, a bad line in a
queries or qrels file), 1 for a failure at run time (a server down, a model that cannot load
or score), 130 when interrupted.
"""

from __future__ import annotations

import os
import sys

from rerank_tui.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE, UserError
from rerank_tui.cli.options import COMMANDS, build_parser


def _mistyped_command(word: str) -> str | None:
    """The command `word` is a typo of (`serach` → `search`), when it is no path."""
    import difflib

    if os.path.exists(word) or os.sep in word or "." in word:
        return None
    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    return close[0] if close else None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        nearest = _mistyped_command(argv[0])
        if nearest is not None:
            print(f"rerank-tui: error: unknown command {argv[0]!r}: did you mean {nearest!r}? "
                  f"(commands: {', '.join(COMMANDS)}; a path opens the app)", file=sys.stderr)
            return EXIT_USAGE
        argv.insert(0, "tui")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "tui":
        from rerank_tui.cli.launch import cmd_tui as handler
    elif args.command == "eval":
        from rerank_tui.cli.evaluate import cmd_eval as handler
    elif args.command in ("export", "import"):
        from rerank_tui.cli import judgments

        handler = judgments.cmd_export if args.command == "export" else judgments.cmd_import
    elif args.command == "snapshot":
        from rerank_tui.cli.snapshot import cmd_snapshot as handler
    elif args.command == "score":
        from rerank_tui.cli.score import cmd_score as handler
    elif args.command == "judge":
        from rerank_tui.cli.judge import cmd_judge as handler
    else:
        from rerank_tui.cli import headless

        handler = headless.cmd_index if args.command == "index" else headless.cmd_search
    try:
        return handler(args)
    except UserError as exc:
        print(f"rerank-tui: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("rerank-tui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
