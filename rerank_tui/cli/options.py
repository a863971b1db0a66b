"""The command line: one parser, option groups shared by the commands."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rerank_tui import __version__
from rerank_tui.cli.errors import EXIT_USAGE

COMMANDS = ("index", "search", "tui", "eval", "export", "import", "snapshot", "score", "judge")
DEFAULT_MODEL = "Qwen/Qwen3-Reranker-0.6B"  # equal to rerank.checkpoint.DEFAULT_MODEL (a test checks)
BACKENDS = ("auto", "transformers", "vllm", "http")


class Seconds(argparse.Action):
    """Stores a positive, finite number of seconds. Anything else exits with one line and
    status 2, like a UserError, rather than argparse's usage dump."""

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            value = float(values)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            parser.exit(EXIT_USAGE, f"rerank-tui: error: {option_string} expects a positive number of seconds, not {values!r}\n")
        setattr(namespace, self.dest, value)


def add_corpus_options(p: argparse.ArgumentParser, path_help: str | None = None) -> None:
    """PATH and the corpus and BM25 options; with `path_help` PATH is optional."""
    from rerank_tui.recall.params import ENGINES, METHODS

    if path_help is None:
        p.add_argument("path", help="a folder, a JSONL file (id, title, text) or a BEIR folder")
    else:
        p.add_argument("path", nargs="?", help=path_help)
    g = p.add_argument_group("corpus and BM25")
    g.add_argument("--engine", choices=ENGINES, default="bm25s", help="BM25 implementation (default: bm25s)")
    g.add_argument("--bm25-method", choices=METHODS, default="lucene", help="idf variant (default: lucene)")
    g.add_argument("--k1", type=float, default=1.2, help="BM25 k1 (default: 1.2)")
    g.add_argument("--b", type=float, default=0.75, help="BM25 b (default: 0.75)")
    g.add_argument("--max-passage-words", type=int, default=256, metavar="N", help="passage size (default: 256)")
    g.add_argument("--max-file-mb", type=float, default=20, metavar="MB", help="skip larger files (default: 20)")
    g.add_argument("--split-records", action="store_true", help="also split long JSONL/BEIR documents")
    g.add_argument("--no-gitignore", action="store_true", help="index what .gitignore files exclude, too")
    g.add_argument("--rebuild", action="store_true", help="ignore the cached index and rebuild it")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the index cache")


def add_reranker_options(p: argparse.ArgumentParser, single_instruction: bool = True) -> None:
    g = p.add_argument_group("reranker (Qwen3-Reranker, or another model's rerank server with --url)")
    g.add_argument("--model", help=f"Hugging Face id or local folder (default: {DEFAULT_MODEL}; with --url: the server's model)")
    g.add_argument("--backend", choices=BACKENDS, default="auto", help="auto: vLLM on CUDA if installed, else transformers; http: a running vllm serve")
    g.add_argument("--url", help="base URL of a running `vllm serve` or another rerank API, or its full /rerank endpoint (implies --backend http)")
    g.add_argument("--timeout", action=Seconds, metavar="S", help="http backend: seconds one request may take, retries included (default: 60)")
    g.add_argument("--server-kind", choices=("auto", "qwen3", "plain"), help="http backend: qwen3 (vLLM with the Qwen3 overrides: p(yes)) or plain (another reranker's API: bge-reranker, Jina, Cohere, TEI, Infinity; no instruction); auto: plain when the served model is a non-Qwen3 reranker or TEI (default: auto)")
    g.add_argument("--concurrency", type=int, metavar="N", help="http backend: requests in flight at once, across queries and a long list's batches (default: 4)")
    g.add_argument("--ca-bundle", type=Path, metavar="FILE", help="http backend: PEM file of the CA that signed an https server's certificate (default: $SSL_CERT_FILE, else certifi)")
    g.add_argument("--device", help="transformers device, e.g. cuda:1 or cpu (default: cuda when available)")
    g.add_argument("--dtype", help="float32, bfloat16 or float16 (default: bf16/fp16 on GPU, float32 on CPU)")
    g.add_argument("--max-length", type=int, metavar="TOKENS", help="prompt limit; longer documents are truncated")
    g.add_argument("--batch-size", type=int, metavar="N", help="pairs per forward pass")
    g.add_argument("--rerank-depth", type=int, default=50, metavar="N", help="rerank the top N BM25 hits (default: 50)")
    g.add_argument("--cascade", type=Path, metavar="YAML", help="a cascade config (small model → large model)")
    g.add_argument("--no-score-cache", action="store_true", help="do not read or write the persistent score cache")
    if single_instruction:
        which = g.add_mutually_exclusive_group()
        which.add_argument("--instruction", help="the reranker instruction (default: the `default` preset)")
        which.add_argument("--preset", help="use a saved preset's instruction")
    else:
        g.add_argument("--instruction", action="append", help="an instruction to evaluate (repeatable)")
        g.add_argument("--preset", action="append", help="a preset to evaluate (repeatable)")
    g.add_argument("--workspace", type=Path, default=Path(".rerank-tui"), metavar="DIR", help="presets, labels and history (default: ./.rerank-tui)")


