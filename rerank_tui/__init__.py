"""rerank-tui: BM25 recall next to Qwen3-Reranker, tuned from the keyboard."""

__version__ = "0.1.0"
