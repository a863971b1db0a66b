"""BM25 recall: one tokenizer for queries and passages, a persisted index, `search(query, k)`."""
