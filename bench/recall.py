"""BM25 recall benchmark: this project's engine (bm25s) against rank-bm25, in the same run.

    .venv/bin/python bench/recall.py            # 10k and 100k passages
    .venv/bin/python bench/recall.py --million  # adds 1M (bm25s only; rank-bm25 would take hours)

Passages are synthetic: words drawn with Zipf frequencies from the SciFact vocabulary
(read at run time from ../shared/eval, never stored), ~120 words each; queries are the 300
SciFact queries. Every measurement runs in a fresh subprocess so peak memory (max RSS) is
per configuration. Prints one table:

- build s: corpus (already in memory) → searchable index, tokenizing included
- peak MB: max resident memory of the process
- p50/p95 ms: `Index.search(query, k=100)`, tokenizing the query included
- reopen s: a new process reopening the persisted index of an unchanged JSONL corpus
  (`open_index`: fingerprint + load), imports excluded
- speed-up: rank-bm25 p50 / bm25s p50
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import SCIFACT, percentile, queries, synthetic_passages, write_jsonl


def worker_search(engine: str, n: int, max_queries: int) -> dict:
    from rerank_tui.corpus.passage import Passage
    from rerank_tui.recall.index import Index

    docs = synthetic_passages(n)
    passages = [Passage(d["id"], d["id"], d["title"], d["text"]) for d in docs]
    del docs
    started = time.perf_counter()
    index = Index.build(passages, engine=engine)
    build = time.perf_counter() - started
    qs = queries()[:max_queries]
    index.search(qs[0], 100)  # warm-up
    times = []
    for q in qs:
        t = time.perf_counter()
        index.search(q, 100)
        times.append((time.perf_counter() - t) * 1000)
    return {
        "build_s": build,
        "p50_ms": percentile(times, 0.5),
        "p95_ms": percentile(times, 0.95),
        "queries": len(qs),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def worker_reopen(corpus: str) -> dict:
    from rerank_tui.recall import open_index

    started = time.perf_counter()
    opened = open_index(corpus)
    return {"seconds": time.perf_counter() - started, "built": opened.built, "passages": len(opened.index)}


def run_worker(*args: str, env: dict | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--million", action="store_true", help="also 1M passages (bm25s only)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        result = worker_search(rest[0], int(rest[1]), int(rest[2])) if kind == "search" else worker_reopen(rest[0])
        print(json.dumps(result))
        return
    if not (SCIFACT / "docs.jsonl").exists():
        sys.exit(f"needs the shared SciFact collection at {SCIFACT}")

    sizes = [10_000, 100_000] + ([1_000_000] if args.million else [])
    rows = []
    for n in sizes:
        fast = run_worker("search", "bm25s", str(n), "300")
        slow = run_worker("search", "rank-bm25", str(n), "300" if n <= 10_000 else "30") if n <= 100_000 else None
        with tempfile.TemporaryDirectory() as tmp:
            corpus = write_jsonl(Path(tmp) / "corpus.jsonl", n)
            env = os.environ | {"RERANK_TUI_CACHE_DIR": str(Path(tmp) / "cache")}
            cold = run_worker("reopen", str(corpus), env=env)
            warm = run_worker("reopen", str(corpus), env=env)
            assert cold["built"] and not warm["built"], (cold, warm)
        rows.append((n, fast, slow, cold, warm))

    header = f"{'passages':>9} | {'engine':<9} | {'build s':>8} | {'peak MB':>8} | {'p50 ms':>8} | {'p95 ms':>8} | {'cold open s':>11} | {'reopen s':>8} | {'speed-up':>8}"
    print(header)
    print("-" * len(header))
    for n, fast, slow, cold, warm in rows:
        speedup = f"{slow['p50_ms'] / fast['p50_ms']:.0f}x" if slow else "-"
        print(
            f"{n:>9,} | {'bm25s':<9} | {fast['build_s']:>8.2f} | {fast['peak_mb']:>8.0f} | {fast['p50_ms']:>8.2f} | "
            f"{fast['p95_ms']:>8.2f} | {cold['seconds']:>11.2f} | {warm['seconds']:>8.2f} | {speedup:>8}"
        )
        if slow:
            print(
                f"{n:>9,} | {'rank-bm25':<9} | {slow['build_s']:>8.2f} | {slow['peak_mb']:>8.0f} | {slow['p50_ms']:>8.2f} | "
                f"{slow['p95_ms']:>8.2f} | {'':>11} | {'':>8} | {'1x':>8}"
            )
    print("\nqueries: SciFact's 300 (rank-bm25 at 100k: the first 30); k=100; targets at 100k: p50 <= 2 ms, >= 100x rank-bm25, reopen <= 1 s")


if __name__ == "__main__":
    main()
