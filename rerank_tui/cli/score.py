"""`rerank-tui score`: pasted candidates scored against a query, no corpus, no BM25.

`rerank-tui score --query TEXT (--doc TEXT [--doc TEXT …] | --docs FILE) [--json]` scores the
documents exactly as given (no title is added) with the instruction and model the usual
options choose, and prints them best first: rank, p(yes), index (the document's position in
the input, 0-based) and the document's first line; `--json` prints one object per document
(`index`, `document`, `score`, `rank`). session/scratch.py does the work.
"""

from __future__ import annotations

from rerank_tui.cli.errors import UserError, model_error, reading
from rerank_tui.safe_text import json_line, one_line

FIRST_LINE_WIDTH = 100


def _documents(args) -> list[str]:
    from rerank_tui.session.judgment_readers import JudgmentFileError
    from rerank_tui.session.scratch import MAX_DOCUMENTS, check_document, read_documents

    if args.doc is not None and args.docs is not None:
        raise UserError("give documents with --doc TEXT or --docs FILE, not both")
    if args.docs is not None:
        with reading(args.docs, "documents file"):
            documents = read_documents(args.docs)
        if not documents:
            raise UserError(f"no documents in {args.docs}")
        return documents
    if not args.doc:
        raise UserError("give documents: --doc TEXT (repeatable) or --docs FILE")
    if len(args.doc) > MAX_DOCUMENTS:
        raise UserError(f"more than {MAX_DOCUMENTS:,} documents: use --docs FILE and split it")
    for number, document in enumerate(args.doc, start=1):
        try:
            check_document("--doc", number, document)
        except JudgmentFileError as exc:
            raise UserError(f"--doc #{number}: {exc.message}") from None
    return list(args.doc)


def _query(args) -> str:
    from rerank_tui.session.judgment_readers import MAX_QUERY_CHARS

    if args.query is None:
        raise UserError("give a query: --query TEXT")
    if not args.query.strip():
        raise UserError("the query is empty")
    if len(args.query) > MAX_QUERY_CHARS:
        raise UserError(f"the query is longer than {MAX_QUERY_CHARS:,} characters")
    return args.query


def first_line(document: str) -> str:
    """The document's first non-blank line, safe to print and cut to FIRST_LINE_WIDTH."""
    line = next((line for line in document.split("\n") if line.strip()), "")
    return one_line(line, FIRST_LINE_WIDTH)


def cmd_score(args) -> int:
    from rerank_tui.cli.headless import make_reranker
    from rerank_tui.cli.reranking import resolve_instruction
    from rerank_tui.session.presets import PresetStore
    from rerank_tui.session.scratch import score_documents
    from rerank_tui.session.store import WorkspaceFileError

    query = _query(args)
    documents = _documents(args)
    try:
        presets = PresetStore.load(args.workspace / "presets.yaml")
    except WorkspaceFileError as exc:
        raise UserError(str(exc)) from None
    instruction, _ = resolve_instruction(args, presets)
    reranker = make_reranker(args)
    try:
        scored, _ = score_documents(reranker, query, documents, instruction)
    except Exception as exc:  # a RerankerError carries its hint; anything else is a bug report
        raise model_error(exc, "rerank failed: ") from None
    finally:
        reranker.close()
    if args.json:
        for s in scored:
            print(json_line({"index": s.index, "document": s.document, "score": s.score, "rank": s.rank}))
        return 0
    from rerank_tui.session.ranking import score_text

    from rerank_tui.cli.reranking import score_column

    print(f"{'rank':>4}  {score_column(reranker):>6}  {'index':>5}  document")
    for s in scored:
        print(f"{s.rank:>4}  {score_text(s.score, '6.3f'):>6}  {s.index:>5}  {first_line(s.document)}")
    return 0
