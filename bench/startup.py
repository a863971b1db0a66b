"""Start and quit: process start → first frame, and ctrl+q → process exit, in every state.

    .venv/bin/python bench/startup.py [--runs 3]

Every measurement is a fresh `rerank-tui` process in a real pseudo-terminal (80x24), so the
terminal check, the driver and interpreter shutdown are all part of it. The floor is a bare
Textual app (one Static) measured the same way in the same run.

- first frame: from just before the process is started to the first frame drawn (the app is
  patched to report it), and which heavy modules (torch, transformers, vllm,
  sentence-transformers) were imported by then; on the demo corpus, without and with a
  reranker configured (a tiny random Qwen3 built on the spot, transformers backend).
- quit: from the quit action (what ctrl+q runs) to the process having exited, while idle,
  while the model loads, with the model loaded, while a rerank runs (a slowed tiny model:
  each batch sleeps, so the rerank is surely in flight) and while the corpus embeds for
  dense recall (a tiny random BERT, also slowed).
Targets: first frame <= 0.45 s with nothing heavy imported before it; quit <= 0.5 s in every state.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "vllm", "sentence_transformers")
SLOW_BATCH_S = 0.5  # how long each slowed model batch sleeps
QUERY = "data"  # found in the demo corpus


def report(**record) -> None:
    with open(os.environ["STARTUP_REPORT"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def child_bare() -> None:
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        BINDINGS = [("ctrl+q", "quit", "Quit")]

        def compose(self):
            yield Static("hello")

        def on_mount(self) -> None:
            self.call_after_refresh(self._drawn)

        def _drawn(self) -> None:
            report(first_frame=time.monotonic(), heavy=[])
            self.set_timer(0.3, self._quit)

        def _quit(self) -> None:
            report(quit_at=time.monotonic(), state="idle")
            self.exit()

    Bare().run()


def _slow_down(mode: str) -> None:
    """Make a model's batches slow, so that a rerank or an embedding is surely in flight."""
    if mode == "rerank":
        from rerank_tui.rerank import transformers_backend as module

        cls = module.TransformersReranker
        original = cls._forward
        name = "_forward"
    elif mode == "embed":
        from rerank_tui.embed import st_backend as module

        cls = module.SentenceTransformerEmbedder
        original = cls._encode
        name = "_encode"
    else:
        return

    def slow(self, *args, **kwargs):
        time.sleep(SLOW_BATCH_S)
        return original(self, *args, **kwargs)

    setattr(cls, name, slow)


def child_app(mode: str, argv: list[str]) -> None:
    """The real CLI, patched to report its first frame and to quit once in `mode`'s state."""
    from rerank_tui.tui import app as app_module

    original = app_module.RerankApp.on_mount

    def reached(app) -> str | None:
        running = {w.name for w in app.workers if w.is_running} - {"watch"}  # the corpus watcher runs as long as the app
        if mode == "idle" and app.index is not None:
            return "idle"
        if mode == "loading" and app.reranker_state == "loading" and "model" in running:
            return "model loading"
        if mode == "loaded" and app.reranker_state == "ready" and app.index is not None and not running:
            return "model loaded"
        if mode == "rerank":
            if app.reranker_state == "ready" and app.index is not None and not getattr(app, "_bench_typed", False):
                app._bench_typed = True
                app.query_one("#query").value = QUERY
            elif app.search.typed == QUERY and not getattr(app, "_bench_asked", False):
                app._bench_asked = True
                app.action_rerank()
            if "rerank" in running:
                time.sleep(0.1)  # well inside the slowed batch
                return "rerank in flight"
        if mode == "embed" and "embed" in running:
            return "embedding in flight"
        return None

    def on_mount(self):
        def drawn():
            report(first_frame=time.monotonic(), heavy=[m for m in HEAVY if m in sys.modules])
            self.set_interval(0.02, tick)

        def tick():
            state = reached(self)
            if state is not None and not getattr(self, "_bench_quitting", False):
                self._bench_quitting = True
                report(quit_at=time.monotonic(), state=state)
                self.call_later(self.run_action, "quit")

        self.call_after_refresh(drawn)  # before the app's own: it starts the workers after the first frame
        original(self)

    app_module.RerankApp.on_mount = on_mount
    if mode in ("rerank", "embed"):
        import rerank_tui.cli.reranking  # noqa: F401 - the factories are imported lazily; patch when the model module loads

        _patch_on_import(mode)
    from rerank_tui.cli import main

    sys.exit(main(argv))


