"""App fixtures: a small corpus (with a hostile document), a workspace, the tiny model."""

from __future__ import annotations

from functools import partial

import pytest
from textual.widgets import Input, TextArea

from rerank_tui.recall import open_index
from rerank_tui.session.workspace import Workspace
from rerank_tui.tui.app import AppOptions, RerankApp

HOSTILE = "[bold red]WARNING[/] workers [link=https://evil.example]click[/link] \x1b[31mred\x1b[0m \x1b]0;pwned\x07 end"


@pytest.fixture(autouse=True)
def _steady_cursors(monkeypatch):
    """No blinking cursors: screens are compared frame by frame."""
    monkeypatch.setattr(Input, "cursor_blink", False)
    monkeypatch.setattr(TextArea, "cursor_blink", False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def corpus_dir(tmp_path):
    root = tmp_path / "notes"
    (root / "pytorch").mkdir(parents=True)
    (root / "pytorch" / "loader.md").write_text(
        "# DataLoader\n\n## Workers\n\nWith num_workers=0 the DataLoader loads batches in the main process, "
        "so it never hangs in Jupyter, but it is slow for heavy augmentation.\n\n"
        "## Pinned memory\n\npin_memory=True speeds up copies from the DataLoader to the GPU.\n",
        encoding="utf-8",
    )
    (root / "pytorch" / "seeds.md").write_text(
        "# Worker seeding\n\nEach DataLoader worker gets its own seed; numpy random state is copied "
        "unless you set worker_init_fn, so workers may produce identical augmentations.\n",
        encoding="utf-8",
    )
    (root / "react.md").write_text("# Hooks\n\nuseEffect cleanup runs before the next effect and on unmount.\n")
    (root / "zh.md").write_text("# 数据加载\n\n在 Jupyter 中把 num_workers 设为 0，DataLoader 就不会卡住。\n", encoding="utf-8")
    (root / "hostile.md").write_text(f"# Logs\n\n{HOSTILE}\n", encoding="utf-8")
    return root


@pytest.fixture
def workspace_dir(tmp_path):
    return tmp_path / "ws"


@pytest.fixture
def make_app(corpus_dir, workspace_dir, tiny_model_dir):
    """Build an app; `reranker` may be a factory, None (BM25 only) or "tiny" (the default)."""

    def make(reranker="tiny", **overrides) -> RerankApp:
        if reranker == "tiny":
            from rerank_tui.rerank import build_reranker

            reranker = partial(build_reranker, "transformers", str(tiny_model_dir), max_length=512)
        options = AppOptions(
            source="notes",
            open_index=partial(open_index, corpus_dir),
            make_reranker=reranker,
            reranker_label="tiny-qwen3 · transformers",
            workspace=Workspace.open(workspace_dir),
            rerank_depth=10,
        )
        for key, value in overrides.items():
            setattr(options, key, value)
        return RerankApp(options)

    return make


async def settle(app, pilot, *, ignore: tuple[str, ...] = ()) -> None:
    """Until nothing is left to do: every worker (but those named in `ignore`) has finished and
    the messages it posted have been handled, which may start new workers. No sleeping."""
    from textual.worker import WorkerFailed, WorkerState

    for _ in range(100):
        await pilot.pause()
        running = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.name not in ignore]
        if not running:
            await pilot.pause()  # what the last worker posted
            if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.name not in ignore for w in app.workers):
                return
            continue
        for worker in running:
            try:
                await worker.wait()
            except (WorkerFailed, Exception):
                pass  # the app reports worker errors itself; tests assert on what it shows
    raise AssertionError("the app did not settle")


@pytest.fixture(autouse=True)
def _no_debounce(monkeypatch):
    """Debounce timers fire at the next turn of the loop: tests wait on work, not on time."""
    from rerank_tui.tui import app as app_module

    monkeypatch.setattr(app_module, "INSTRUCTION_DEBOUNCE_S", 0.0)
    monkeypatch.setattr(app_module, "BM25_DEBOUNCE_S", 0.0)
