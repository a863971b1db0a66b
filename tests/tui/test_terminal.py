"""End to end in a real terminal: tmux runs the installed `rerank-tui`, we type and read the screen."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

TMUX = shutil.which("tmux")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def wait_for(session: str, predicate, timeout: float = 60.0, step: str = "") -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if predicate(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {step}; the screen was:\n{screen}")


def type_into_dialog(session: str, text: str, attempts: int = 10) -> None:
    """Clear the focused input and type `text`, again until it shows: the dialog is drawn a
    moment before its input takes the focus, and keys sent in that moment go nowhere (on a
    loaded CI machine the moment can last seconds)."""
    for _ in range(attempts):
        _tmux("send-keys", "-t", session, "C-u")
        _tmux("send-keys", "-t", session, "-l", text)
        try:
            wait_for(session, lambda s: text in s, timeout=3.0, step="the typed text")
            return
        except AssertionError:
            continue
    wait_for(session, lambda s: text in s, timeout=1.0, step=f"the typed text {text!r}")


@pytest.fixture
def tmux_session():
    if TMUX is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is required in CI (scripts/test.sh installs it)")
        pytest.skip("tmux is not installed")
    name = f"rerank-tui-test-{uuid.uuid4().hex[:8]}"
    yield name
    _tmux("kill-session", "-t", name)


def test_start_type_label_save_preset_quit(tmux_session, corpus_dir, tmp_path, tiny_model_dir):
    exe = Path(sys.executable).with_name("rerank-tui")
    workspace = tmp_path / "ws"
    env = {
        "RERANK_TUI_CACHE_DIR": str(tmp_path / "cache"),
        "RERANK_TUI_CONFIG_DIR": str(tmp_path / "config"),
        "HF_HUB_OFFLINE": "1",
        "TERM": "xterm-256color",
    }
    command = " ".join(
        [*(f"{k}={shlex.quote(v)}" for k, v in env.items()), shlex.quote(str(exe)), shlex.quote(str(corpus_dir)),
         "--workspace", shlex.quote(str(workspace)), "--model", shlex.quote(str(tiny_model_dir)),
         "--backend", "transformers", "--rerank-depth", "10", "; echo EXITED $?; sleep 30"]
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", tmux_session, "-x", "100", "-y", "30", command], check=True)

    wait_for(tmux_session, lambda s: "6 passages" in s and "press Enter in the query box" in s, timeout=90)
    _tmux("send-keys", "-t", tmux_session, "-l", "DataLoader workers")
    wait_for(tmux_session, lambda s: "BM25 recall · 5 hits" in s)
    _tmux("send-keys", "-t", tmux_session, "Enter")
    wait_for(tmux_session, lambda s: "Qwen3 reranked · top 5" in s and "pairs" in s)

    _tmux("send-keys", "-t", tmux_session, "Tab", "Tab")  # query → instruction → BM25 pane
    _tmux("send-keys", "-t", tmux_session, "3")
    wait_for(tmux_session, lambda s: "· saved" in s)
    from rerank_tui.session.labels import LabelStore

    (label,) = LabelStore.load(workspace / "labels.yaml").for_query("DataLoader workers").values()  # on disk: in the journal
    assert label.grade == 3

    _tmux("send-keys", "-t", tmux_session, "C-s")
    wait_for(tmux_session, lambda s: "Save the instruction as preset" in s, step="the preset dialog")
    type_into_dialog(tmux_session, "e2e-preset")
    _tmux("send-keys", "-t", tmux_session, "Enter")
    wait_for(tmux_session, lambda s: "preset e2e-preset" in s, step="the saved preset")
    presets = yaml.safe_load((workspace / "presets.yaml").read_text(encoding="utf-8"))
    assert "e2e-preset" in presets["presets"]

    _tmux("send-keys", "-t", tmux_session, "C-q")
    wait_for(tmux_session, lambda s: "EXITED 0" in s, step="exit")
    labels = yaml.safe_load((workspace / "labels.yaml").read_text(encoding="utf-8"))  # folded in at quit
    assert labels["queries"]["DataLoader workers"][0]["grade"] == 3