def add_recall_options(p: argparse.ArgumentParser, *, several: bool = False, kinds: bool = True) -> None:
    """Dense and hybrid recall: which source, and the embedder behind it."""
    g = p.add_argument_group("recall source (dense and hybrid need an embedder)")
    if kinds:
        kinds_help = "bm25, dense or hybrid" + (" (several: rows for each)" if several else "") + " (default: bm25)"
        if several:
            g.add_argument("--recall", nargs="+", choices=("bm25", "dense", "hybrid"), metavar="KIND", help=kinds_help)
        else:
            g.add_argument("--recall", choices=("bm25", "dense", "hybrid"), help=kinds_help)
    g.add_argument("--embedder", metavar="MODEL", help="sentence-transformers folder or hub id (e.g. Qwen/Qwen3-Embedding-0.6B, BAAI/bge-m3); with --embed-url: the served model")
    g.add_argument("--embed-backend", choices=("auto", "sentence-transformers", "vllm", "http"), default="auto", help="auto: http with --embed-url, else sentence-transformers")
    g.add_argument("--embed-url", metavar="URL", help="an OpenAI-compatible /v1/embeddings server (vllm serve, TEI, Infinity)")
    g.add_argument("--query-instruction", metavar="TEXT", help="the task of instruction-aware embedders (Qwen3-Embedding: `Instruct: TEXT\\nQuery:`)")
    g.add_argument("--approximate-above", type=int, default=500_000, metavar="N",  # recall.approximate.DEFAULT_APPROXIMATE_ABOVE
                   help="search an approximate index (faiss IVF, re-scored exactly) above N passages; 0: always exact (default: 500000)")
    if kinds:
        g.add_argument("--fusion", choices=("rrf", "linear"), default="rrf", help="hybrid: reciprocal rank fusion, or a weighted sum of min-max scores (default: rrf)")
        g.add_argument("--alpha", type=float, default=0.5, help="hybrid linear: the weight of dense (default: 0.5)")
        g.add_argument("--rrf-k", type=float, default=60.0, help="hybrid rrf: k in 1/(k + rank) (default: 60)")
        if several:
            g.add_argument("--sweep-alpha", action="store_true", help="also report hybrid linear recall for alpha 0, 0.1, …, 1 and the best one")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rerank-tui",
        description="BM25 recall next to Qwen3-Reranker, tuned from the keyboard.",
        epilog="`rerank-tui PATH` opens the app; `rerank-tui COMMAND -h` explains a command.",
    )
    parser.add_argument("--version", action="version", version=f"rerank-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p_tui = sub.add_parser("tui", help="open the app on a corpus (the default command)")
    add_corpus_options(p_tui)
    add_reranker_options(p_tui)
    p_tui.add_argument("-k", type=int, default=100, help="BM25 hits shown (default: 100)")
    p_tui.add_argument("--no-rerank", action="store_true", help="BM25 only: do not load a reranker")
    p_tui.add_argument("--no-watch", action="store_true", help="do not refresh the index when corpus files change while the app runs")
    add_judge_options(p_tui)
    add_recall_options(p_tui)
    p_tui.add_argument(
        "--recall-run", type=Path, metavar="FILE",
        help="a TREC run file (`qid Q0 docid rank score tag`) as a recall source: queries of the query set whose id it "
        "has get its candidates, others the default source (f2 switches sources)",
    )

    p_index = sub.add_parser("index", help="build or refresh the BM25 index of a corpus (and with --embedder its vectors)")
    add_corpus_options(p_index)
    add_recall_options(p_index, kinds=False)
    p_index.add_argument("-v", "--verbose", action="store_true", help="list every skipped file")

    p_search = sub.add_parser("search", help="search from the command line (BM25, optionally reranked)")
    add_corpus_options(p_search)
    add_reranker_options(p_search)
    add_recall_options(p_search)
    p_search.add_argument("query", nargs="?", help="the query (or use --queries)")
    p_search.add_argument("-k", type=int, default=None, help="hits per query (default: 10, or 100 with --run)")
    p_search.add_argument("--rerank", action="store_true", help="rerank the top --rerank-depth hits with Qwen3-Reranker")
    p_search.add_argument("--json", action="store_true", help="one JSON object per hit")
    p_search.add_argument("--queries", type=Path, metavar="FILE", help="queries: JSONL (id, text) or TSV id<TAB>text; - reads standard input")
    p_search.add_argument("--run", type=Path, metavar="OUT", help="write a TREC run file (with --queries)")
    p_search.add_argument("--tag", default=None, help="run tag in the TREC file (default: rerank-tui-bm25 / rerank-tui-run / rerank-tui-qwen3)")
    _add_recall_run_option(p_search)
    p_eval = sub.add_parser("eval", help="BM25 against reranked instructions on judged queries: one table")
    add_corpus_options(p_eval)
    add_reranker_options(p_eval, single_instruction=False)
    add_recall_options(p_eval, several=True)
    p_eval.add_argument("--labels", type=Path, metavar="FILE", help="judgments from a labels.yaml")
    p_eval.add_argument("--label-source", choices=("human", "human+accepted", "all"), default="human",
                        help="with --labels: people's labels (default), those and the judge's suggestions people accepted, or also the unaccepted suggestions")
    p_eval.add_argument("--queries", type=Path, metavar="FILE", help="JSONL (id, text) or TSV id<TAB>text, with --qrels; - reads standard input")
    p_eval.add_argument("--qrels", type=Path, metavar="FILE", help="TREC `qid 0 docid grade` or `qid<TAB>docid<TAB>grade` (BEIR's header allowed); any integer grade")
    p_eval.add_argument("--split", metavar="NAME", help="a BEIR folder PATH alone: its qrels/NAME.tsv (default: test)")
    p_eval.add_argument("--metrics", nargs="+", metavar="M", help="ir-measures names, e.g. 'P(rel=2)@5' Judged@10 (default: nDCG@5 nDCG@10 AP@10 RR@10 P@5 R@100)")
    p_eval.add_argument("--depth", type=int, default=100, help="documents per query in each run (default: 100)")
    p_eval.add_argument("--bm25-only", action="store_true", help="evaluate BM25 alone (no reranker)")
    p_eval.add_argument("--json", action="store_true", help="the table as JSON")
    p_eval.add_argument("--runs", type=Path, metavar="DIR", help="write a TREC run file per system")
    _add_recall_run_option(p_eval)
    _add_score_parser(sub)

    p_export = sub.add_parser("export", help="labels as TREC qrels, CSV, JSONL or Quepid's CSV")
    p_export.add_argument("--format", choices=("qrels", "csv", "jsonl", "quepid"), default="qrels", help="quepid: the CSV Quepid exports and imports (query,docid,rating)")
    p_export.add_argument("--out", type=Path, metavar="FILE", help="write here (default: standard output)")
    p_export.add_argument("--queries-out", type=Path, metavar="FILE", help="also write the query set (JSONL id, text, note): the ids the qrels use")
    p_export.add_argument("--suggested", type=Path, metavar="FILE", help="also write the judge's suggested grades of the pairs without a label as TREC qrels (suggestions.jsonl)")
    _add_labels_options(p_export)

    p_import = sub.add_parser("import", help="merge TREC qrels, CSV (Quepid's too) or JSONL judgments into labels.yaml, or a queries file into the query set")
    p_import.add_argument("file", type=Path)
    p_import.add_argument("--format", choices=("qrels", "csv", "jsonl", "quepid", "queries"), help="default: from the name and first line (.csv or a query,docid,rating header; JSONL labels or queries; id<TAB>text queries; else qrels)")
    p_import.add_argument("--queries", type=Path, metavar="FILE", help="JSONL (id, text) or TSV id<TAB>text: turns qrels query ids into query texts; - reads standard input")
    p_import.add_argument("--replace", action="store_true", help="replace the labels instead of merging")
    p_import.add_argument("--scale", metavar="LOW-HIGH", help="the labels' grades, e.g. 1-4 or 0-10 (default: the workspace's, or the imported grades' own range in an empty workspace)")
    _add_labels_options(p_import)
    _add_snapshot_parser(sub)
    _add_judge_parser(sub)
    return parser


def _add_recall_run_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--recall-run", type=Path, metavar="FILE",
        help="candidates from a TREC run file (`qid Q0 docid rank score tag`) instead of BM25, e.g. your production "
        "engine's; with --queries. Doc ids the corpus lacks are skipped and counted; queries the run lacks use BM25",
    )


