"""Recall settings without numpy (BM25's names and parameters, the approximate-search
threshold): the command line validates them before anything heavy is imported."""

from __future__ import annotations

from dataclasses import dataclass

ENGINES = ("bm25s", "rank-bm25")
METHODS = ("lucene", "robertson")
DEFAULT_APPROXIMATE_ABOVE = 500_000  # dense rows above which search is approximate; see `approximate.use_approximate`


@dataclass(frozen=True)
class BM25Params:
    """BM25 settings: Lucene's defaults (k1=1.2, b=0.75, Lucene idf), as in Elasticsearch.

    Measured with this tokenizer (nDCG@10): SciFact 0.688 at 1.2/0.75 vs 0.679 at Anserini's
    BEIR setting 0.9/0.4; Cranfield 0.369 vs 0.352 (`bench/quality.py` reproduces this).
    """

    k1: float = 1.2
    b: float = 0.75
    method: str = "lucene"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown BM25 method {self.method!r}; choose from {', '.join(METHODS)}")
        if self.k1 < 0 or not 0 <= self.b <= 1:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1 (got k1={self.k1}, b={self.b})")

    def cache_key(self) -> str:
        return f"{self.method}-k1={self.k1:g}-b={self.b:g}"
