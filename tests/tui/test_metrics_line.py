"""The live metrics line never cuts a number: entries that do not fit are dropped and counted."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Static

from rerank_tui.session.query_metrics import LIVE_METRICS, QueryMetrics
from rerank_tui.tui.metrics_line import HINTS, format_metrics
from tests.tui.conftest import settle

NUMBER = r"[+-]?\d?\.\d{3}"
ENTRY = re.compile(rf"(?P<name>[A-Za-z]+@\d+) (?P<bm25>{NUMBER})(?:→(?P<after>{NUMBER})\((?P<delta>[+-]\d?\.\d{{3}})\))?")
LINE = re.compile(rf"(?P<count>\d+) (?:labeled|lab\.)(?P<entries>(?: +{ENTRY.pattern})*)(?: +\+(?P<more>\d+) more)?")

BM25 = dict(zip(LIVE_METRICS, (0.412, 0.287, 0.5, 0.6, 0.431, 0.875)))
RERANKED = dict(zip(LIVE_METRICS, (0.655, 0.301, 1.0, 0.6, 0.398, 0.875)))


def parse(line: str, metrics: QueryMetrics) -> tuple[list[str], int]:
    """The metric names shown, in order, and the `+N more` count; asserts that every entry is
    whole: `name value→value(+delta)` with the metric's own numbers, none cut."""
    match = LINE.fullmatch(line)
    assert match, f"not a whole metrics line: {line!r}"
    assert int(match["count"]) == metrics.labeled
    names = []
    for entry in ENTRY.finditer(match["entries"]):
        name = entry["name"]
        names.append(name)
        assert float(entry["bm25"]) == pytest.approx(metrics.bm25[name], abs=5e-4)
        if metrics.reranked is None:
            assert entry["after"] is None
        else:
            after = metrics.reranked[name]
            assert float(entry["after"]) == pytest.approx(after, abs=5e-4)
            assert float(entry["delta"]) == pytest.approx(after - metrics.bm25[name], abs=5e-4)
    more = int(match["more"] or 0)
    return names, more


@pytest.mark.parametrize("width", [80, 120, 158, 160])
@pytest.mark.parametrize("reranked", [True, False], ids=["reranked", "bm25"])
def test_every_number_shown_is_whole_and_in_order(width, reranked):
    metrics = QueryMetrics(12, BM25, RERANKED if reranked else None)
    line = format_metrics(metrics, width)
    assert line.cell_len <= width
    names, more = parse(line.plain, metrics)
    assert names == list(LIVE_METRICS[: len(names)])
    assert names, "at least one metric fits at these widths"
    if more:
        assert len(names) + more == len(LIVE_METRICS)


def test_all_metrics_fit_at_160_columns():
    """The #metrics Static is 158 cells wide in a 160-column terminal (padding 1 each side)."""
    metrics = QueryMetrics(12, BM25, RERANKED)
    names, more = parse(format_metrics(metrics, 158).plain, metrics)
    assert names == list(LIVE_METRICS) and more == 0


def test_dropped_metrics_are_counted():
    metrics = QueryMetrics(12, BM25, RERANKED)
    line = format_metrics(metrics, 78)
    names, more = parse(line.plain, metrics)
    assert names == ["nDCG@10", "AP@10"] and more == 4
    assert line.plain.endswith("  +4 more")
    more_span = [s for s in line.spans if line.plain[s.start : s.end].endswith("+4 more")]
    assert more_span and more_span[0].style == "dim"


@pytest.mark.parametrize("labeled", [1, 12, 345])
def test_the_count_of_dropped_metrics_shows_when_there_is_room(labeled):
    metrics = QueryMetrics(labeled, BM25, RERANKED)
    for width in range(20, 200):
        line = format_metrics(metrics, width)
        assert line.cell_len <= width
        names, more = parse(line.plain, metrics)
        left_out = len(LIVE_METRICS) - len(names)
        assert more in (0, left_out)
        if left_out and not more:  # no room for it, after the line's gap
            gap = "  " if "  " in line.plain else " "
            assert line.cell_len + len(f"{gap}+{left_out} more") > width


def test_abbreviates_only_when_that_shows_more():
    metrics = QueryMetrics(1, BM25, RERANKED)
    # 120 columns: the full form and the abbreviated ones show the same four metrics.
    full = format_metrics(metrics, 118).plain
    assert "nDCG@10 0.412→0.655(+0.243)  AP@10" in full
    # 158 columns: dropping the leading zeros shows all six.
    short = format_metrics(metrics, 158).plain
    assert "nDCG@10 .412→.655(+.243)" in short and "R@100" in short


def test_no_width_shows_everything_in_full():
    metrics = QueryMetrics(2, BM25, RERANKED)
    line = format_metrics(metrics).plain
    assert line.startswith("2 labeled  nDCG@10 0.412→0.655(+0.243)  AP@10 0.287→0.301(+0.014)")
    names, more = parse(line, metrics)
    assert names == list(LIVE_METRICS) and more == 0


def test_too_narrow_for_any_metric():
    metrics = QueryMetrics(2, BM25, RERANKED)
    line = format_metrics(metrics, 20)
    assert line.cell_len <= 20
    names, more = parse(line.plain, metrics)
    assert names == [] and more == len(LIVE_METRICS)
    for width in range(0, 12):
        assert format_metrics(metrics, width).cell_len <= width


@pytest.mark.parametrize("width", [None, 200, 160, 120, 80, 40, 20, 10, 3, 0])
def test_hint_when_nothing_is_labeled(width):
    hint = format_metrics(None, width)
    if width is None or width >= len(HINTS[0]):
        assert hint.plain == HINTS[0]
    else:
        assert hint.cell_len <= width
    if width is None or width >= 20:
        assert "label hits" in hint.plain and "…" not in hint.plain
    assert hint.style == "dim"


def rendered_line(app) -> str:
    """What the terminal shows in the #metrics Static (padding stripped)."""
    static = app.query_one("#metrics", Static)
    return static.render_line(0).text.strip()


async def test_the_app_metrics_line_has_no_cut_number_at_160_columns(make_app):
    from rerank_tui.session.query_metrics import query_metrics

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        app.query_one("#query").focus()
        await pilot.press(*"DataLoader workers")
        await settle(app, pilot)
        app.query_one("#bm25-pane").table.focus()
        await pilot.press("down", "3", "down", "down", "1")
        await settle(app, pilot)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        labels = app.workspace.labels.for_query("DataLoader workers")
        metrics = query_metrics(labels, app.search.hits, app.search.current_ranking())
        assert metrics is not None and metrics.reranked is not None
        line = rendered_line(app)
        assert "…" not in line
        assert parse(line, metrics) == (list(LIVE_METRICS), 0)  # all of them fit at 160 columns

        await pilot.resize_terminal(80, 24)  # refitted to the narrower line
        await settle(app, pilot)
        line = rendered_line(app)
        assert "…" not in line
        names, more = parse(line, metrics)
        assert 0 < len(names) < len(LIVE_METRICS) and more in (0, len(LIVE_METRICS) - len(names))
        assert len(line) <= 78

        await pilot.press("f1")  # a resize while another screen is on top
        await pilot.pause()
        await pilot.resize_terminal(160, 48)
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        line = rendered_line(app)
        assert "…" not in line
        assert parse(line, metrics) == (list(LIVE_METRICS), 0)