def _add_score_parser(sub) -> None:
    p = sub.add_parser("score", help="score pasted documents against a query with Qwen3-Reranker (no corpus)")
    p.add_argument("--query", help="the query")
    p.add_argument("--doc", action="append", metavar="TEXT", help="a document, exactly as given (repeatable)")
    p.add_argument("--docs", type=Path, metavar="FILE",
                   help="documents: one per paragraph (.txt), or JSONL with a `text` per line; - reads standard input")
    p.add_argument("--json", action="store_true", help="one JSON object per document: index, document, score, rank")
    add_reranker_options(p)


def _add_workspace_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workspace", type=Path, default=Path(".rerank-tui"), metavar="DIR", help="its snapshots/ folder (default: ./.rerank-tui)")


def _add_snapshot_parser(sub) -> None:
    p = sub.add_parser("snapshot", help="freeze a query set's rankings under a name; list, diff, export, delete")
    actions = p.add_subparsers(dest="snapshot_command", metavar="ACTION", required=True)

    save = actions.add_parser("save", help="rank every query (BM25, dense, hybrid or a run file's candidates, reranked as eval does) and save the run")
    save.add_argument("name", help="1-80 letters, digits, '-', '_' or '.'")
    add_corpus_options(save)
    add_reranker_options(save)
    add_recall_options(save)
    _add_recall_run_option(save)
    which = save.add_mutually_exclusive_group()
    which.add_argument("--labels", type=Path, metavar="FILE", help="the query set of a labels.yaml: queries.yaml beside it, then its labeled queries (default: the workspace's)")
    which.add_argument("--queries", type=Path, metavar="FILE", help="JSONL (id, text) or TSV id<TAB>text; - reads standard input")
    save.add_argument("--qrels", type=Path, metavar="FILE", help="with --queries: keep only the judged queries, as eval does")
    save.add_argument("--bm25-only", action="store_true", help="the recall stage alone (no reranker)")
    save.add_argument("-k", "--depth", dest="depth", type=int, default=100, help="documents per query (default: 100)")
    save.add_argument("--replace", action="store_true", help="replace a snapshot of that name")

    listing = actions.add_parser("list", help="the saved snapshots, newest first")
    listing.add_argument("--json", action="store_true", help="one JSON object")
    _add_workspace_option(listing)

    diff = actions.add_parser("diff", help="A against B: metric per query, overlap, rank changes")
    diff.add_argument("a", metavar="A")
    diff.add_argument("b", metavar="B")
    judged = diff.add_mutually_exclusive_group()
    judged.add_argument("--labels", type=Path, metavar="FILE", help="judgments from a labels.yaml (default: the workspace's, if any)")
    judged.add_argument("--qrels", type=Path, metavar="FILE", help="TREC `qid 0 docid grade` or `qid<TAB>docid<TAB>grade`")
    diff.add_argument("--metric", default="nDCG@10", help="an ir-measures name (default: nDCG@10)")
    diff.add_argument("--limit", type=int, default=20, metavar="N", help="queries listed, worst first (default: 20; 0: all)")
    diff.add_argument("--json", action="store_true", help="one JSON object")
    _add_workspace_option(diff)

    export = actions.add_parser("export", help="a snapshot's run as a TREC run file")
    export.add_argument("name")
    export.add_argument("--out", type=Path, metavar="FILE", required=True)
    export.add_argument("--tag", help="run tag (default: the snapshot's name)")
    _add_workspace_option(export)

    delete = actions.add_parser("delete", help="remove a snapshot")
    delete.add_argument("name")
    _add_workspace_option(delete)