def _patch_on_import(mode: str) -> None:
    """Patch the model class when its module is imported (inside the app's model worker)."""
    import importlib.abc
    import importlib.util

    target = "rerank_tui.rerank.transformers_backend" if mode == "rerank" else "rerank_tui.embed.st_backend"

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target_module=None):
            if name != target:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            loader = spec.loader
            exec_module = loader.exec_module

            def exec_and_patch(module):
                exec_module(module)
                sys.modules[name] = module
                _slow_down(mode)

            loader.exec_module = exec_and_patch
            return spec

    sys.meta_path.insert(0, Hook())


def run_in_pty(args: list[str], env: dict, timeout: float = 120.0) -> dict:
    """Run this script's child in an 80x24 pseudo-terminal; return its records and exit time."""
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as fh:
        report_path = fh.name
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = env | {"STARTUP_REPORT": report_path, "TERM": "xterm-256color"}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, __file__, *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    output = bytearray()

    def drain():
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            output.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit(f"{args[:2]} did not exit within {timeout} s") from None
    exited = time.monotonic()
    os.close(master)
    records: dict = {}
    for line in Path(report_path).read_text().splitlines():
        records.update(json.loads(line))
    os.unlink(report_path)
    if code != 0 or "quit_at" not in records:
        tail = output.decode(errors="replace")[-2000:]
        raise SystemExit(f"{args[:2]} exited {code} without quitting as planned: {records}\n{tail}")
    return {
        "first_frame": records["first_frame"] - started,
        "heavy": records.get("heavy", []),
        "quit": exited - records["quit_at"],
        "state": records["state"],
    }


def median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        child_bare() if kind == "bare" else child_app(kind, json.loads(rest[0]))
        return

    sys.path.insert(0, str(REPO))
    from tests.support.tiny_bert import build_tiny_bert
    from tests.support.tiny_qwen3 import build_tiny_qwen3

    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {"RERANK_TUI_CACHE_DIR": f"{tmp}/cache", "RERANK_TUI_CONFIG_DIR": f"{tmp}/config", "HF_HUB_OFFLINE": "1"}
        reranker = str(build_tiny_qwen3(Path(tmp) / "qwen3", seed=0))
        embedder = str(build_tiny_bert(Path(tmp) / "bert"))
        demo = str(REPO / "corpora" / "demo")
        subprocess.run([sys.executable, "-m", "rerank_tui.cli", "index", demo], env=env, check=True, capture_output=True)
        ws = lambda name: ["--workspace", f"{tmp}/ws-{name}"]  # noqa: E731
        model = ["--model", reranker, "--backend", "transformers"]
        plans = [
            ("bare Textual app (the floor)", "bare", []),
            ("rerank-tui demo, no reranker", "idle", [demo, "--no-rerank", *ws("idle")]),
            ("rerank-tui demo, while the model loads", "loading", [demo, *model, *ws("loading")]),
            ("rerank-tui demo, model loaded", "loaded", [demo, *model, *ws("loaded")]),
            ("rerank-tui demo, a rerank in flight", "rerank", [demo, *model, "--rerank-depth", "400", *ws("rerank")]),
            ("rerank-tui demo, embedding for dense recall", "embed",
             [demo, "--no-rerank", "--recall", "dense", "--embedder", embedder, *ws("embed")]),
        ]
        rows = []
        for title, mode, argv in plans:
            child = ["--child", "bare"] if mode == "bare" else ["--child", mode, json.dumps(argv)]
            runs = [run_in_pty(child, env) for _ in range(args.runs)]
            rows.append((title, runs))

    print(f"{'process':<46} | {'first frame s':>13} | {'heavy before it':<15} | {'quit s':>6} | state at quit")
    print("-" * 110)
    for title, runs in rows:
        heavy = ", ".join(sorted({m for r in runs for m in r["heavy"]})) or "none"
        print(f"{title:<46} | {median([r['first_frame'] for r in runs]):>13.2f} | {heavy:<15} | "
              f"{median([r['quit'] for r in runs]):>6.2f} | {runs[0]['state']}")
    print(f"\nmedian of {args.runs} runs each; targets: first frame <= 0.45 s, nothing heavy before it; quit <= 0.5 s in every state")


if __name__ == "__main__":
    main()
