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
   that text's hits is recorded (search, thread hop, pane refill and redraw included), at
   80x24 and 160x48. Beside it, in the same run (the machine's load is shared): two floors,
   a bare DataTable refilled with 100 rows (what the panes were) and the bare line widget
   (`RankedList`, what they are) refilled with the same rows, each to the next frame.
Targets: first frame <= 0.45 s (bench/startup.py measures it in a real terminal, beside a bare app); keystroke p95 <= 25 ms at 100k passages.
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
SIZES = ((80, 24), (160, 48))  # the compact layout and a large terminal


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
    from rerank_tui.cli import launch

    launch.refuse_without_terminal = lambda: None  # headless here: no terminal is needed
    from rerank_tui.cli import main

    main(argv)


def first_frame(argv: list[str], env: dict) -> dict:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(argv)], capture_output=True, text=True, env=env, check=True
    ).stdout
    record = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    return {"seconds": record["first_frame"] - started, "heavy": record["heavy"]}


class PaintClock:
    """Calls back at the end of the first frame that paints a widget, after it was asked.

    `call_after_refresh` is not enough: the screen runs its callbacks at once when it has no
    dirty widget yet, and a widget's refresh reaches the screen on that widget's next idle, so
    a callback could fire before the frame with the new rows. Here a frame counts for a
    widget when the compositor drew one of its lines (`render_line` of `classes`)."""

    def __init__(self, *classes) -> None:
        self.classes = classes
        self.waiting: list[tuple[object, object]] = []  # (widget, callback)
        self.painted: set[int] = set()

    def after_paint(self, widget, callback) -> None:
        self.waiting.append((widget, callback))

    def __enter__(self) -> PaintClock:
        from textual.screen import Screen

        self.saved = [(cls, "render_line", cls.__dict__.get("render_line")) for cls in self.classes]
        self.saved.append((Screen, "_compositor_refresh", Screen.__dict__["_compositor_refresh"]))

        def wrap_line(render_line):
            def wrapped(widget, y):
                self.painted.add(id(widget))
                return render_line(widget, y)

            return wrapped

        for cls in self.classes:
            cls.render_line = wrap_line(cls.render_line)
        compositor_refresh = Screen._compositor_refresh

        def frame(screen) -> None:
            self.painted.clear()
            compositor_refresh(screen)
            now = time.perf_counter()
            done = [callback for widget, callback in self.waiting if id(widget) in self.painted]
            self.waiting = [(widget, callback) for widget, callback in self.waiting if id(widget) not in self.painted]
            for callback in done:
                callback(now)

        Screen._compositor_refresh = frame  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc) -> None:
        for cls, name, original in self.saved:
            if original is None:
                delattr(cls, name)  # it was inherited
            else:
                setattr(cls, name, original)


BARE_ROWS = 100  # the BM25 pane's rows per keystroke (the recall depth)


def _bare_rows():
    from rich.text import Text

    return [Text(f"{i:3}  {i * 0.37:7.2f}   ·   a passage title {i} › a heading › more words", no_wrap=True) for i in range(BARE_ROWS)]


async def _refill_times(widget, refill, rounds: int) -> list[float]:
    """Milliseconds from `refill()` to the end of the frame that paints `widget`, `rounds` times."""
    from textual.widgets import DataTable

    from rerank_tui.tui.widgets.ranked_list import RankedList

    times: list[float] = []
    with PaintClock(DataTable, RankedList) as clock:
        for _ in range(rounds):
            drawn = asyncio.Event()
            started = time.perf_counter()
            refill()
            clock.after_paint(widget, lambda now, started=started, drawn=drawn: (times.append((now - started) * 1000), drawn.set()))
            await drawn.wait()
            await asyncio.sleep(0.05)
    return times


async def bare_table_refresh(size: tuple[int, int], rounds: int = 30) -> list[float]:
    """The old floor: a bare Textual DataTable refilled with 100 one-line rows, to the next frame."""
    from textual.app import App
    from textual.widgets import DataTable

    rows = _bare_rows()

    class Bare(App):
        def compose(self):
            yield DataTable(cursor_type="row")

    app = Bare()
    async with app.run_test(size=size):
        table = app.query_one(DataTable)
        table.add_column("row", key="row")

        def refill():
            table.clear()
            for i, row in enumerate(rows):
                table.add_row(row, key=str(i))

        return await _refill_times(table, refill, rounds)


async def bare_list_refresh(size: tuple[int, int], rounds: int = 30) -> list[float]:
    """The new floor: the panes' line widget (RankedList, no app around it) refilled with the
    same 100 rows, to the next frame: only the visible lines are built and drawn."""
    from textual.app import App

    from rerank_tui.tui.widgets.ranked_list import RankedList

    rows = _bare_rows()
    keys = [str(i) for i in range(len(rows))]

    class Bare(App):
        CSS = "RankedList { height: 1fr; }"

        def compose(self):
            yield RankedList()

    app = Bare()
    async with app.run_test(size=size):
        ranked = app.query_one(RankedList)
        return await _refill_times(ranked, lambda: ranked.set_rows(keys, rows.__getitem__), rounds)


