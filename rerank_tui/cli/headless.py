"""The headless commands: `index` and `search` (BM25 or a run file's candidates, optionally reranked)."""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rerank_tui.cli.errors import UserError, model_error, reading
from rerank_tui.safe_text import json_line, one_line

if TYPE_CHECKING:
    from rerank_tui.embed.search import DenseRecall
    from rerank_tui.recall.hit import Hit
    from rerank_tui.session.ranking import RerankedHit


# -- shared steps -------------------------------------------------------------------------


def progress_printer():
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


def clear_progress(progress) -> None:
    if progress is not None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


def corpus_settings(args):
    """CorpusOptions and BM25Params from the options, or a UserError."""
    from rerank_tui.corpus import CorpusOptions
    from rerank_tui.recall.params import BM25Params

    if args.max_passage_words < 8:
        raise UserError("--max-passage-words must be at least 8")
    try:
        options = CorpusOptions(
            max_file_bytes=int(args.max_file_mb * 2**20),
            max_passage_words=args.max_passage_words,
            split_records=args.split_records,
            gitignore=not getattr(args, "no_gitignore", False),
        )
        params = BM25Params(k1=args.k1, b=args.b, method=args.bm25_method)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return options, params


def index_opener(args):
    """`open_index` bound to the options (call it with `progress=`); UserError on bad options."""
    options, params = corpus_settings(args)

    def opener(**kwargs):
        from rerank_tui.recall.store import open_index  # numpy and the readers: not before the app's first frame

        return open_index(
            args.path, options=options, engine=args.engine, params=params,
            rebuild=args.rebuild, use_cache=not args.no_cache, **kwargs,
        )

    return opener


def open_from_args(args):
    from rerank_tui.corpus import CorpusError

    opener = index_opener(args)
    progress = progress_printer()
    try:
        return opener(progress=progress)
    except CorpusError as exc:
        raise UserError(str(exc)) from None
    finally:
        clear_progress(progress)


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
    if args.embedder is not None or args.embed_url is not None:
        started = time.perf_counter()
        dense = dense_for(args, opened.index, ["dense"])
        assert dense is not None  # asked for "dense": dense_for gives it or raises
        vectors = dense.vectors
        print(f"vectors: {len(dense)} passages × {dense.index.matrix.shape[1]} dims ({vectors.embedded} embedded, "
              f"{vectors.reused} reused) in {time.perf_counter() - started:.2f} s · {one_line(dense.embedder.identity, 80)}")
    return 0


def cmd_search(args) -> int:
    if args.queries is None and not args.query:
        raise UserError("give a query, or --queries FILE")
    if args.queries is not None and args.query:
        raise UserError("give either a query or --queries, not both")
    if args.run is not None and args.queries is None:
        raise UserError("--run needs --queries FILE")
    if args.recall_run is not None and args.queries is None:
        raise UserError("--recall-run needs --queries FILE: the run's query ids")
    k = args.k if args.k is not None else (100 if args.run else 10)
    if k <= 0 or args.rerank_depth <= 0:
        raise UserError("-k and --rerank-depth must be positive")
    queries = [("", args.query)]
    if args.queries is not None:
        from rerank_tui.session.judgment_readers import read_queries

        with reading(args.queries, "queries file"):
            queries = read_queries(args.queries)
        if not queries:
            raise UserError(f"no queries in {args.queries}")
    recall_run = read_recall_run_arg(args, queries)
    instruction = None
    if args.rerank:
        from rerank_tui.cli.reranking import resolve_instruction
        from rerank_tui.session.presets import PresetStore
        from rerank_tui.session.store import WorkspaceFileError

        try:
            presets = PresetStore.load(args.workspace / "presets.yaml")
        except WorkspaceFileError as exc:
            raise UserError(str(exc)) from None
        instruction, _ = resolve_instruction(args, presets)
    kind = args.recall or "bm25"
    if recall_run is not None and kind != "bm25":
        raise UserError("--recall-run gives the candidates itself: it does not go with --recall dense or hybrid")
    index = open_from_args(args).index
    hits_of = recall_hits_of(recall_run, index, queries)
    if kind != "bm25":
        hits_of = recall_function(args, index, kind, dense_for(args, index, [kind]))
    reranker = make_reranker(args) if args.rerank else None

    started = time.perf_counter()
    results: list[tuple[str, str, list[Hit], list[RerankedHit] | None]] = []
    for qid, text in queries:
        hits = hits_of(qid, text, max(k, args.rerank_depth) if reranker else k)
        if reranker is None:
            results.append((qid, text, hits, None))
            continue
        from rerank_tui.session.ranking import rerank_hits

        try:
            ranked, _ = rerank_hits(reranker, text, hits[: args.rerank_depth], instruction)
        except Exception as exc:  # a RerankerError carries its hint; anything else is a bug report
            raise model_error(exc, "rerank failed: ") from None
        results.append((qid, text, hits[:k], ranked[:k]))
    seconds = time.perf_counter() - started

    if args.run is not None:
        from rerank_tui.cli.reranking import run_tag

        tag = args.tag or (run_tag(reranker) if reranker else "rerank-tui-run" if recall_run else f"rerank-tui-{kind}")
        rows = [(qid, _run_rows(hits, ranked)) for qid, _, hits, ranked in results]
        lines = write_trec_run(args.run, rows, tag)
        print(
            f"wrote {lines} lines for {len(results)} queries to {args.run} "
            f"({seconds * 1000 / max(len(results), 1):.2f} ms per query)",
            file=sys.stderr,
        )
        return 0
    for qid, text, hits, reranked in results:
        print_results(index, qid, text, hits if reranked is None else reranked, as_json=args.json)
    return 0


