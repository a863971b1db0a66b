"""A model-free embedder for testing the plumbing (store, batching, cancel): each text's
vector is derived from its SHA-256, so equal texts get equal vectors, and every call is
counted. Not a stand-in for any model's numbers: agreement tests use real forward passes."""

from __future__ import annotations

import hashlib
import time

import numpy as np

from rerank_tui.embed.base import BaseEmbedder


def hashed_vector(text: str, dims: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dims)


class CountingEmbedder(BaseEmbedder):
    def __init__(self, dims: int = 8, *, batch_size: int = 4, identity: str = "fake:hashed", delay: float = 0.0,
                 max_length: int = 128, pooling: str = "mean"):
        super().__init__()
        self.dims = dims
        self.batch_size = batch_size
        self.identity = identity
        self.max_length = max_length
        self.pooling = pooling
        self.device = "cpu"
        self.delay = delay
        self.embedded: list[str] = []  # every text that reached the "model", in order
        self.calls = 0  # embed_documents/embed_queries calls

    def _call(self, *args, **kwargs):
        self.calls += 1
        return super()._call(*args, **kwargs)

    def _embed_batch(self, texts, prompt, kind):
        if self.delay:
            time.sleep(self.delay)
        self.embedded += texts
        return np.stack([hashed_vector(prompt + t, self.dims) for t in texts]), sum(len(t.split()) for t in texts)
