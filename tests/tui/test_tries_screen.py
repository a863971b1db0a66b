"""The tries board in the app: stable try names, aligned columns, the full instruction, and
BM25's numbers when the reranker is off or still loading."""

from __future__ import annotations

import threading
from itertools import count

import pytest
from textual.widgets import DataTable, Static

from rerank_tui.rerank.errors import ModelNotFoundError
from rerank_tui.session import tries as tries_module
from rerank_tui.session.scoreboard import BOARD_METRICS, bm25_means
from rerank_tui.session.tries import TryLog
from rerank_tui.tui.screens.tries import BM25_KEY, TriesScreen
from tests.tui.conftest import settle

HOSTILE_INSTRUCTION = (
    "[bold red]Judge[/] strictly \x1b[31mred\x1b[0m: only passages that say how many DataLoader workers "
    "to use on a laptop, with the numbers; " + "everything else is irrelevant, " * 8 + "the end"
)


async def label_two_hits(app, pilot, query: str = "DataLoader workers") -> None:
    app.query_one("#query").focus()
    await pilot.press(*query)
    await settle(app, pilot)
    app.query_one("#bm25-pane").table.focus()
    await pilot.press("3", "0")
    await settle(app, pilot)


async def open_tries(app, pilot, **settle_options) -> TriesScreen:
    await pilot.press("ctrl+b")
    await settle(app, pilot, **settle_options)
    assert isinstance(app.screen, TriesScreen)
    return app.screen


def status(screen) -> str:
    return screen.query_one("#tries-status", Static).render().plain


def lines(table: DataTable) -> list[str]:
    """The table as it is drawn: the header, then one line per row."""
    return [table.render_line(y).text for y in range(table.row_count + 1)]


def row_keys(table: DataTable) -> list[str]:
    return [table.coordinate_to_cell_key((row, 0)).row_key.value for row in range(table.row_count)]


async def test_without_the_reranker_the_board_shows_bm25_and_says_the_reranker_is_off(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await label_two_hits(app, pilot)
        screen = await open_tries(app, pilot)
        assert status(screen) == "the reranker is off (--no-rerank): BM25 only"
        expected = bm25_means(app.index.index, app.workspace.labels)
        assert screen.bm25 == expected and set(expected) == set(BOARD_METRICS)
        table = screen.query_one("#tries-table", DataTable)
        assert row_keys(table)[0] == BM25_KEY
        bm25_line = lines(table)[1]
        assert "bm25" in bm25_line and all(f"{expected[m]:.3f}" in bm25_line for m in BOARD_METRICS)
        assert "…" not in "".join(lines(table))  # nothing is on its way: no "pending" marks


async def test_while_the_model_loads_the_board_shows_bm25_and_waits(make_app):
    release = threading.Event()

    def held():
        release.wait(30)  # the model loads until the test lets it
        raise ModelNotFoundError("never mind")

    app = make_app(reranker=held)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot, ignore=("model",))
        app.query_one("#query").focus()
        await pilot.press(*"DataLoader workers")
        await settle(app, pilot, ignore=("model",))
        app.query_one("#bm25-pane").table.focus()
        await pilot.press("3")
        screen = await open_tries(app, pilot, ignore=("model",))
        assert app.reranker_state == "loading"
        assert status(screen) == "the reranker is not ready: metrics will show once it is"
        assert screen.bm25 == bm25_means(app.index.index, app.workspace.labels)
        assert row_keys(screen.query_one("#tries-table", DataTable))[0] == BM25_KEY
        release.set()
        await pilot.press("escape")
        await settle(app, pilot)


async def test_metric_values_line_up_under_their_headers(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await label_two_hits(app, pilot)
        screen = await open_tries(app, pilot)
        assert status(screen).startswith("best first by nDCG@10")
        table = screen.query_one("#tries-table", DataTable)
        header, *rows = lines(table)
        assert len(rows) == 1 + len(screen.entries)  # bm25, then every preset and try
        values = [screen.bm25] + [e.means for e in screen.entries]
        for metric in BOARD_METRICS + ("uses",):
            end = header.index(metric) + len(metric)  # right edge of the header
            for line, means, entry in zip(rows, values, [None, *screen.entries]):
                if metric == "uses":
                    shown = str(entry.uses or "") if entry else ""
                    assert line[end - len(shown):end] == shown and line[end - len(shown) - 1] == " ", (metric, line)
                    continue
                assert line[end - 5:end] == f"{means[metric]:.3f}", (metric, header, line)
        for line, entry in zip(rows[1:], screen.entries):
            assert f" {entry.name} " in line  # names are not cut: "domain-expert" fits


@pytest.fixture
def clock(monkeypatch):
    """Each use of a try one second after the previous one."""
    ticks = count()
    monkeypatch.setattr(tries_module, "utc_now", lambda: f"2026-01-01T00:00:{next(ticks):02d}Z")


async def test_try_names_stay_when_a_try_is_used_again_and_the_board_is_reopened(make_app, workspace_dir, clock):
    log = TryLog.load(workspace_dir / "tries.yaml")
    for instruction in ("wording one", "wording two", "wording three"):
        log.record(instruction)
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_tries(app, pilot)
        first = {e.instruction: e.name for e in screen.entries if e.source == "try"}
        assert first == {"wording one": "try 1", "wording two": "try 2", "wording three": "try 3"}
        await pilot.press("escape")
        await pilot.pause()
        app.workspace.tries.record("wording one")  # used again: listed first among tries now
        screen = await open_tries(app, pilot)
        tries = [e for e in screen.entries if e.source == "try"]
        assert {e.instruction: e.name for e in tries} == first
        assert [e.name for e in tries][0] == "try 1"


async def test_the_highlighted_instruction_is_shown_in_full_and_literally(make_app, workspace_dir):
    TryLog.load(workspace_dir / "tries.yaml").record(HOSTILE_INSTRUCTION)
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_tries(app, pilot)
        table = screen.query_one("#tries-table", DataTable)
        shown = screen.query_one("#tries-instruction", Static)
        assert app.workspace.presets.get("default") in shown.render().plain  # the first row, at once
        table.move_cursor(row=row_keys(table).index("try 1"))
        await pilot.pause()
        text = shown.render().plain
        assert "[bold red]Judge[/] strictly" in text and text.endswith("the end")  # all of it, markup as typed
        assert "\x1b" not in text and "red: only passages" in text
        assert len(HOSTILE_INSTRUCTION) > 200  # longer than the table's column shows
