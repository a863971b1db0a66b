"""`build_embedder`: one entry point from options to a ready `Embedder`.

Backends: "sentence-transformers" (in-process, CUDA when available, else CPU), "vllm" (an
in-process vLLM engine), "http" (an OpenAI-compatible `/v1/embeddings` server at `url`), "auto"
(http when `url` is given, else sentence-transformers). Heavy libraries are imported only by
the backend being built.
"""

from __future__ import annotations

from .base import Embedder

BACKENDS = ("auto", "sentence-transformers", "vllm", "http")
_ALIASES = {"st": "sentence-transformers", "sentence_transformers": "sentence-transformers"}


def build_embedder(backend: str = "auto", model: str | None = None, *, url: str | None = None, **options) -> Embedder:
    """Build an embedder. `model` is a hub id or a local folder (for "http": the served
    model's name, default the server's first). Options go to the backend's constructor
    (`SentenceTransformerEmbedder`, `VllmEmbedder` or `HttpEmbedder`); None values are dropped."""
    backend = _ALIASES.get(backend, backend)
    options = {k: v for k, v in options.items() if v is not None}
    if backend == "auto":
        backend = "http" if url else "sentence-transformers"
    if backend == "http":
        if not url:
            raise ValueError("the http embedding backend needs a url")
        from .http_backend import HttpEmbedder

        return HttpEmbedder(url, model, **options)
    if backend == "sentence-transformers":
        if not model:
            raise ValueError("the sentence-transformers backend needs a model (folder or hub id)")
        from .st_backend import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model, **options)
    if backend == "vllm":
        if not model:
            raise ValueError("the vllm embedding backend needs a model (folder or hub id)")
        from .vllm_backend import VllmEmbedder

        return VllmEmbedder(model, **options)
    raise ValueError(f"embedding backend {backend!r}: use one of {', '.join(BACKENDS)}")
