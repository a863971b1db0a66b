"""Save docs/screenshot.svg: the app's own SVG screenshot of the main screen on corpora/demo.

    .venv/bin/python scripts/screenshot.py [--model PATH]

Without --model it uses a tiny random-weight Qwen3 built on the spot (this project's build
machines have no model weights), so the p(yes) column in the picture is not a real model's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


async def shoot(model: str, out: Path) -> None:
    from rerank_tui.recall import open_index
    from rerank_tui.rerank import build_reranker
    from rerank_tui.session.workspace import Workspace
    from rerank_tui.tui.app import AppOptions, RerankApp

    with tempfile.TemporaryDirectory() as ws:
        app = RerankApp(
            AppOptions(
                source="corpora/demo",
                open_index=partial(open_index, REPO / "corpora" / "demo"),
                make_reranker=partial(build_reranker, "transformers", model, max_length=1024, cache=False),
                reranker_label=f"{Path(model).name} · transformers",
                workspace=Workspace.open(Path(ws)),
                rerank_depth=30,
            )
        )
        async with app.run_test(size=(120, 34)) as pilot:
            while app.index is None or app.reranker is None:
                await pilot.pause(0.1)
            await pilot.press(*"why does the DataLoader hang in Jupyter")
            await pilot.pause(0.3)
            await pilot.press("enter")
            while not app.search.ranking:
                await pilot.pause(0.1)
            app.query_one("#rerank-pane").table.focus()
            await pilot.press("3", "1")
            await pilot.pause(0.2)
            app.clear_notifications()
            await pilot.pause(0.1)
            app.save_screenshot(str(out.name), str(out.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.svg")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("RERANK_TUI_CACHE_DIR", f"{tmp}/cache")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        model = args.model
        if model is None:
            from tests.support.tiny_qwen3 import build_tiny_qwen3

            model = str(build_tiny_qwen3(Path(tmp) / "tiny-random-qwen3", seed=0))
        asyncio.run(shoot(model, args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
