"""Entry point: `rerank-tui PATH` (the app) and the headless commands `index` and `search`.

Errors the user can fix (a missing path, an empty corpus, an unreadable queries file) print one
line on stderr and exit with status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from rerank_tui import __version__
from rerank_tui.safe_text import one_line

COMMANDS = ("index", "search", "tui")
EXIT_USAGE = 2


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


# -- arguments ----------------------------------------------------------------------------


def _add_corpus_options(p: argparse.ArgumentParser) -> None:
    from rerank_tui.recall.engines import ENGINES, METHODS

    p.add_argument("path", help="a folder, a JSONL file (id, title, text) or a BEIR folder")
    g = p.add_argument_group("corpus and BM25")
    g.add_argument("--engine", choices=ENGINES, default="bm25s", help="BM25 implementation (default: bm25s)")
    g.add_argument("--bm25-method", choices=METHODS, default="lucene", help="idf variant (default: lucene)")
    g.add_argument("--k1", type=float, default=1.2, help="BM25 k1 (default: 1.2)")
    g.add_argument("--b", type=float, default=0.75, help="BM25 b (default: 0.75)")
    g.add_argument("--max-passage-words", type=int, default=256, metavar="N", help="passage size (default: 256)")
    g.add_argument("--max-file-mb", type=float, default=20, metavar="MB", help="skip larger files (default: 20)")
    g.add_argument("--split-records", action="store_true", help="also split long JSONL/BEIR documents")
    g.add_argument("--rebuild", action="store_true", help="ignore the cached index and rebuild it")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the index cache")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rerank-tui",
        description="BM25 recall next to Qwen3-Reranker, tuned from the keyboard.",
        epilog="`rerank-tui PATH` opens the app; `rerank-tui COMMAND -h` explains a command.",
    )
    parser.add_argument("--version", action="version", version=f"rerank-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p_tui = sub.add_parser("tui", help="open the app on a corpus (the default command)")
    _add_corpus_options(p_tui)

    p_index = sub.add_parser("index", help="build or refresh the BM25 index of a corpus")
    _add_corpus_options(p_index)
    p_index.add_argument("-v", "--verbose", action="store_true", help="list every skipped file")

    p_search = sub.add_parser("search", help="BM25 search from the command line")
    _add_corpus_options(p_search)
    p_search.add_argument("query", nargs="?", help="the query (or use --queries)")
    p_search.add_argument("-k", type=int, default=None, help="hits per query (default: 10, or 100 with --run)")
    p_search.add_argument("--json", action="store_true", help="one JSON object per hit")
    p_search.add_argument("--queries", type=Path, metavar="FILE", help="JSONL with id and text, one query a line")
    p_search.add_argument("--run", type=Path, metavar="OUT", help="write a TREC run file (with --queries)")
    p_search.add_argument("--tag", default="rerank-tui-bm25", help="run tag in the TREC file")
    return parser


# -- shared steps -------------------------------------------------------------------------


def _progress_printer():
    """A callback drawing one progress line on stderr when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    last = [0.0]

    def progress(done: int, total: int | None, what: str = "") -> None:
        now = time.monotonic()
        if now - last[0] < 0.1:
            return
        last[0] = now
        count = f"{done}/{total}" if total else str(done)
        sys.stderr.write(f"\r\x1b[2K{count} {one_line(str(what), 60)}")
        sys.stderr.flush()

    return progress


def _clear_progress(progress) -> None:
    if progress is not None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


def open_from_args(args):
    from rerank_tui.corpus import CorpusError, CorpusOptions
    from rerank_tui.recall import BM25Params, open_index

    try:
        options = CorpusOptions(
            max_file_bytes=int(args.max_file_mb * 2**20),
            max_passage_words=args.max_passage_words,
            split_records=args.split_records,
        )
        params = BM25Params(k1=args.k1, b=args.b, method=args.bm25_method)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.max_passage_words < 8:
        raise UserError("--max-passage-words must be at least 8")
    progress = _progress_printer()
    try:
        return open_index(
            args.path,
            options=options,
            engine=args.engine,
            params=params,
            rebuild=args.rebuild,
            use_cache=not args.no_cache,
            progress=progress,
        )
    except CorpusError as exc:
        raise UserError(str(exc)) from None
    finally:
        _clear_progress(progress)


# -- commands -----------------------------------------------------------------------------


