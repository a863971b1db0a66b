"""TUI responsiveness: time to the first frame, and keystroke → BM25 pane latency.

    .venv/bin/python bench/tui.py [--passages 100000] [--model PATH]

1. First frame: a fresh process runs `rerank-tui PATH` (headless) and reports when the first
   frame has been drawn, measured from just before the process was started (interpreter
   start and imports included); also whether torch/transformers/vllm were imported by then.
   Measured with `--no-rerank` and with a reranker configured (`--model`, default: a tiny
   random Qwen3 built on the spot), to show the model loads after the first frame.
2. Keystroke latency: the app on a synthetic corpus of N passages (index already cached);
   for each SciFact query, its first 25 characters are typed one by one, and for each key
   the time from the query box changing to the frame after the BM25 pane was refilled with
   that text's hits is recorded (search, thread hop, table rebuild and redraw included).
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


async def bare_table_refresh(size: tuple[int, int], rounds: int = 30) -> list[float]:
    """The floor: a bare Textual DataTable refilled with 100 one-line rows, to the next frame."""
    from rich.text import Text
    from textual.app import App
    from textual.widgets import DataTable

    rows = [Text(f"{i:3}  {i * 0.37:7.2f}   ·   a passage title {i} › a heading › more words", no_wrap=True) for i in range(100)]

    class Bare(App):
        def compose(self):
            yield DataTable(cursor_type="row")

    app, times = Bare(), []
    async with app.run_test(size=size) as pilot:
        table = app.query_one(DataTable)
        table.add_column("row", key="row")
        for _ in range(rounds):
            drawn = asyncio.Event()
            started = time.perf_counter()
            table.clear()
            for i, row in enumerate(rows):
                table.add_row(row, key=str(i))
            app.call_after_refresh(drawn.set)
            await drawn.wait()
            times.append((time.perf_counter() - started) * 1000)
            await pilot.pause(0.05)
    return times


async def keystroke_latency(corpus: Path, max_queries: int, size: tuple[int, int] = (120, 40)) -> list[float]:
    """Milliseconds from a key changing the query box to the frame after the BM25 pane was
    refilled with that text's hits (thread hop, search, table rebuild and redraw included).
    Pilot drives the keys; its own waiting is not part of the measure."""
    from rerank_tui.recall import open_index
    from rerank_tui.session.workspace import Workspace
    from rerank_tui.tui.app import AppOptions, RerankApp

    from rerank_tui.tui.widgets.results import ResultsTable

    changed_at: dict[str, float] = {}
    latencies: list[float] = []
    search, show = RerankApp.search_bm25, ResultsTable.show

    def timed_search(self, query, debounce=True):
        changed_at[query] = time.perf_counter()
        return search(self, query, debounce)

    def timed_show(self, rows, label_of, *args, **kwargs):
        show(self, rows, label_of, *args, **kwargs)
        if self.reranked:
            return
        started = changed_at.pop(self.app.search.query, None)  # the BM25 pane refilled for this text
        if started is not None:
            self.call_after_refresh(lambda: latencies.append((time.perf_counter() - started) * 1000))

    RerankApp.search_bm25, ResultsTable.show = timed_search, timed_show
    try:
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
            async with app.run_test(size=size) as pilot:
                while app.index is None:
                    await pilot.pause(0.05)
                query_input = app.query_one("#query")
                for text in queries()[:max_queries]:
                    query_input.value = ""
                    await pilot.pause(0.05)
                    for ch in text[:25]:
                        await pilot.press(ch if ch != " " else "space")
                    await pilot.pause(0.1)
    finally:
        RerankApp.search_bm25, ResultsTable.show = search, show
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
        small = asyncio.run(keystroke_latency(corpus, args.queries, (80, 24)))
        large = asyncio.run(keystroke_latency(corpus, args.queries, (120, 40)))
        floor_small = asyncio.run(bare_table_refresh((80, 24)))
        floor_large = asyncio.run(bare_table_refresh((120, 40)))

    print(f"{'measure':<52} | {'value':>10} | target")
    print("-" * 80)
    for name, runs in (("first frame, BM25 only (demo corpus), median of 3", bm25_only),
                       ("first frame, reranker configured, median of 3", with_model)):
        seconds = sorted(r["seconds"] for r in runs)[1]
        heavy = sorted({m for r in runs for m in r["heavy"]}) or ["none"]
        print(f"{name:<52} | {seconds:>8.2f} s | <= 1 s; heavy imports before it: {', '.join(heavy)}")
    for size, lat, floor in (("80x24", small, floor_small), ("120x40", large, floor_large)):
        label = f"keystroke -> BM25 pane at {size}, {args.passages:,} passages"
        print(f"{label + ' p50':<52} | {percentile(lat, 0.5):>7.1f} ms |")
        print(f"{label + ' p95':<52} | {percentile(lat, 0.95):>7.1f} ms | <= 50 ms ({len(lat)} keys)")
        print(f"{'  bare DataTable refill, same size, p50 (the floor)':<52} | {percentile(floor, 0.5):>7.1f} ms |")


if __name__ == "__main__":
    main()
