"""Files become passages: walk, decode, split, give stable ids. Knows nothing of BM25 or models."""
