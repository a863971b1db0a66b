"""BM25 recall: one tokenizer for queries and passages, a persisted index, `search(query, k)`,
and `refresh_index` to bring an index of a folder up to date file by file.

Knows nothing of models or the UI. The names below are imported on first use: the app's first
frame needs `recall.hit` alone, not numpy and the engines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rerank_tui.lazy_exports import lazy_exports

_EXPORTS = {
    "ENGINES": "params",
    "METHODS": "params",
    "BM25Params": "params",
    "Hit": "hit",
    "Index": "index",
    "CorpusStats": "store",
    "OpenedIndex": "store",
    "open_index": "store",
    "Tokenizer": "tokenize",
    "RefreshResult": "refresh",
    "persist_refresh": "refresh",
    "refresh_index": "refresh",
}

if TYPE_CHECKING:
    from rerank_tui.recall.params import ENGINES, METHODS, BM25Params
    from rerank_tui.recall.hit import Hit
    from rerank_tui.recall.index import Index
    from rerank_tui.recall.refresh import RefreshResult, persist_refresh, refresh_index
    from rerank_tui.recall.store import CorpusStats, OpenedIndex, open_index
    from rerank_tui.recall.tokenize import Tokenizer

__all__ = [
    "BM25Params",
    "CorpusStats",
    "ENGINES",
    "Hit",
    "Index",
    "METHODS",
    "OpenedIndex",
    "RefreshResult",
    "Tokenizer",
    "open_index",
    "persist_refresh",
    "refresh_index",
]


__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