def add_judge_options(p: argparse.ArgumentParser) -> None:
    """The LLM judge (step 11): a causal LM in-process, or an OpenAI-compatible server."""
    g = p.add_argument_group("judge (a causal LLM grading pairs on the workspace's scale; not the reranker under test)")
    g.add_argument("--judge-model", metavar="MODEL", help="Hugging Face id or local folder of a chat model run in-process (e.g. Qwen/Qwen3-8B); with --judge-url: the served model")
    g.add_argument("--judge-url", metavar="URL", help="an OpenAI-compatible server (vllm serve, llama.cpp, …): its grades come from the logprobs of one token")
    g.add_argument("--judge-endpoint", choices=("completions", "chat"), default="completions",
                   help="with --judge-url: /v1/completions (the prompt sent in Qwen's ChatML) or /v1/chat/completions (the server's chat template) (default: completions)")
    g.add_argument("--judge-prompt", type=Path, metavar="FILE", help="the judging prompt template (default: the workspace's judge-prompt.txt, else the shipped one: --show-prompt prints it)")
    g.add_argument("--judge-device", metavar="DEVICE", help="in-process judge: cuda:1, cpu… (default: cuda when available)")
    g.add_argument("--judge-dtype", metavar="DTYPE", help="in-process judge: float32, bfloat16 or float16")
    g.add_argument("--judge-batch-size", type=int, metavar="N", help="pairs per forward pass (in-process) or per request (completions) (default: 16)")
    g.add_argument("--judge-top-logprobs", type=int, default=20, metavar="K", help="with --judge-url: logprobs asked per token; a grade outside the top K counts 0 (default: 20)")


