"""Snapshot tests (pytest-textual-snapshot): `pytest --snapshot-update` accepts a new look."""

from __future__ import annotations

import pytest

from rerank_tui.rerank.errors import ModelNotFoundError
from rerank_tui.tui import app as app_module
from tests.tui.conftest import settle


@pytest.fixture(autouse=True)
def _no_timings(monkeypatch):
    """Milliseconds differ run to run; the rest of the status line is compared."""

    def steady(stats):
        return f"rerank: {stats.pairs} pairs · <ms> · <pairs/s> · {stats.cache_hits} cache hits"

    monkeypatch.setattr(app_module, "format_stats", steady)


def test_main_screen_after_a_rerank(snap_compare, make_app):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press(*"DataLoader workers")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        app.query_one("#rerank-pane").table.focus()
        await pilot.press("3")
        await settle(app, pilot)
        app.clear_notifications()  # toasts name temporary paths

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_main_screen_wide(snap_compare, make_app):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press(*"数据加载 num_workers")
        await pilot.press("enter")
        await settle(app, pilot)
        app.clear_notifications()

    assert snap_compare(app, terminal_size=(140, 40), run_before=run_before)


def test_help_screen(snap_compare, make_app):
    app = make_app(reranker=None)

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 36), run_before=run_before)


def test_reranker_error_state(snap_compare, make_app):
    def broken():
        raise ModelNotFoundError(
            "model 'Qwen/Qwen3-Reranker-8B' is not downloaded and the hub cannot be reached",
            "download it on a machine with network (huggingface-cli download …) or pass --model /local/folder",
        )

    app = make_app(reranker=broken)

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press(*"useEffect cleanup")
        await settle(app, pilot)
        app.clear_notifications()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def _query_set_app(make_app):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)
        app.workspace.queries.add([("1", "DataLoader workers"), ("2", "worker seed"), ("3", "useEffect cleanup")])
        app.workspace.queries.set_note("worker seed", "seeds repeat across workers")
        first = app.index.index.search("worker seed", 1)[0].passage.id
        app.workspace.labels.set("worker seed", first, 3, "")
        app.workspace.labels.set("DataLoader workers", first, 1, "")
        app.workspace.labels.flush()
        await pilot.press("ctrl+e")
        await settle(app, pilot)
        app.clear_notifications()

    return app, run_before


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_query_set_screen(snap_compare, make_app, size):
    app, run_before = _query_set_app(make_app)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