async def keystroke_latency(corpus: Path, max_queries: int, size: tuple[int, int] = (160, 48)) -> list[float]:
    """Milliseconds from a key changing the query box to the end of the frame that paints the
    BM25 pane refilled with that text's hits (thread hop, search, refill and redraw included).
    Pilot drives the keys; its own waiting is not part of the measure."""
    from rerank_tui.recall import open_index
    from rerank_tui.session.workspace import Workspace
    from rerank_tui.tui.app import AppOptions, RerankApp

    from rerank_tui.tui.widgets.results import ResultsTable

    changed_at: dict[str, float] = {}
    latencies: list[float] = []
    search, inline, show = RerankApp.search_bm25, RerankApp._search_bm25_inline, ResultsTable.show

    def timed_inline(self, query):  # every key's first step (the query box changed)
        changed_at[query] = time.perf_counter()
        return inline(self, query)

    def timed_search(self, query, debounce=True):  # the worker, when the search is not inline
        changed_at.setdefault(query, time.perf_counter())
        return search(self, query, debounce)

    def timed_show(self, rows, label_of, *args, **kwargs):
        show(self, rows, label_of, *args, **kwargs)
        if self.reranked:
            return
        started = changed_at.pop(self.app.search.query, None)  # the BM25 pane refilled for this text
        if started is not None:
            clock.after_paint(self, lambda now: latencies.append((now - started) * 1000))

    RerankApp.search_bm25, RerankApp._search_bm25_inline, ResultsTable.show = timed_search, timed_inline, timed_show
    clock = PaintClock(ResultsTable).__enter__()
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
        clock.__exit__()
        RerankApp.search_bm25, RerankApp._search_bm25_inline, ResultsTable.show = search, inline, show
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=20, help="SciFact queries typed (first 25 characters each)")
    parser.add_argument("--model", help="reranker for the first-frame run (default: a tiny random Qwen3)")
    parser.add_argument("--keystrokes-only", action="store_true", help="skip the first-frame runs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    import rerank_tui.tui  # noqa: F401 - before textual: the app's frame rate (TEXTUAL_FPS) for every row, floors too
    if args.child:
        child_first_frame(json.loads(args.child))
        return

    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {"RERANK_TUI_CACHE_DIR": f"{tmp}/cache", "HF_HUB_OFFLINE": "1"}
        os.environ.update(env)
        model = args.model
        if model is None and not args.keystrokes_only:
            sys.path.insert(0, str(REPO))
            from tests.support.tiny_qwen3 import build_tiny_qwen3

            model = str(build_tiny_qwen3(Path(tmp) / "tiny", seed=0))
        demo = str(REPO / "corpora" / "demo")
        ws = ["--workspace", f"{tmp}/ws"]
        subprocess.run([sys.executable, "-m", "rerank_tui.cli", "index", demo], env=env, check=True, capture_output=True)
        first = not args.keystrokes_only
        bm25_only = [first_frame(["tui", demo, "--no-rerank", *ws], env) for _ in range(3)] if first else []
        with_model = [first_frame(["tui", demo, "--model", model, "--backend", "transformers", *ws], env) for _ in range(3)] if first else []

        corpus = write_jsonl(Path(tmp) / "corpus.jsonl", args.passages)
        subprocess.run([sys.executable, "-m", "rerank_tui.cli", "index", str(corpus)], env=env, check=True, capture_output=True)
        keystrokes = {}
        for size in SIZES:  # the floors are measured in the same run, beside the app
            keystrokes[size] = (
                asyncio.run(keystroke_latency(corpus, args.queries, size)),
                asyncio.run(bare_table_refresh(size)),
                asyncio.run(bare_list_refresh(size)),
            )

    print(f"{'measure':<56} | {'p50':>8} | {'p95':>8} | target")
    print("-" * 96)
    for name, runs in (("first frame, BM25 only (demo corpus), median of 3", bm25_only),
                       ("first frame, reranker configured, median of 3", with_model)):
        if not runs:
            continue
        seconds = sorted(r["seconds"] for r in runs)[1]
        heavy = sorted({m for r in runs for m in r["heavy"]}) or ["none"]
        print(f"{name:<56} | {seconds:>6.2f} s | {'':>8} | <= 0.45 s; heavy imports before it: {', '.join(heavy)}")
    for (width, height), (lat, table, ranked) in keystrokes.items():
        size = f"{width}x{height}"
        for label, times, target in (
            (f"keystroke -> BM25 pane at {size}, {args.passages:,} passages", lat, f"p95 <= 25 ms ({len(lat)} keys)"),
            (f"  bare DataTable refill, {BARE_ROWS} rows (old floor)", table, ""),
            (f"  bare line widget refill, {BARE_ROWS} rows (new floor)", ranked, ""),
        ):
            print(f"{label:<56} | {percentile(times, 0.5):>5.1f} ms | {percentile(times, 0.95):>5.1f} ms | {target}")


if __name__ == "__main__":
    main()
