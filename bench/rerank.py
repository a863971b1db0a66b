"""Reranker throughput and the project's overhead, per backend, in one table.

    .venv/bin/python bench/rerank.py                  # tiny random Qwen3, transformers on CPU
    .venv-vllm/bin/python bench/rerank.py             # + the vLLM engine (CPU build)
    python bench/rerank.py --model Qwen/Qwen3-Reranker-0.6B --model /models/Qwen3-Reranker-8B \\
        --lengths 128 512 1024 --backends transformers vllm      # real checkpoints, on a GPU

Each row: one backend on one model at one document length, `--queries` queries of `--depth`
(default 50) documents each. Columns:

- pairs/s: (query, document) pairs scored per second through the project's pipeline
  (`CachedReranker` with a cold cache: prompt building, truncation, cache lookups and writes);
- p50/p95 ms: per-query latency of that pipeline (one query, `--depth` documents);
- bare pairs/s: the same backend called without the pipeline, on prompts prepared beforehand
  (transformers: its batched forward on ready token ids, same batches; vLLM: `llm.score` on
  ready query/document sides);
- overhead: pipeline time / bare time - 1, measured interleaved in the same run (target <= 5%).

Without `--model` the model is the tests' tiny random-weight Qwen3 (built into a temp folder;
its scores mean nothing, its speed shows the pipeline's fixed costs at their most visible).
Documents are generated text cut to the requested token lengths with the model's tokenizer.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rerank_tui.rerank import CachedReranker, ScoreCache  # noqa: E402
from rerank_tui.rerank.checkpoint import check_qwen3, resolve  # noqa: E402
from rerank_tui.rerank.prompt import document_side, query_side  # noqa: E402
from tests.support.tiny_qwen3 import WORDS, pseudo_words  # noqa: E402

QUERY_WORDS = WORDS + pseudo_words(500, seed=7)


def make_queries(tokenizer, n_queries: int, depth: int, doc_tokens: int, seed: int = 0):
    """(query, documents) pairs; each document is generated text cut to `doc_tokens` tokens."""
    rng = random.Random(seed)
    out = []
    for _ in range(n_queries):
        query = " ".join(rng.choices(QUERY_WORDS, k=rng.randint(3, 8)))
        docs = []
        for _ in range(depth):
            text = " ".join(rng.choices(QUERY_WORDS, k=doc_tokens * 2))
            ids = tokenizer(text, add_special_tokens=False)["input_ids"][:doc_tokens]
            docs.append(tokenizer.decode(ids))
        out.append((query, docs))
    return out


def build_backend(name: str, ckpt, args, max_length: int):
    if name == "transformers":
        from rerank_tui.rerank.transformers_backend import TransformersReranker

        return TransformersReranker(ckpt, max_length=max_length, batch_size=args.batch_size, device=args.device)
    from rerank_tui.rerank.vllm_backend import VllmReranker

    options = {"enforce_eager": True}
    try:
        import torch

        on_gpu = torch.cuda.is_available()
    except ImportError:
        on_gpu = False
    if not on_gpu:  # the CPU build: see shared/VLLM_ON_CPU.md
        os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", f"0-{os.cpu_count() - 1}")
        os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
        options.update(dtype="float32", kv_cache_memory_bytes=512 * 2**20)
    return VllmReranker(ckpt, max_length=max_length, batch_size=args.depth, **options)


def bare_call(backend, query: str, docs: list[str]):
    """A callable scoring `docs` with the backend's engine only, inputs prepared in advance."""
    if hasattr(backend, "llm"):
        q_side, sides = query_side(query), [document_side(d) for d in docs]
        return lambda: backend.llm.score(q_side, sides, use_tqdm=False)
    encoded = [backend.encode_pair(query, d, None) for d in docs]
    encoded.sort(key=len, reverse=True)
    size = backend.batch_size
    batches = [encoded[i : i + size] for i in range(0, len(encoded), size)]
    return lambda: [backend._forward(b) for b in batches]


def measure(backend, queries, cache_dir: Path):
    """Interleave bare and pipeline calls per query so drift hits both alike."""
    pipeline = CachedReranker(backend, ScoreCache(cache_dir / "scores.sqlite"))
    query, docs = queries[0]
    bare_call(backend, query, docs)()  # warm-up (allocator, kernels, compile caches)
    backend.score(query, docs)
    bare_times, pipe_times = [], []
    for i, (query, docs) in enumerate(queries):
        bare = bare_call(backend, query, docs)
        if i % 2:
            bare_times.append(_timed(bare))
            pipe_times.append(_timed(lambda: pipeline.score(query, docs)))
        else:
            pipe_times.append(_timed(lambda: pipeline.score(query, docs)))
            bare_times.append(_timed(bare))
        assert pipeline.last_stats.cache_hits == 0  # cold: every pair reaches the model
    pipeline.cache.close()
    return bare_times, pipe_times


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="hub id or folder (repeatable); default: the tiny test model")
    parser.add_argument("--backends", nargs="+", default=None, help="transformers and/or vllm (default: all importable)")
    parser.add_argument("--lengths", nargs="+", type=int, default=None, help="document lengths in tokens")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--depth", type=int, default=50, help="documents per query")
    parser.add_argument("--batch-size", type=int, default=16, help="transformers batch size")
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    backends = args.backends or ["transformers"] + (["vllm"] if importable("vllm") else [])
    with tempfile.TemporaryDirectory(prefix="rerank-bench-") as tmp:
        tmp = Path(tmp)
        if args.model:
            models = args.model
            lengths = args.lengths or [128, 512, 1024]
        else:
            from tests.support.tiny_qwen3 import build_tiny_qwen3

            models = [str(build_tiny_qwen3(tmp / "tiny-qwen3"))]
            lengths = args.lengths or [128]
        header = f"{'backend':<12} | {'model':<28} | {'doc tok':>7} | {'pairs/s':>8} | {'p50 ms':>8} | {'p95 ms':>8} | {'bare pairs/s':>12} | {'overhead':>8}"
        rows = []
        for model in models:
            ckpt = resolve(model)
            check_qwen3(ckpt)
            for name in backends:
                max_length = max(lengths) + 256
                backend = build_backend(name, ckpt, args, max_length)
                try:
                    for length in lengths:
                        queries = make_queries(backend_tokenizer(backend), args.queries, args.depth, length)
                        bare, pipe = measure(backend, queries, tmp / f"cache-{name}-{length}-{len(rows)}")
                        pairs = args.queries * args.depth
                        ms = sorted(t * 1000 for t in pipe)
                        rows.append(
                            f"{name:<12} | {short(model):<28} | {length:>7} | {pairs / sum(pipe):>8.0f} | "
                            f"{statistics.median(ms):>8.1f} | {ms[int(0.95 * (len(ms) - 1))]:>8.1f} | "
                            f"{pairs / sum(bare):>12.0f} | {sum(pipe) / sum(bare) - 1:>+8.1%}"
                        )
                        print(rows[-1], file=sys.stderr, flush=True)
                finally:
                    backend.close()
        print(header)
        print("-" * len(header))
        print("\n".join(rows))


def backend_tokenizer(backend):
    return backend.tokenizer if hasattr(backend, "tokenizer") else backend._tokenizer


def importable(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def short(model: str) -> str:
    return model if len(model) <= 28 else "…" + model[-27:]


if __name__ == "__main__":
    main()
