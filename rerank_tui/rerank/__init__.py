"""Qwen3-Reranker scoring behind one small interface; heavy imports only when a backend is built."""
