"""Files changing while the app runs: the watcher notices, the index refreshes in a worker
(only the changed files are read again), the header says so and the shown query is searched
again. Real file-system events (watchfiles), a real index."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual.widgets import Static

from rerank_tui.cli.launch import corpus_watching
from tests.tui.conftest import settle
from tests.tui.test_app import row_ids

pytestmark = pytest.mark.slow

WATCHER = ("watch",)  # runs as long as the app: never settles


async def until(pilot, predicate, what: str, *, touch=None, timeout: float = 60.0) -> None:
    """Wait for `predicate`; `touch` redoes the change now and then (a watcher registers a
    moment after it starts, and a change made before that is not reported)."""
    deadline = time.monotonic() + timeout
    next_touch = time.monotonic() + 3
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if touch is not None and time.monotonic() > next_touch:
            touch()
            next_touch = time.monotonic() + 3
        await pilot.pause(0.05)


def header(app) -> str:
    return app.query_one("#header", Static).render().plain


async def search(app, pilot, text: str) -> None:
    app.query_one("#query").value = text
    await settle(app, pilot, ignore=WATCHER)


async def test_adding_and_deleting_a_file_refreshes_the_index_and_the_pane(make_app, corpus_dir):
    app = make_app(None, **corpus_watching(corpus_dir))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot, ignore=WATCHER)
        assert any(w.name == "watch" and w.is_running for w in app.workers)
        before = len(app.index.index)
        await search(app, pilot, "zebra stripes")
        assert row_ids(app, "bm25") == []

        new = corpus_dir / "zebra.md"

        def add():
            new.write_text("# Zebra\n\nA zebra has stripes.\n", encoding="utf-8")

        add()
        await until(pilot, lambda: app.index_state.startswith("refreshed"), "the refresh after adding", touch=add)
        await settle(app, pilot, ignore=WATCHER)
        assert len(app.index.index) == before + 1
        assert "refreshed: 1 file: 1 added · +1 −0 passages" in header(app)
        assert row_ids(app, "bm25") == ["zebra.md#1"]  # the shown query, searched again

        app.index_state = "ready"
        new.unlink()
        await until(pilot, lambda: app.index_state.startswith("refreshed"), "the refresh after deleting")
        await settle(app, pilot, ignore=WATCHER)
        assert len(app.index.index) == before
        assert "1 removed" in header(app)
        assert row_ids(app, "bm25") == []


async def test_a_changed_file_keeps_labels_and_the_next_start_reopens_the_refresh(make_app, corpus_dir):
    app = make_app(None, **corpus_watching(corpus_dir))
    target = corpus_dir / "react.md"
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot, ignore=WATCHER)

        def change():
            target.write_text("# Hooks\n\nuseEffect cleanup runs before the next effect; useMemo caches a value.\n")

        change()
        await until(pilot, lambda: app.index_state.startswith("refreshed"), "the refresh after a change", touch=change)
        await settle(app, pilot, ignore=WATCHER)
        await search(app, pilot, "useMemo")
        assert row_ids(app, "bm25") == ["react.md#1"]
        refreshed = app.index
    # the refresh was written to the cache: a new app opens it without building
    again = make_app(None)
    async with again.run_test(size=(160, 40)) as pilot:
        await settle(again, pilot)
        assert again.index is not None and not again.index.built
        assert len(again.index.index) == len(refreshed.index)
        await search(again, pilot, "useMemo")
        assert row_ids(again, "bm25") == ["react.md#1"]
    await asyncio.sleep(0)


async def test_after_a_refresh_dense_recall_embeds_only_the_changed_passages(make_app, corpus_dir, tmp_path_factory):
    from rerank_tui.session.recall_choice import RecallChoice
    from tests.support.tiny_bert import build_tiny_bert
    from tests.tui.test_recall_source import dense_factory

    tiny_bert = build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), seed=0)
    app = make_app(None, recall=RecallChoice.of(embedder_name="tiny-bert", initial="dense"),
                   make_dense=dense_factory(tiny_bert), **corpus_watching(corpus_dir))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot, ignore=WATCHER)
        await until(pilot, lambda: app.recall.dense is not None, "the first embedding")
        first = app.recall.dense
        passages = len(app.index.index)
        target = corpus_dir / "react.md"

        def change():
            target.write_text("# Hooks\n\nuseEffect cleanup runs before the next effect; useMemo caches a value.\n")

        change()
        await until(pilot, lambda: app.index_state.startswith("refreshed"), "the refresh", touch=change)
        await until(pilot, lambda: app.recall.dense not in (None, first), "the dense vectors of the new index")
        await settle(app, pilot, ignore=WATCHER)
        vectors = app.recall.dense.vectors
        assert vectors.embedded == 1 and vectors.reused == passages - 1  # only the changed passage
        assert len(app.recall.dense.passages) == len(app.index.index.passages)
        await search(app, pilot, "useMemo")
        assert "react.md#1" in row_ids(app, "bm25")  # dense recall over the new passages
