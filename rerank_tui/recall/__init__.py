"""BM25 recall: one tokenizer for queries and passages, a persisted index, `search(query, k)`,
and `refresh_index` to bring an index of a folder up to date file by file.

Knows nothing of models or the UI.
"""

from rerank_tui.recall.engines import ENGINES, METHODS, BM25Params
from rerank_tui.recall.index import Hit, Index
from rerank_tui.recall.refresh import RefreshResult, persist_refresh, refresh_index
from rerank_tui.recall.store import CorpusStats, OpenedIndex, open_index
from rerank_tui.recall.tokenize import Tokenizer

__all__ = [
    "ENGINES",
    "METHODS",
    "BM25Params",
    "CorpusStats",
    "Hit",
    "Index",
    "OpenedIndex",
    "RefreshResult",
    "Tokenizer",
    "open_index",
    "persist_refresh",
    "refresh_index",
]
