"""From command-line options to a reranker and an instruction."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rerank_tui.cli.errors import UserError


def reranker_factory(args, on_note: Callable[[str], None] | None = None):
    """A function that builds the reranker the options describe (heavy imports happen then)."""

    def build():
        from rerank_tui.rerank import build_cascade, build_reranker

        cache = not args.no_score_cache
        if args.cascade is not None:
            from rerank_tui.session.store import load_yaml

            config = load_yaml(args.cascade)
            if not isinstance(config, dict):
                raise UserError(f"{args.cascade}: expected a cascade mapping")
            return build_cascade(config, cache=cache)
        return build_reranker(
            "http" if args.url and args.backend == "auto" else args.backend,
            args.model,
            url=args.url,
            device=args.device,
            dtype=args.dtype,
            max_length=args.max_length,
            batch_size=args.batch_size,
            cache=cache,
            on_note=on_note,
            timeout=getattr(args, "timeout", None),
            **_http_options(args),
        )

    return build


def _http_options(args) -> dict:
    """--server-kind, --concurrency and --ca-bundle, when given (the factory notes them as
    ignored by backends other than http)."""
    options = {
        "server_kind": getattr(args, "server_kind", None),
        "concurrency": getattr(args, "concurrency", None),
        "ca_bundle": getattr(args, "ca_bundle", None),
    }
    if options["concurrency"] is not None and options["concurrency"] < 1:
        raise UserError(f"--concurrency must be at least 1, not {options['concurrency']}")
    return {k: v for k, v in options.items() if v is not None}


def reranker_label(args, reranker=None) -> str:
    """"Qwen3-Reranker-0.6B · transformers", "bge-reranker-v2-m3 · http plain @ URL", ...:
    from the options, or, once it is built, from the reranker itself (its `label`: the
    server's model and kind, which the options alone may not know)."""
    if args.cascade is not None:
        return f"cascade {args.cascade.name}"
    from rerank_tui.cli.options import DEFAULT_MODEL

    where = f" @ {args.url}" if args.url else ""
    label = getattr(reranker, "label", None)
    if label:
        return f"{label}{where}"
    backend = "http" if args.url and args.backend == "auto" else args.backend
    if backend == "http" and getattr(args, "server_kind", None) == "plain":
        backend = "http plain"
    model = args.model or ("server model" if args.url else DEFAULT_MODEL)
    return f"{model.rstrip('/').split('/')[-1]} · {backend}{where}"


def score_column(reranker) -> str:
    """The header of a score column: "p(yes)" for Qwen3-Reranker, "score" for a plain
    reranker's own scores."""
    return getattr(reranker, "score_label", "p(yes)")


def run_tag(reranker, default: str = "rerank-tui-qwen3") -> str:
    """A TREC run tag for reranked runs: `default` for Qwen3-Reranker, `rerank-tui-<model>` for
    a plain reranker (one word)."""
    if getattr(reranker, "uses_instruction", True):
        return default
    model = str(getattr(getattr(reranker, "backend", reranker), "model", "") or "plain")
    word = "".join(c if c.isalnum() or c in "-_." else "-" for c in model.rstrip("/").split("/")[-1])
    return f"rerank-tui-{word or 'plain'}"


def resolve_instruction(args, presets) -> tuple[str, str | None]:
    """(instruction, preset name) from --instruction / --preset / the default preset."""
    if args.instruction is not None:
        return args.instruction, presets.name_of(args.instruction)
    name = args.preset or "default"
    instruction = presets.get(name)
    if instruction is None:
        if args.preset:
            known = ", ".join(presets.names()) or "none"
            raise UserError(f"no preset named {args.preset!r} (known: {known})")
        from rerank_tui.rerank.prompt import DEFAULT_INSTRUCTION

        return DEFAULT_INSTRUCTION, None
    return instruction, name


def note_to_stderr(note: str) -> None:
    print(f"rerank-tui: note: {note}", file=sys.stderr)
