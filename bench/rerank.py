"""Reranker throughput and the project's overhead, per backend, in one table.

    .venv/bin/python bench/rerank.py                  # tiny random Qwen3, transformers on CPU
    .venv-vllm/bin/python bench/rerank.py             # + the vLLM engine (CPU build)
    python bench/rerank.py --model Qwen/Qwen3-Reranker-0.6B --model /models/Qwen3-Reranker-8B \\
        --lengths 128 512 1024 --backends transformers vllm      # real checkpoints, on a GPU

Each row: one backend on one model at one document length, `--queries` queries of `--depth`
(default 50) documents each. Columns:

- pairs/s: (query, document) pairs scored per second through the project's pipeline
  (`CachedReranker` with a cold cache: prompt building, truncation, cache lookups and writes),
  from the median query time;
- p50/p95 ms: per-query latency of that pipeline (one query, `--depth` documents);
- bare pairs/s: the same engine called without the pipeline on prompts built beforehand, as
  the model card's recipe does (transformers: tokenize a batch of full prompts, forward,
  softmax; vLLM: `llm.score` on ready query/document sides), same batch size;
- overhead: median over queries of pipeline time / bare time - 1, measured interleaved in the
  same run (target <= 5%; negative: the pipeline's length-sorted batches beat the recipe's);
- cache ms: median time per query spent in the cold cache (key hashing, one lookup, one
  write), measured directly: a share of p50 too small to see in the noisy difference.

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

from rerank_tui.rerank import CachedReranker, ScoreCache, build_reranker  # noqa: E402
from rerank_tui.rerank.prompt import document_side, full_prompt, query_side  # noqa: E402
from rerank_tui.rerank.score_cache import cache_key  # noqa: E402
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


def build_backend(name: str, model: str, args):
    """The backend as `build_reranker` makes it (default max_length), without its cache."""
    options = {}
    if name == "vllm":
        options["batch_size"] = args.depth
        options["enforce_eager"] = True
        if not _cuda():  # the CPU build: OpenMP threads on every core, none reserved, float32, a small KV cache
            os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", f"0-{os.cpu_count() - 1}")
            os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
            options.update(dtype="float32", kv_cache_memory_bytes=512 * 2**20)
    else:
        options.update(batch_size=args.batch_size, device=args.device)
    return build_reranker(name, model, max_length=args.max_length, cache=False, **options)


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


def bare_call(backend, query: str, docs: list[str]):
    """The same engine on prompts built beforehand, as the model card's recipe runs it:
    vLLM: `llm.score(query_side, document_sides)`; transformers: tokenize the full prompts
    of a batch (left padding), one forward, softmax over [no, yes]. Prompts come pre-sorted by
    token count, so the bare run pads as little as the pipeline does."""
    if hasattr(backend, "llm"):
        q_side, sides = query_side(query), [document_side(d) for d in docs]
        return lambda: backend.llm.score(q_side, sides, use_tqdm=False)
    import torch

    size, tok, model = backend.batch_size, backend.tokenizer, backend.model
    prompts = [full_prompt(query, d) for d in docs]
    lengths = [len(ids) for ids in tok(prompts, add_special_tokens=False)["input_ids"]]
    prompts = [p for _, p in sorted(zip(lengths, prompts), reverse=True)]  # least padding, untimed

    def run():
        out = []
        for i in range(0, len(prompts), size):
            batch = tok(prompts[i : i + size], padding=True, return_tensors="pt", add_special_tokens=False)
            with torch.inference_mode():
                logits = model(**batch.to(model.device), logits_to_keep=1).logits[:, -1, :]
            pair = torch.stack([logits[:, backend.no_id], logits[:, backend.yes_id]], dim=1).float()
            out += torch.softmax(pair, dim=1)[:, 1].tolist()
        return out

    return run


class TimedCache(ScoreCache):
    """The real cache, with the time spent in it (lookups, writes, key hashing) recorded."""

    def __init__(self, path):
        super().__init__(path)
        self.seconds = 0.0

    def get_many(self, keys):
        start = time.perf_counter()
        try:
            return super().get_many(keys)
        finally:
            self.seconds += time.perf_counter() - start

    def put_many(self, items):
        start = time.perf_counter()
        try:
            return super().put_many(items)
        finally:
            self.seconds += time.perf_counter() - start


def key_seconds(backend, query: str, docs: list[str]) -> float:
    start = time.perf_counter()
    for d in docs:
        cache_key(backend.identity, backend.max_length, None, query, d)
    return time.perf_counter() - start


def measure(backend, queries, twins, warm, cache_dir: Path):
    """Interleave bare and pipeline calls per query so drift hits both alike. The bare call
    scores a twin query (same sizes, other text): vLLM's prefix cache would otherwise serve
    whichever of the two runs second."""
    cache = TimedCache(cache_dir / "scores.sqlite")
    pipeline = CachedReranker(backend, cache)
    query, docs = warm  # warm-up (allocator, kernels, compile caches) on a third text
    bare_call(backend, query, docs)()
    backend.score(query, docs)
    times = {"bare": [], "pipeline": [], "cache": []}
    stats = []
    for i, ((query, docs), (twin_query, twin_docs)) in enumerate(zip(queries, twins)):
        cache.seconds = key_seconds(backend, query, docs)
        calls = {
            "bare": bare_call(backend, twin_query, twin_docs),
            "pipeline": lambda query=query, docs=docs: stats.append(pipeline.rank(query, docs).stats),  # the product's call
        }
        names = list(calls)
        for name in names[i % 2 :] + names[: i % 2]:  # alternate the order query by query
            times[name].append(_timed(calls[name]))
        assert stats[-1].cache_hits == 0  # cold: every pair reaches the model
        times["cache"].append(cache.seconds)
    cache.close()
    return times


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
    parser.add_argument("--max-length", type=int, default=None, help="prompt token limit (default: as build_reranker)")
    args = parser.parse_args()

    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # the table goes to stdout
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
        header = f"{'backend':<12} | {'model':<28} | {'doc tok':>7} | {'pairs/s':>8} | {'p50 ms':>8} | {'p95 ms':>8} | {'bare pairs/s':>12} | {'overhead':>8} | {'cache ms':>8}"
        rows = []
        for model in models:
            for name in backends:
                backend = build_backend(name, model, args)
                try:
                    for length in lengths:
                        tok = backend_tokenizer(backend)
                        queries = make_queries(tok, args.queries, args.depth, length, seed=0)
                        twins = make_queries(tok, args.queries, args.depth, length, seed=1)
                        warm = make_queries(tok, 1, args.depth, length, seed=2)[0]
                        t = measure(backend, queries, twins, warm, tmp / f"cache-{name}-{length}-{len(rows)}")
                        pipe, bare = t["pipeline"], t["bare"]
                        ms = sorted(x * 1000 for x in pipe)
                        # Medians, not sums: on a shared machine a few calls stall for seconds.
                        overhead = statistics.median(p / b for p, b in zip(pipe, bare)) - 1
                        cache_ms = statistics.median(t["cache"]) * 1000
                        rows.append(
                            f"{name:<12} | {short(model):<28} | {length:>7} | "
                            f"{args.depth / statistics.median(pipe):>8.0f} | "
                            f"{statistics.median(ms):>8.1f} | {ms[int(0.95 * (len(ms) - 1))]:>8.1f} | "
                            f"{args.depth / statistics.median(bare):>12.0f} | {overhead:>+8.1%} | {cache_ms:>8.2f}"
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