def _add_judge_parser(sub) -> None:
    p = sub.add_parser("judge", help="an LLM judge pre-labels the query set's pools (suggestions, never labels); --agreement: how far to trust it")
    add_corpus_options(p, path_help="the corpus (not needed with --agreement or --show-prompt)")
    add_reranker_options(p)
    add_recall_options(p)
    add_judge_options(p)
    w = p.add_argument_group("what to judge")
    w.add_argument("--pool", type=int, default=10, metavar="N", help="the top N of recall and of the reranked list (default: 10)")
    w.add_argument("--labeled", action="store_true", help="also judge the hits people labeled (the pairs --agreement compares)")
    w.add_argument("--limit", type=int, metavar="N", help="the first N queries of the set")
    w.add_argument("--no-rerank", action="store_true", help="the pool is the recall's top N alone (no reranker)")
    w.add_argument("--agreement", action="store_true", help="people vs the judge: confusion matrix, weighted kappa, per-grade precision/recall, Kendall's tau over the snapshots")
    w.add_argument("--metric", default="nDCG@10", help="with --agreement: the measure that orders the systems (default: nDCG@10)")
    w.add_argument("--show-prompt", action="store_true", help="print the judging prompt template in use and exit")
    w.add_argument("--json", action="store_true", help="one JSON object")


def _add_labels_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workspace", type=Path, default=Path(".rerank-tui"), metavar="DIR", help="its labels.yaml (default: ./.rerank-tui)")
    g.add_argument("--labels", type=Path, metavar="FILE", help="a labels.yaml elsewhere")
