"""`build_reranker`: one entry point from CLI/config options to a ready `Reranker`.

Backends: "transformers" (in-process, CUDA or CPU), "vllm" (in-process engine), "http" (a
running vLLM server at `url`, or another rerank API with `server_kind="plain"`), "auto" (http when `url` is given; else vllm when CUDA and
vllm are both available; else transformers, with a note when that means CPU). Heavy
libraries are imported only by the backend being built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from .base import Reranker
from .cascade import CascadeReranker, cascade_from_config
from .checkpoint import DEFAULT_MODEL, check_qwen3, max_positions, resolve
from .errors import BackendUnavailableError
from .score_cache import CachedReranker, ScoreCache

BACKENDS = ("auto", "transformers", "vllm", "http")
DEFAULT_MAX_LENGTH = 8192


def build_reranker(
    backend: str = "auto",
    model: str | None = None,
    *,
    url: str | None = None,
    device: str | None = None,
    max_length: int | None = None,
    batch_size: int | None = None,
    dtype: str | None = None,
    revision: str | None = None,
    timeout: float | None = None,
    server_kind: str | None = None,
    concurrency: int | None = None,
    ca_bundle: str | Path | None = None,
    cache: bool | ScoreCache | str | Path = True,
    on_note: Callable[[str], None] | None = None,
    **backend_options,
) -> Reranker:
    """Build a reranker; `model` is a hub id or a local folder (default `DEFAULT_MODEL`;
    for "http", the server's first model). `cache` is True (the user's cache dir), False, a
    path to a SQLite file, or a `ScoreCache`. `backend_options` go to the backend class
    (vllm: tensor_parallel_size, gpu_memory_utilization, kv_cache_memory_bytes,
    enforce_eager, ...; http: retries, api_key_env, tokenizer, ...). `timeout` (seconds for one
    whole request, retries included) is for "http"; so are `server_kind` ("auto", "qwen3" or
    "plain": a non-Qwen3 rerank API, sent the query and documents as they are), `concurrency`
    (requests in flight at once, default 4) and `ca_bundle` (a PEM file of a private CA); other
    backends note that they ignore them. Notes for the user (e.g. "running on CPU") are in `.notes` and passed to `on_note`."""
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    notes: list[str] = []
    if backend == "auto":
        backend = _auto_backend(url, device, notes)
    if backend == "http":
        if not url:
            raise ValueError("the http backend needs url= (the vLLM server's base URL)")
        from .http_backend import HttpReranker

        opts = _drop_none(
            max_length=max_length, batch_size=batch_size, timeout=timeout, server_kind=server_kind,
            concurrency=concurrency, ca_bundle=ca_bundle,
        )
        reranker: Reranker = HttpReranker(url, model, **opts, **backend_options)
    else:
        http_only = {"the timeout": timeout, "the server kind": server_kind, "the concurrency": concurrency, "the CA bundle": ca_bundle}
        for what, value in http_only.items():
            if value is not None:
                notes.append(f"{what} applies to the http backend only: ignored by {backend}")
        ckpt = resolve(model or DEFAULT_MODEL, revision)
        check_qwen3(ckpt)
        max_length = _fit_max_length(max_length, max_positions(ckpt), notes)
        if backend == "vllm":
            from .vllm_backend import VllmReranker, vllm_available

            if not vllm_available():
                raise BackendUnavailableError(
                    "vLLM is not installed", "pip install 'rerank-tui[vllm]', or use --backend transformers"
                )
            opts = _drop_none(max_length=max_length, batch_size=batch_size, dtype=dtype)
            reranker = VllmReranker(ckpt, **opts, **backend_options)
        else:
            from .transformers_backend import TransformersReranker

            opts = _drop_none(
                max_length=max_length, batch_size=batch_size, dtype=dtype, device=device
            )
            reranker = TransformersReranker(ckpt, **opts, **backend_options)
    notes += list(reranker.notes)
    if cache is not False:
        store = cache if isinstance(cache, ScoreCache) else ScoreCache(None if cache is True else cache)
        reranker = CachedReranker(reranker, store)
    reranker.notes = tuple(dict.fromkeys(notes))
    if on_note is not None:
        for note in reranker.notes:
            on_note(note)
    return reranker


def build_cascade(config: Mapping, *, cache: bool | ScoreCache | str | Path = True) -> CascadeReranker:
    """A cascade from a dict (YAML); see `cascade.cascade_from_config` for the layout."""

    def build(**options) -> Reranker:
        options.setdefault("cache", cache)
        return build_reranker(**options)

    return cascade_from_config(config, build)


def _auto_backend(url: str | None, device: str | None, notes: list[str]) -> str:
    if url:
        return "http"
    from .vllm_backend import vllm_available

    if device and not device.startswith("cuda"):
        return "transformers"
    try:
        import torch

        cuda = torch.cuda.is_available()
    except ImportError:
        cuda = False
    if cuda and vllm_available():
        return "vllm"
    if cuda:
        notes.append("vLLM is not installed: reranking with transformers (pip install 'rerank-tui[vllm]' is faster)")
    return "transformers"  # on CPU the backend itself notes it


def _fit_max_length(requested: int | None, limit: int | None, notes: list[str]) -> int:
    """The default (8192) or the request, never past the model's own context size."""
    if requested is None:
        return min(DEFAULT_MAX_LENGTH, limit or DEFAULT_MAX_LENGTH)
    if limit and requested > limit:
        notes.append(f"max_length {requested} is past the model's {limit} positions: using {limit}")
        return limit
    return requested


def _drop_none(**options):
    return {k: v for k, v in options.items() if v is not None}
