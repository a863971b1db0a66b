"""Workspace files at the size of a real judging project.

    .venv/bin/python bench/workspace.py [--sizes 50,200,1000,5000] [--labels-per-query 20] [--presses 200]

For each size (queries × labels per query), in one run:
- load: `LabelStore.load` of labels.yaml, cold (no parse cache) and warm, beside the floor,
  `yaml.load(text, CSafeLoader)` of the same file (libyaml with no checks at all);
- first frame: `rerank-tui corpora/demo --no-rerank` from process start to its first frame,
  beside the same with an empty workspace (median of 3);
- export: `rerank-tui export --format qrels` as a process, beside `rerank-tui --help` (the
  process floor: interpreter and imports);
- one label: from the keypress to the status line saying "saved" (fsynced in the journal),
  p50 / p95 over N presses in the app (the status speaks of the newest label, so each press
  is measured to the first "saved" shown after it: pessimistic for presses inside a burst),
  and the longest the UI thread spent in one label action;
- the size of labels.yaml.
Targets at 1,000 × 20: load <= 1 s and <= 3x the floor; first frame <= +0.3 s over the empty
workspace; export <= 2 s; "saved" p95 <= 50 ms, and the UI thread never waits on a write.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
DEMO = REPO / "corpora" / "demo"
WORDS = "loader worker cache index query vector shard batch token model rerank passage memory thread".split()


def make_labels(path: Path, queries: int, per_query: int, seed: int = 3) -> None:
    from rerank_tui.session.labels import Label, LabelStore

    rng = random.Random(seed)
    store = LabelStore(path)
    for q in range(queries):
        docs = [f"docs/topic{rng.randrange(500)}/note{d}.md#{rng.randrange(1, 9)}" for d in range(per_query)]
        labels = {doc: Label(doc, rng.randrange(4), f"{rng.getrandbits(48):012x}", "2026-11-22T03:00:00Z") for doc in docs}
        store.queries[f"query {q}: " + " ".join(rng.choices(WORDS, k=5))] = labels
    store.save()


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def load_times(path: Path, cache: Path) -> tuple[float, float, float]:
    from rerank_tui.session.labels import LabelStore

    text = path.read_text(encoding="utf-8")
    floor = timed(lambda: yaml.load(text, Loader=yaml.CSafeLoader))

    def cold():
        shutil.rmtree(cache / "parsed", ignore_errors=True)
        LabelStore.load(path)

    cold_s = timed(cold)
    LabelStore.load(path)  # fills the parse cache
    warm_s = timed(lambda: LabelStore.load(path))
    return floor, cold_s, warm_s


def process_seconds(argv: list[str], env: dict, repeat: int = 3) -> float:
    return timed(lambda: subprocess.run(argv, env=env, check=True, capture_output=True), repeat)


async def label_latencies(workspace: Path, presses: int) -> tuple[list[float], float]:
    """ms from each label keypress to the status line saying saved; and the longest action."""
    from rerank_tui.recall import open_index
    from rerank_tui.session.workspace import Workspace
    from rerank_tui.tui.app import AppOptions, RerankApp

    pressed: list[float] = []
    latencies: list[float] = []
    action_ms: list[float] = []
    label, set_status = RerankApp.action_label, RerankApp._set_status

    def timed_label(self, grade):
        started = time.perf_counter()
        pressed.append(started)
        label(self, grade)
        action_ms.append((time.perf_counter() - started) * 1000)

    def timed_status(self, text=""):
        set_status(self, text)
        if text.endswith("· saved") and pressed:  # the newest label, and all before it, are on disk
            now = time.perf_counter()
            latencies.extend((now - t) * 1000 for t in pressed)  # each press to the first "saved" after it
            pressed.clear()

    RerankApp.action_label, RerankApp._set_status = timed_label, timed_status
    try:
        app = RerankApp(
            AppOptions(
                source=str(DEMO),
                open_index=partial(open_index, DEMO),
                make_reranker=None,
                reranker_label="none",
                workspace=Workspace.open(workspace),
            )
        )
        async with app.run_test(size=(120, 40)) as pilot:
            while app.index is None:
                await pilot.pause(0.05)
            app.query_one("#query").value = "cache"
            while not app.search.hits:
                await pilot.pause(0.05)
            app.query_one("#bm25-pane").table.focus()
            for i in range(presses):
                if i % 20 == 0:
                    await pilot.press("home")
                await pilot.press(str(i % 4))
                if i % 10 == 9:
                    await pilot.pause(0.02)  # a person's rhythm: bursts, short pauses
            app.workspace.labels.flush()
            await pilot.pause(0.2)
        app.workspace.close()
    finally:
        RerankApp.action_label, RerankApp._set_status = label, set_status
    return latencies, max(action_ms)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,200,1000,5000")
    parser.add_argument("--labels-per-query", type=int, default=20)
    parser.add_argument("--presses", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from tui import first_frame

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = tmp / "cache"
        env = os.environ | {"RERANK_TUI_CACHE_DIR": str(cache), "RERANK_TUI_CONFIG_DIR": str(tmp / "config")}
        os.environ.update(env)
        cli = [sys.executable, "-m", "rerank_tui.cli"]
        subprocess.run([*cli, "index", str(DEMO)], env=env, check=True, capture_output=True)
        empty_frame = statistics.median(
            first_frame(["tui", str(DEMO), "--no-rerank", "--workspace", str(tmp / "empty")], env)["seconds"] for _ in range(3)
        )
        process_floor = process_seconds([*cli, "--help"], env)
        for n in sizes:
            ws = tmp / f"ws{n}"
            make_labels(ws / "labels.yaml", n, args.labels_per_query)
            floor, cold, warm = load_times(ws / "labels.yaml", cache)
            frame = statistics.median(
                first_frame(["tui", str(DEMO), "--no-rerank", "--workspace", str(ws)], env)["seconds"] for _ in range(3)
            )
            export = process_seconds([*cli, "export", "--workspace", str(ws), "--format", "qrels", "--out", str(tmp / "out.qrels")], env)
            latencies, longest_action = asyncio.run(label_latencies(ws, args.presses))
            rows.append((n, floor, cold, warm, frame, export, latencies, longest_action, (ws / "labels.yaml").stat().st_size))

    print(f"labels per query: {args.labels_per_query}; first frame with an empty workspace: {empty_frame:.2f} s; "
          f"`rerank-tui --help` process: {process_floor:.2f} s")
    head = ("queries", "labels", "floor", "load cold", "load warm", "cold/floor", "1st frame", "+ vs empty", "export",
            "saved p50", "saved p95", "UI max", "file")
    print(" | ".join(f"{h:>10}" for h in head))
    print("-" * (13 * len(head)))
    for n, floor, cold, warm, frame, export, lat, longest, size in rows:
        cells = (f"{n:,}", f"{n * args.labels_per_query:,}", f"{floor:.3f} s", f"{cold:.3f} s", f"{warm:.3f} s",
                 f"{cold / floor:.2f}x", f"{frame:.2f} s", f"{frame - empty_frame:+.2f} s", f"{export:.2f} s",
                 f"{percentile(lat, 0.5):.1f} ms", f"{percentile(lat, 0.95):.1f} ms", f"{longest:.1f} ms",
                 f"{size / 1024:,.0f} KB")
        print(" | ".join(f"{c:>10}" for c in cells))
    print("targets at 1,000 queries: load <= 1 s and cold/floor <= 3x; first frame <= +0.3 s; export <= 2 s; saved p95 <= 50 ms")


if __name__ == "__main__":
    main()
