"""`rerank-tui judge`: an LLM judge pre-labels the query set's pools; `--agreement` measures
it against people's labels.

Judging ranks every query of the set as the query-set screen does (recall, then the reranker,
score cache first), takes each query's judging pool (the top `--pool` of recall and of the
reranked list) and grades the passages people have not labeled (`--labeled`: those too, for
agreement) into the workspace's suggestions.jsonl, query by query: Ctrl-C keeps what was
done, and the next run resumes (pairs judged by the same judge and prompt on the same text
are skipped). Suggestions never touch labels.yaml: a person accepts them in the app.

`--agreement` reads labels.yaml and suggestions.jsonl only (no corpus, no model): the pairs
both graded (confusion matrix, Cohen's weighted κ, per-grade precision and recall) and the
workspace's snapshots as systems (Kendall's τ of their order under human vs judge qrels).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from rerank_tui.cli.errors import UserError, model_error
from rerank_tui.safe_text import json_line, one_line

PROMPT_FILE = "judge-prompt.txt"  # the workspace's own judging prompt, when it has one
SUGGESTIONS_FILE = "suggestions.jsonl"


def prompt_path(args) -> Path | None:
    """--judge-prompt, else the workspace's judge-prompt.txt when there is one, else None (the default)."""
    if args.judge_prompt is not None:
        return args.judge_prompt
    own = args.workspace / PROMPT_FILE
    return own if own.is_file() else None


def load_judge_prompt(path: Path | None):
    from rerank_tui.judge.prompt import JudgePromptError, load_prompt

    try:
        return load_prompt(path)
    except JudgePromptError as exc:
        raise UserError(str(exc)) from None


def judge_names(scale) -> dict[int, str]:
    """The grade meanings the prompt writes: the workspace's own grade names, except the default
    scale's one-word names, for which the prompt's UMBRELA meanings say more."""
    from rerank_tui.session.label_model import DEFAULT_SCALE

    return {} if scale == DEFAULT_SCALE and scale.names == DEFAULT_SCALE.names else dict(scale.names)


def build_judge_from_args(args, scale, prompt_file: Path | None):
    """The judge the --judge-* options describe, or a UserError saying why it cannot be built."""
    from rerank_tui.judge.factory import build_judge
    from rerank_tui.rerank.errors import RerankerError

    if not args.judge_model and not args.judge_url:
        raise UserError("no judge: give --judge-model (a Hugging Face id or a local folder) or --judge-url (an OpenAI-compatible server)")
    if args.judge_batch_size is not None and args.judge_batch_size < 1:
        raise UserError("--judge-batch-size must be at least 1")
    try:
        return build_judge(
            args.judge_model,
            url=args.judge_url,
            endpoint=args.judge_endpoint,
            grades=tuple(scale),
            names=judge_names(scale),
            prompt_path=prompt_file,
            device=args.judge_device,
            dtype=args.judge_dtype,
            batch_size=args.judge_batch_size or 16,
            top_logprobs=args.judge_top_logprobs,
        )
    except RerankerError as exc:
        raise model_error(exc, "cannot build the judge: ") from None
    except (ValueError, OSError) as exc:
        raise UserError(f"cannot build the judge: {exc}") from None


def judge_factory(args):
    """(scale) -> the judge of the --judge-* options, for the app (built in a worker on first
    use). The prompt file is checked now, so a bad one stops the command with one line."""
    prompt_file = prompt_path(args)
    load_judge_prompt(prompt_file)

    def build(scale):
        return build_judge_from_args(args, scale, prompt_file)

    return build


def warn_if_circular(judge, reranker) -> str | None:
    """The warning when the judge is the reranker under test (its grades would be circular)."""
    from rerank_tui.judge.base import same_checkpoint

    if reranker is None or not same_checkpoint(judge.model_name, getattr(reranker, "identity", "")):
        return None
    return f"the judge ({one_line(judge.model_name, 60)}) is the reranker under test: judging a reranker with its own model is circular"


def cmd_judge(args) -> int:
    if args.show_prompt:
        print(load_judge_prompt(prompt_path(args)).template)
        return 0
    if args.agreement:
        return _agreement(args)
    if args.path is None:
        raise UserError("give the corpus PATH to judge its pools (or --agreement, which needs none)")
    return _judge(args)


