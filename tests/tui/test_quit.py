"""Quitting never waits for a worker: a real process in a pseudo-terminal, a model load that
never ends, and ctrl+q's action; the process must exit (a join would hang it until the
test's deadline)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap
import threading

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import json, sys, threading
    from functools import partial
    from pathlib import Path

    from rerank_tui.cli.launch import leave_now
    from rerank_tui.recall import open_index
    from rerank_tui.session.workspace import Workspace
    from rerank_tui.tui.app import AppOptions, RerankApp

    folder, ws, report = sys.argv[1:4]
    never = threading.Event()

    def load_forever():
        never.wait()  # a model load that does not end (a hub download, a stuck GPU)

    mount = RerankApp.on_mount

    def on_mount(self):  # what ctrl+q runs, once the index is open and the model is loading
        mount(self)

        def check():
            if any(w.name == "model" and w.is_running for w in self.workers) and self.index is not None:
                self.call_later(self.run_action, "quit")

        self.set_interval(0.05, check)

    RerankApp.on_mount = on_mount
    app = RerankApp(AppOptions(source=folder, open_index=partial(open_index, folder), make_reranker=load_forever,
                           reranker_label="stuck", workspace=Workspace.open(Path(ws))))
    app.run()
    busy = app.executor.busy()
    Path(report).write_text(json.dumps({"busy": busy, "modules": sorted(m for m in sys.modules if m in ("torch", "vllm"))}))
    sys.exit(leave_now(0, busy=busy))
    """
)


def test_quitting_while_the_model_loads_forever_exits_at_once(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Alpha\n\nbeta gamma delta\n")
    report = tmp_path / "report.json"
    master, slave = pty.openpty()
    env = os.environ | {"TERM": "xterm-256color", "RERANK_TUI_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(folder), str(tmp_path / "ws"), str(report)],
                            stdin=slave, stdout=slave, stderr=slave, env=env)
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

    threading.Thread(target=drain, daemon=True).start()
    try:
        code = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the app did not exit while a worker was stuck: it waited for the worker")
    finally:
        os.close(master)
    assert code == 0, output.decode(errors="replace")[-2000:]
    assert json.loads(report.read_text())["busy"] is True  # the load was still running when it left
