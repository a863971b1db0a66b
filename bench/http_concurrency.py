"""HTTP reranker throughput by --concurrency (requests in flight at once), in one table.

    .venv-vllm/bin/python bench/http_concurrency.py                 # starts `vllm serve` on the tiny Qwen3, on CPU
    python bench/http_concurrency.py --url http://gpu-box:8000 --model Qwen/Qwen3-Reranker-0.6B   # a running server

Two workloads, each run with every `--concurrency` value in the same process against the same
server, interleaved over `--rounds` rounds (the order rotates each round) so drift in the
machine's speed does not favour one value:

- many queries: `--queries` queries of `--depth` documents each through `rank_many` (what
  `eval`, `snapshot save` and the query-set screen do): whole queries in flight at once;
- one long list: one query of `--long` documents split into batches of `--batch-size`: its
  batches in flight at once.

Columns: pairs/s (median over rounds of pairs / wall time), the round-to-round spread, and the
ratio to concurrency 1. The score cache is off; every round scores fresh queries (the server's
prefix cache never sees the same query twice). Without `--url` the server is the tests' tiny
random-weight Qwen3 (`tests/rerank/vllm_support.py`, float32, eager; its engine threads on all
cores but the last, the client on that one, since OpenMP's spinning threads and the client's
would otherwise take turns on the same cores): its speed shows the client/server overheads at
their most visible, not a real model's.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rerank_tui.rerank.base import RankRequest  # noqa: E402
from rerank_tui.rerank.http_backend import HttpReranker  # noqa: E402
from tests.support.tiny_qwen3 import WORDS, pseudo_words  # noqa: E402

VOCABULARY = WORDS + pseudo_words(500, seed=7)


def make_requests(n: int, depth: int, words: int, seed: int) -> list[RankRequest]:
    rng = random.Random(seed)
    return [
        RankRequest(
            " ".join(rng.choices(VOCABULARY, k=rng.randint(3, 8))) + f" {seed}-{q}",
            [" ".join(rng.choices(VOCABULARY, k=rng.randint(words // 2, words))) for _ in range(depth)],
            None,
        )
        for q in range(n)
    ]


def timed(client: HttpReranker, requests: list[RankRequest]) -> float:
    """pairs/s of one run of `requests` through `rank_many`."""
    pairs = sum(len(r.documents) for r in requests)
    start = time.perf_counter()
    for _ in client.rank_many(requests):
        pass
    return pairs / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running rerank server (default: start vllm serve on the tiny model)")
    parser.add_argument("--model", help="the served model (default: the server's)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--queries", type=int, default=24, help="many queries: how many (default: 24)")
    parser.add_argument("--depth", type=int, default=50, help="many queries: documents each (default: 50)")
    parser.add_argument("--long", type=int, default=512, help="one long list: documents (default: 512)")
    parser.add_argument("--batch-size", type=int, default=64, help="documents per request (default: 64)")
    parser.add_argument("--words", type=int, default=60, help="words per document, at most (default: 60)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server-cores", help="started server: the cores of its engine threads, e.g. 0-6 (default: all but the last, which the client gets)")
    args = parser.parse_args()

    server = None
    url, model = args.url, args.model
    if url is None:
        server, url, model = start_tiny_server(args.server_cores)
    try:
        rows = run(url, model, args)
    finally:
        if server is not None:
            server.stop()
    print_table(rows, args, url)
    return 0


def start_tiny_server(server_cores: str | None):
    from tests.rerank.local_server import free_port
    from tests.rerank.vllm_support import VllmServer
    from tests.support.tiny_qwen3 import build_tiny_qwen3

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    model = build_tiny_qwen3(folder / "tiny-qwen3")
    cores = os.cpu_count() or 1
    if server_cores is None and cores > 1:  # the engine's OpenMP threads spin: keep them off the client's core
        server_cores = f"0-{cores - 2}" if cores > 2 else "0"
        os.sched_setaffinity(0, {cores - 1})
    server = VllmServer(model, free_port(), folder / "server.log", max_model_len=1024, cpu_bind=server_cores)
    print(f"starting vllm serve on the tiny Qwen3 (engine on cores {server_cores or 'all'} of {cores})…", file=sys.stderr)
    started = time.perf_counter()
    server.wait_healthy()
    print(f"healthy after {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return server, server.url, str(model)


def run(url: str, model: str | None, args) -> list[tuple[str, int, list[float]]]:
    clients = {c: HttpReranker(url, model, concurrency=c, batch_size=args.batch_size, tokenizer=None) for c in args.concurrency}
    warm = make_requests(2, args.depth, args.words, seed=999)
    for client in clients.values():
        timed(client, warm)  # connections, the server's first batches
    workloads = {
        f"many queries ({args.queries} × {args.depth})": lambda seed: make_requests(args.queries, args.depth, args.words, seed),
        f"one long list ({args.long}, batches of {args.batch_size})": lambda seed: make_requests(1, args.long, args.words, seed),
    }
    results = {(name, c): [] for name in workloads for c in args.concurrency}
    seed = 0
    for round_ in range(args.rounds):
        order = args.concurrency[round_ % len(args.concurrency):] + args.concurrency[: round_ % len(args.concurrency)]
        for name, make in workloads.items():
            for c in order:
                seed += 1
                results[(name, c)].append(timed(clients[c], make(seed)))
        print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)
    for client in clients.values():
        client.close()
    return [(name, c, results[(name, c)]) for name in workloads for c in args.concurrency]


def print_table(rows, args, url: str) -> None:
    base = {name: statistics.median(values) for name, c, values in rows if c == args.concurrency[0]}
    header = f"{'workload':<36} {'concurrency':>11} {'pairs/s':>9} {'spread':>8} {'× c=' + str(args.concurrency[0]):>7}"
    print(f"\nserver {url}, {args.rounds} rounds, median pairs/s (spread: max - min over rounds)")
    print(header)
    print("-" * len(header))
    for name, c, values in rows:
        median = statistics.median(values)
        spread = max(values) - min(values)
        print(f"{name:<36} {c:>11} {median:>9.0f} {spread:>8.0f} {median / base[name]:>7.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