def _stores(args):
    from rerank_tui.cli.judgments import load_query_set
    from rerank_tui.session.labels import LabelStore
    from rerank_tui.session.store import WorkspaceFileError
    from rerank_tui.session.suggestions import SuggestionStore

    path = args.workspace / "labels.yaml"
    try:
        labels = LabelStore.load(path)
        suggestions = SuggestionStore.load(args.workspace / SUGGESTIONS_FILE)
    except WorkspaceFileError as exc:
        raise UserError(str(exc)) from None
    return labels, suggestions, load_query_set(path, labels)


def _judge(args) -> int:
    from rerank_tui.cli.headless import clear_progress, dense_for, make_reranker, open_from_args, progress_printer, recall_function
    from rerank_tui.embed.errors import EmbedderError
    from rerank_tui.rerank.errors import RerankerError
    from rerank_tui.session.judge_pool import judge_pools, pool_texts
    from rerank_tui.session.query_set_scores import rank_query_set

    if args.pool < 1:
        raise UserError("--pool must be at least 1")
    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be at least 1")
    labels, suggestions, query_set = _stores(args)
    entries = list(query_set)[: args.limit] if args.limit else list(query_set)
    if not entries:
        raise UserError(f"no queries in the query set of {args.workspace} (label some, or `rerank-tui import QUERIES`)")
    if suggestions.read_only:
        raise UserError(f"{suggestions.path} failed to load: fix or move it first")
    prompt_file = prompt_path(args)
    load_judge_prompt(prompt_file)  # a bad prompt file before any work
    instruction = None
    if not args.no_rerank:
        from rerank_tui.cli.reranking import resolve_instruction
        from rerank_tui.session.presets import PresetStore

        instruction, _ = resolve_instruction(args, PresetStore.load(args.workspace / "presets.yaml"))
    index = open_from_args(args).index
    kind = args.recall or "bm25"
    dense = dense_for(args, index, [kind])
    recall = recall_function(args, index, kind, dense) if kind != "bm25" else None
    reranker = None if args.no_rerank else make_reranker(args)
    judge = build_judge_from_args(args, labels.scale, prompt_file)
    warning = warn_if_circular(judge, reranker)
    if warning:
        print(f"rerank-tui: warning: {warning}", file=sys.stderr)
    progress = progress_printer()
    try:
        runs = {}
        depth = max(args.pool, args.rerank_depth if reranker is not None else args.pool)
        for run in rank_query_set(index, entries, reranker=reranker, instruction=instruction, depth=depth,
                                  rerank_depth=args.rerank_depth, recall=recall):
            runs[run.entry.id] = run
            if progress is not None:
                progress(len(runs), len(entries), "ranking")
        pools = ((runs[e.id].entry.text, pool_texts(runs[e.id], args.pool)) for e in entries)

        def report(stats) -> None:
            if progress is not None:
                progress(stats.queries, stats.total_queries, f"judged {stats.judged:,} · cached {stats.cached:,}")

        stats = judge_pools(judge, judge.prompt.sha1, pools, labels.queries, suggestions, total_queries=len(entries),
                            include_labeled=args.labeled, progress=report)
    except RerankerError as exc:
        raise model_error(exc, "judging failed: ") from None
    except EmbedderError as exc:
        raise model_error(exc, "embedding failed: ") from None
    finally:
        clear_progress(progress)
        judge.close()
        if reranker is not None:
            reranker.close()
    if args.json:
        print(json_line({"judge": judge.identity, "prompt": judge.prompt.sha1, "queries": stats.queries, "judged": stats.judged,
                         "cached": stats.cached, "labeled_skipped": stats.labeled, "unreadable": stats.unreadable,
                         "suggestions": str(suggestions.path)}))
    else:
        print(f"{stats.summary()} · judge {one_line(judge.identity, 80)} · prompt {judge.prompt.sha1} · {suggestions.path}")
    return 0


def _agreement(args) -> int:
    from rerank_tui.session.agreement import format_agreement
    from rerank_tui.session.judge_agreement import workspace_agreement

    labels, suggestions, query_set = _stores(args)
    from rerank_tui.session.metrics import MetricError, parse_metrics

    try:
        parse_metrics([args.metric])
    except MetricError as exc:
        raise UserError(str(exc)) from None
    pair, system, note = workspace_agreement(args.workspace, labels, suggestions, metric=args.metric)
    if args.json:
        print(json_line({"pairs": dataclasses.asdict(pair), "systems": None if system is None else dataclasses.asdict(system),
                         "note": note}))
        return 0
    for line in format_agreement(pair, system):
        print(line)
    if note:
        print(note)
    return 0