def read_recall_run_arg(args, queries: list[tuple[str, str]]):
    """The --recall-run file (a RecallRun) limited to the queries' ids, or None without the
    option; a bad line is a UserError naming it."""
    if args.recall_run is None:
        return None
    from rerank_tui.session.judgment_readers import STDIN
    from rerank_tui.session.recall_run import read_recall_run

    others = [getattr(args, name, None) for name in ("queries", "qrels")]
    if str(args.recall_run) == STDIN and any(str(other) == STDIN for other in others if other is not None):
        raise UserError("--recall-run and another input cannot both read standard input (-)")
    with reading(args.recall_run, "run file"):
        return read_recall_run(args.recall_run, wanted={qid for qid, _ in queries})


def recall_hits_of(recall_run, index, queries: list[tuple[str, str]]):
    """`(query id, text, k) → hits`: the run's candidates (BM25 for the queries it lacks), or
    BM25's without a run. Skipped doc ids and queries left to BM25 are noted on stderr, one
    line each."""
    if recall_run is None:
        return lambda qid, text, k: index.search(text, k)
    return recall_candidates(recall_run, index, queries).hits_of(index)


def recall_candidates(recall_run, index, queries: list[tuple[str, str]]):
    """The run mapped onto the index for the queries (a RunCandidates), with the skipped doc
    ids and the queries left to BM25 noted on stderr, one line each."""
    from rerank_tui.cli.reranking import note_to_stderr
    from rerank_tui.session.recall_run import run_candidates

    candidates = run_candidates(recall_run, index, {qid for qid, _ in queries})
    for line in (candidates.unknown_report(), candidates.missing_report(qid for qid, _ in queries)):
        if line is not None:
            note_to_stderr(one_line(line, 400))
    return candidates


def make_embedder(args):
    """The embedder the options describe (None without --embedder / --embed-url), or a UserError."""
    if getattr(args, "embedder", None) is None and getattr(args, "embed_url", None) is None:
        return None
    from rerank_tui.cli.reranking import note_to_stderr
    from rerank_tui.embed.errors import EmbedderError
    from rerank_tui.embed.factory import build_embedder

    try:
        embedder = build_embedder(args.embed_backend, args.embedder, url=args.embed_url)
    except EmbedderError as exc:
        raise model_error(exc) from None
    except (ValueError, OSError) as exc:
        raise UserError(f"cannot build the embedder: {exc}") from None
    for note in getattr(embedder, "notes", ()):
        note_to_stderr(one_line(str(note), 300))
    return embedder


def corpus_name(args) -> str:
    """What names a corpus's vectors in the cache: its resolved path."""
    return str(Path(args.path).expanduser().resolve())


def embedding_progress():
    """Prints `embedding 1200/5000 · 830 passages/s · ETA 5 s` on stderr, on one line."""
    printer = progress_printer()
    if printer is None:
        return None

    def progress(p) -> None:
        eta = "" if p.eta is None else f" · ETA {p.eta:.0f} s"
        rate = "" if not p.rate else f" · {p.rate:.0f} passages/s"
        printer(p.done, p.total, f"embedding{rate}{eta}")

    return progress


def dense_for(args, index, kinds) -> DenseRecall | None:
    """The corpus's dense recall when a kind needs it (embedding what the cache lacks), else None."""
    if not any(kind in ("dense", "hybrid") for kind in kinds):
        return None
    embedder = make_embedder(args)
    if embedder is None:
        raise UserError("dense and hybrid recall need --embedder MODEL (or --embed-url URL)")
    from rerank_tui.embed.errors import EmbedderError
    from rerank_tui.session.recall_sources import dense_recall

    progress = embedding_progress()
    try:
        return dense_recall(index, embedder, corpus=corpus_name(args), progress=progress,
                            approximate_above=getattr(args, "approximate_above", 500_000))
    except EmbedderError as exc:
        raise model_error(exc, "embedding failed: ") from None
    finally:
        clear_progress(progress)


