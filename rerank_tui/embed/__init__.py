"""Dense embeddings behind one small interface; heavy imports only when a backend is built.

    from rerank_tui.embed import build_embedder, embed_corpus, DenseRecall, fuse_hits
    embedder = build_embedder("auto", model="Qwen/Qwen3-Embedding-0.6B")   # or url=... for a server
    vectors = embedder.embed_documents(texts, batch_size=None, cancel=None, progress=None)
    queries = embedder.embed_queries(["how do I ..."], instruction=None)
    embedder.last_stats                      # EmbedStats(items, tokens, seconds, batches, waited)

    corpus = embed_corpus(passages, embedder, corpus=str(source), cancel=..., progress=...)
    dense = DenseRecall(embedder, passages, corpus.matrix)            # memory-mapped, exact
    hits = fuse_hits([bm25_hits, dense.search(query, 100)], method="rrf", k=60)

Every vector is L2-normalised float32; every backend gives the same vectors for the same
checkpoint. What is embedded for a passage is what BM25 indexes: title, a newline, text.

Modules: `base` (protocol, stats, prompts, cancellation), `errors`, `st_backend`
(sentence-transformers in-process), `http_backend` (OpenAI-compatible `/v1/embeddings`),
`st_config` (a model folder's settings, json only), `vectors` (the persistent vector store),
`search` (dense recall and hybrid fusion as `Hit`s), `factory`. Importing this package
imports no torch, transformers or sentence_transformers.
"""

from .base import (
    DEFAULT_QUERY_INSTRUCTION,
    INSTRUCT,
    PROMPT,
    QUERY_STYLES,
    BaseEmbedder,
    Cancel,
    Embedder,
    EmbedStats,
    Progress,
    instruct_prompt,
    instruct_task,
    l2_normalize,
    query_text,
)
from .errors import (
    BadVectorsError,
    EmbedBackendUnavailableError,
    EmbedCancelled,
    EmbedderError,
    EmbedModelNotFoundError,
    EmbedOutOfMemoryError,
    EmbedServerError,
)
from .factory import BACKENDS, build_embedder
from .search import FUSION_METHODS, DenseRecall, fuse_hits
from .vectors import CorpusVectors, EmbedProgress, StoreKey, VectorStore, embed_corpus, passage_texts, text_key

__all__ = [
    "BACKENDS",
    "DEFAULT_QUERY_INSTRUCTION",
    "FUSION_METHODS",
    "INSTRUCT",
    "PROMPT",
    "QUERY_STYLES",
    "BadVectorsError",
    "BaseEmbedder",
    "Cancel",
    "CorpusVectors",
    "DenseRecall",
    "EmbedBackendUnavailableError",
    "EmbedCancelled",
    "EmbedModelNotFoundError",
    "EmbedOutOfMemoryError",
    "EmbedProgress",
    "EmbedServerError",
    "EmbedStats",
    "Embedder",
    "EmbedderError",
    "Progress",
    "StoreKey",
    "VectorStore",
    "build_embedder",
    "embed_corpus",
    "fuse_hits",
    "instruct_prompt",
    "instruct_task",
    "l2_normalize",
    "passage_texts",
    "query_text",
    "text_key",
]
