"""TUI responsiveness: time to the first frame, and keystroke → BM25 pane latency.

    .venv/bin/python bench/tui.py [--passages 100000] [--model PATH]

1. First frame: a fresh process runs `rerank-tui PATH` (headless) and reports when the first
   frame has been drawn, measured from just before the process was started (interpreter
   start and imports included); also whether torch/transformers/vllm were imported by then.
   Measured with `--no-rerank` and with a reranker configured (`--model`, default: a tiny
   random Qwen3 built on the spot), to show the model loads after the first frame.
2. Keystroke latency: the app on a synthetic corpus of N passages (index already cached);
   for each SciFact query, its characters are typed one by one and for each key the time
   until the BM25 pane shows the results for the new text is recorded.
Targets: first frame <= 1 s; keystroke p95 <= 50 ms at 100k passages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from synthetic import percentile, queries, write_jsonl

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "vllm")


def child_first_frame(argv: list[str]) -> None:
    """Run the real CLI with the app patched to report its first frame, then exit."""
    from rerank_tui.tui import app as app_module

    original = app_module.RerankApp.on_mount

    def on_mount(self):
        original(self)

        def drawn():
            heavy = [m for m in HEAVY if m in sys.modules]
            print(json.dumps({"first_frame": time.monotonic(), "heavy": heavy}), flush=True)
            self.exit()

        self.call_after_refresh(drawn)

    app_module.RerankApp.on_mount = on_mount
    original_run = app_module.RerankApp.run
    app_module.RerankApp.run = lambda self, **kw: original_run(self, headless=True)
    from rerank_tui.cli import main

    main(argv)


def first_frame(argv: list[str], env: dict) -> dict:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(argv)], capture_output=True, text=True, env=env, check=True
    ).stdout
    record = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    return {"seconds": record["first_frame"] - started, "heavy": record["heavy"]}


async def keystroke_latency(corpus: Path, max_queries: int) -> list[float]:
    from rerank_tui.recall import open_index
    from rerank_tui.session.workspace import Workspace
    from rerank_tui.tui.app import AppOptions, RerankApp

    with tempfile.TemporaryDirectory() as ws:
        app = RerankApp(
            AppOptions(
                source=str(corpus),
                open_index=partial(open_index, corpus),
                make_reranker=None,
                reranker_label="none",
                workspace=Workspace.open(Path(ws)),
            )
        )
        latencies: list[float] = []
        async with app.run_test(size=(120, 40)) as pilot:
            while app.index is None:
                await pilot.pause(0.05)
            query_input = app.query_one("#query")
            for text in queries()[:max_queries]:
                query_input.value = ""
                await pilot.pause(0.05)
                for ch in text[:25]:
                    expected = query_input.value + ch
                    started = time.perf_counter()
                    await pilot.press(ch if ch != " " else "space")
                    while app.bm25_query != expected:
                        await asyncio.sleep(0.0005)
                    latencies.append((time.perf_counter() - started) * 1000)
        return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=20, help="SciFact queries typed (first 25 characters each)")
    parser.add_argument("--model", help="reranker for the first-frame run (default: a tiny random Qwen3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_first_frame(json.loads(args.child))
        return

    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {"RERANK_TUI_CACHE_DIR": f"{tmp}/cache", "HF_HUB_OFFLINE": "1"}
        os.environ.update(env)
        model = args.model
        if model is None:
            sys.path.insert(0, str(REPO))
            from tests.support.tiny_qwen3 import build_tiny_qwen3

            model = str(build_tiny_qwen3(Path(tmp) / "tiny", seed=0))
        demo = str(REPO / "corpora" / "demo")
        ws = ["--workspace", f"{tmp}/ws"]
        subprocess.run([sys.executable, "-m", "rerank_tui.cli", "index", demo], env=env, check=True, capture_output=True)
        bm25_only = [first_frame(["tui", demo, "--no-rerank", *ws], env) for _ in range(3)]
        with_model = [first_frame(["tui", demo, "--model", model, "--backend", "transformers", *ws], env) for _ in range(3)]

        corpus = write_jsonl(Path(tmp) / "corpus.jsonl", args.passages)
        subprocess.run([sys.executable, "-m", "rerank_tui.cli", "index", str(corpus)], env=env, check=True, capture_output=True)
        latencies = asyncio.run(keystroke_latency(corpus, args.queries))

    print(f"{'measure':<52} | {'value':>10} | target")
    print("-" * 80)
    for name, runs in (("first frame, BM25 only (demo corpus), median of 3", bm25_only),
                       ("first frame, reranker configured, median of 3", with_model)):
        seconds = sorted(r["seconds"] for r in runs)[1]
        heavy = sorted({m for r in runs for m in r["heavy"]}) or ["none"]
        print(f"{name:<52} | {seconds:>8.2f} s | <= 1 s; heavy imports before it: {', '.join(heavy)}")
    print(f"{f'keystroke -> BM25 pane p50 ({args.passages:,} passages)':<52} | {percentile(latencies, 0.5):>7.1f} ms |")
    print(f"{f'keystroke -> BM25 pane p95 ({len(latencies)} keys)':<52} | {percentile(latencies, 0.95):>7.1f} ms | <= 50 ms")


if __name__ == "__main__":
    main()
