"""Nothing heavy is imported before the first frame: the command line, the workspace and the
app's widgets come up on the standard library, Textual, PyYAML and filelock alone; numpy,
the readers, the engines and every model library load in the workers, after the frame."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("numpy", "scipy", "bm25s", "pathspec", "ir_measures", "torch", "transformers", "vllm", "sentence_transformers", "httpx")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from rerank_tui.cli import launch
    from rerank_tui.tui import app as app_module

    launch.refuse_without_terminal = lambda: None  # headless here
    mount, run = app_module.RerankApp.on_mount, app_module.RerankApp.run
    seen = {}

    def on_mount(self):
        def drawn():
            seen["modules"] = sorted(sys.modules)
            self.exit()

        self.call_after_refresh(drawn)  # ahead of the app's own after-frame work
        mount(self)

    app_module.RerankApp.on_mount = on_mount
    app_module.RerankApp.run = lambda self, **kw: run(self, headless=True)
    launch.leave_now = lambda code, busy: code
    from rerank_tui.cli import main

    code = main(sys.argv[2:])
    with open(sys.argv[1], "w") as fh:
        json.dump({"code": code, "modules": seen.get("modules")}, fh)
    """
)


@pytest.mark.parametrize("reranker", [["--no-rerank"], ["--model", "some/model", "--backend", "transformers"],
                                      ["--url", "http://127.0.0.1:9"],
                                      ["--no-rerank", "--recall", "dense", "--embedder", "some/embedder"]])
def test_nothing_heavy_is_imported_before_the_first_frame(tmp_path, reranker):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Alpha\n\nbeta gamma delta\n")
    out = tmp_path / "seen.json"
    env = {"RERANK_TUI_CACHE_DIR": str(tmp_path / "cache"), "RERANK_TUI_CONFIG_DIR": str(tmp_path / "config"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", SCRIPT, str(out), "tui", str(folder), *reranker, "--workspace", str(tmp_path / "ws")],
                   check=True, env=env, timeout=120, capture_output=True)
    seen = json.loads(out.read_text())
    assert seen["code"] == 0 and seen["modules"], seen
    imported = {name.split(".")[0] for name in seen["modules"]}
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