def fusion_from_args(args):
    """The Fusion of --fusion, --rrf-k and --alpha, or a UserError."""
    from rerank_tui.session.recall_sources import Fusion

    try:
        return Fusion(args.fusion, args.rrf_k, args.alpha)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def recall_function(args, index, kind: str, dense):
    from rerank_tui.session.recall_sources import hits_function

    return hits_function(kind, index, dense, instruction=args.query_instruction, fusion=fusion_from_args(args))


def make_reranker(args):
    """The reranker the options describe, or a UserError saying why it cannot be built."""
    from rerank_tui.cli.reranking import note_to_stderr, reranker_factory
    from rerank_tui.rerank.errors import RerankerError

    try:
        return reranker_factory(args, on_note=note_to_stderr)()
    except RerankerError as exc:
        raise model_error(exc) from None
    except (ValueError, OSError) as exc:
        raise UserError(f"cannot build the reranker: {exc}") from None


def _run_rows(hits, ranked) -> list[tuple[str, int, float]]:
    """(docid, rank, score) for a TREC run, as `eval --runs` writes it: BM25's order, or the
    reranked head followed by BM25's tail, to the same depth, scores strictly decreasing."""
    from rerank_tui.session.ranking import bm25_run, run_scores

    run = bm25_run(hits) if ranked is None else run_scores(ranked, hits)[: max(len(hits), 1)]
    return [(pid, rank, score) for rank, (pid, score) in enumerate(run, start=1)]


def hit_record(index, query: str, result) -> dict:
    """One search result as both printers show it: `--json` prints the record as it is, the
    text printer as two lines. `result` is a BM25 Hit or a RerankedHit; a reranked record has
    the reranked rank and score, then BM25's as `bm25_rank` and `bm25_score` (score None:
    left unscored by a cascade)."""
    from rerank_tui.recall.snippet import snippet

    hit = getattr(result, "hit", result)
    p = hit.passage
    record = {"rank": result.rank, "id": p.id, "score": _rounded(result.score)}
    if result is not hit:
        record |= {"bm25_rank": hit.rank, "bm25_score": _rounded(hit.score)}
    return record | {"title": p.title, "path": p.doc, "snippet": snippet(p.text, query, index.tokenizer)}


def _rounded(score: float | None) -> float | None:
    return None if score is None or score != score else round(score, 6)


def print_results(index, qid: str, query: str, results, *, as_json: bool) -> None:
    """One query's results (BM25 Hits or RerankedHits), as JSON lines or as text; `qid` is
    the query's id from a queries file, or "" for a query given on the command line."""
    records = [hit_record(index, query, r) for r in results]
    if as_json:
        for record in records:
            print(json_line({"query_id": qid, **record} if qid else record))
        return
    if qid:
        print(f"## {one_line(qid, 80)}: {one_line(query, 120)}")
    for record in records:
        _print_text(record)
    if not records:
        print("no passage matches the query")


def _print_text(record: dict) -> None:
    if "bm25_rank" in record:
        from rerank_tui.session.ranking import movement, score_text

        moved = movement(record["bm25_rank"] - record["rank"])
        print(
            f"{record['rank']:>3}  {score_text(record['score'], '6.3f'):>6}  {moved:>4} (bm25 #{record['bm25_rank']:<3} {record['bm25_score']:7.3f})  "
            f"{one_line(record['id'], 50)}  {one_line(record['title'], 50)}"
        )
    else:
        print(f"{record['rank']:>3}  {record['score']:8.3f}  {one_line(record['id'], 60)}  {one_line(record['title'], 70)}")
    print(f"     {one_line(record['snippet'], 200)}")


# -- input and output ---------------------------------------------------------------------


def write_trec_run(path: Path, results, tag: str) -> int:
    """Write `qid Q0 docid rank score tag` lines atomically; return the number of lines.

    `results` is [(qid, [(docid, rank, score), ...]), ...]. A score that is not a finite
    number is refused: "nan" or "inf" in a run file would be read, or sorted, differently by
    each evaluator."""
    if not tag or any(c.isspace() for c in tag):
        raise UserError("--tag must be one word")
    for qid, rows in results:
        for docid, _, score in rows:
            if not math.isfinite(score):
                raise UserError(f"cannot write run file {path}: query {qid} has the score {score} for {docid}")
    # Full precision (repr): six decimals made distinct scores tie, and evaluators re-sort ties.
    lines = [f"{qid} Q0 {docid} {rank} {score!r} {tag}\n" for qid, rows in results for docid, rank, score in rows]
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write run file {path}: {exc.strerror or exc}") from None
    return len(lines)