def cmd_index(args) -> int:
    opened = open_from_args(args)
    stats = opened.stats
    how = "built" if opened.built else "loaded from cache"
    print(
        f"{one_line(args.path, 200)}: {stats.passages} passages from {stats.files_read} "
        f"{'records' if stats.kind != 'folder' else 'files'} in {opened.seconds:.2f} s ({how})"
    )
    by_reason = stats.skipped_by_reason()
    if by_reason:
        detail = ", ".join(f"{reason} {n}" for reason, n in by_reason.items())
        hint = "" if args.verbose else "  (--verbose lists them)"
        print(f"skipped {len(stats.skipped)}: {detail}{hint}")
        if args.verbose:
            for s in stats.skipped:
                extra = f"  ({one_line(s.detail, 120)})" if s.detail else ""
                print(f"  {s.reason:<14} {one_line(s.path, 160)}{extra}")
    else:
        print("skipped 0")
    if not args.no_cache:
        print(f"index: {opened.location}")
    return 0


def cmd_search(args) -> int:
    if args.queries is None and not args.query:
        raise UserError("give a query, or --queries FILE.jsonl")
    if args.queries is not None and args.query:
        raise UserError("give either a query or --queries, not both")
    if args.run is not None and args.queries is None:
        raise UserError("--run needs --queries FILE.jsonl")
    k = args.k if args.k is not None else (100 if args.run else 10)
    if k <= 0:
        raise UserError("-k must be positive")
    queries = read_queries(args.queries) if args.queries is not None else None
    index = open_from_args(args).index
    if queries is None:
        _print_hits(index, args.query, index.search(args.query, k), as_json=args.json)
        return 0
    started = time.perf_counter()
    results = [(qid, index.search(text, k)) for qid, text in queries]
    seconds = time.perf_counter() - started
    if args.run is not None:
        lines = write_trec_run(args.run, results, args.tag)
        print(
            f"wrote {lines} lines for {len(results)} queries to {args.run} "
            f"({seconds * 1000 / max(len(results), 1):.2f} ms per query)",
            file=sys.stderr,
        )
    else:
        for (qid, hits), (_, text) in zip(results, queries):
            if not args.json:
                print(f"## {one_line(qid, 80)}: {one_line(text, 120)}")
            _print_hits(index, text, hits, as_json=args.json, qid=qid)
    return 0


def cmd_tui(args) -> int:
    raise UserError(
        "the interactive app is not built yet; try: rerank-tui search "
        f"{one_line(args.path, 100)} \"your query\""
    )


# -- input and output ---------------------------------------------------------------------


def read_queries(path: Path) -> list[tuple[str, str]]:
    """(id, text) pairs from JSONL (`id`/`_id`/`query_id` and `text`/`query`).

    Bad lines are reported on stderr with their number and skipped; an unreadable file or one
    with no usable query is an error.
    """
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read queries file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    queries: list[tuple[str, str]] = []
    seen: set[str] = set()
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            qid = next(str(record[f]) for f in ("id", "_id", "query_id") if f in record)
            text = next(str(record[f]) for f in ("text", "query") if f in record)
        except (ValueError, StopIteration, TypeError) as exc:
            why = "needs an id and a text" if isinstance(exc, (StopIteration, TypeError)) else "not JSON"
            print(f"{path}:{number}: skipped: {why}", file=sys.stderr)
            continue
        if not qid or any(c.isspace() for c in qid):
            print(f"{path}:{number}: skipped: query id {qid!r} is empty or has spaces", file=sys.stderr)
            continue
        if qid in seen:
            print(f"{path}:{number}: skipped: duplicate query id {qid!r}", file=sys.stderr)
            continue
        seen.add(qid)
        queries.append((qid, text))
    if not queries:
        raise UserError(f"no usable queries in {path}")
    return queries


def write_trec_run(path: Path, results, tag: str) -> int:
    """Write `qid Q0 docid rank score tag` lines atomically; return the number of lines."""
    if not tag or any(c.isspace() for c in tag):
        raise UserError("--tag must be one word")
    lines = [
        f"{qid} Q0 {hit.passage.id} {hit.rank} {hit.score:.6f} {tag}\n"
        for qid, hits in results
        for hit in hits
    ]
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write run file {path}: {exc.strerror or exc}") from None
    return len(lines)


def _print_hits(index, query: str, hits, *, as_json: bool, qid: str | None = None) -> None:
    from rerank_tui.recall.snippet import snippet

    for hit in hits:
        p = hit.passage
        text = snippet(p.text, query, index.tokenizer)
        if as_json:
            record = {"rank": hit.rank, "id": p.id, "score": round(hit.score, 6), "title": p.title, "path": p.doc, "snippet": text}
            if qid is not None:
                record = {"query_id": qid, **record}
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"{hit.rank:>3}  {hit.score:8.3f}  {one_line(p.id, 60)}  {one_line(p.title, 70)}")
            print(f"     {one_line(text, 200)}")
    if not hits and not as_json:
        print("no passage matches the query")


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv.insert(0, "tui")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler = {"index": cmd_index, "search": cmd_search, "tui": cmd_tui}[args.command]
    try:
        return handler(args)
    except UserError as exc:
        print(f"rerank-tui: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
