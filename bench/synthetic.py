"""Synthetic passages and real queries for the benchmarks.

Words are drawn with Zipf frequencies from the SciFact vocabulary, read at run time from
../shared/eval (never stored in the repository); ~120 words per passage.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path

SCIFACT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "scifact"
WORDS_PER_PASSAGE = 120


def synthetic_passages(n: int, seed: int = 7) -> list[dict]:
    text = (SCIFACT / "docs.jsonl").read_text(encoding="utf-8")
    counts: dict[str, int] = {}
    for w in re.findall(r"[A-Za-z][A-Za-z-]+", text):
        counts[w] = counts.get(w, 0) + 1
    vocab = sorted(counts, key=counts.get, reverse=True)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]  # Zipf
    rng = random.Random(seed)
    cum = list(itertools.accumulate(weights))
    out = []
    batch = 10_000  # drawn in batches: the same words as one draw, without a list of n*120 words
    for start in range(0, n, batch):
        m = min(batch, n - start)
        words = rng.choices(vocab, cum_weights=cum, k=m * WORDS_PER_PASSAGE)
        out.extend(
            {"id": f"p{start + i}", "title": "", "text": " ".join(words[i * WORDS_PER_PASSAGE : (i + 1) * WORDS_PER_PASSAGE])}
            for i in range(m)
        )
    return out


def write_jsonl(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for d in synthetic_passages(n):
            fh.write(json.dumps(d) + "\n")
    return path


def queries() -> list[str]:
    from rerank_tui.session.judgment_readers import read_queries  # here: bench/tui.py times its own start-up

    return [text for _, text in read_queries(SCIFACT / "queries.jsonl")]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]
