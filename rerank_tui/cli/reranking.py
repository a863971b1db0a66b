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
        )

    return build


def reranker_label(args) -> str:
    if args.cascade is not None:
        return f"cascade {args.cascade.name}"
    from rerank_tui.cli.options import DEFAULT_MODEL

    backend = "http" if args.url and args.backend == "auto" else args.backend
    where = f" @ {args.url}" if args.url else ""
    model = args.model or ("server model" if args.url else DEFAULT_MODEL)
    return f"{model.rstrip('/').split('/')[-1]} · {backend}{where}"


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
