"""The label keys follow the workspace's rating scale (labels.yaml `scale:`), in the app."""

from __future__ import annotations

from textual.notifications import Notify

from rerank_tui.session.labels import LabelStore
from rerank_tui.tui.widgets.results import ResultsPane
from tests.tui.conftest import settle

QUERY = "DataLoader"


def write_scale(workspace_dir, scale: str) -> None:
    """A workspace whose labels.yaml sets `scale` and has no labels yet."""
    workspace_dir.mkdir(parents=True, exist_ok=True)
    (workspace_dir / "labels.yaml").write_text(f"version: 1\nscale: {scale}\nqueries: {{}}\n", encoding="utf-8")


async def show_query(app, pilot) -> ResultsPane:
    app.query_one("#query").focus()
    await pilot.press(*QUERY)
    await settle(app, pilot)
    bm25 = app.query_one("#bm25-pane", ResultsPane)
    assert len(bm25.table.hits) >= 2
    bm25.table.focus()
    await pilot.pause()
    return bm25


def lbl(app, table, doc: str) -> str:
    part = table.cell_parts(table.rows_shown[doc], app.label_of)["lbl"].plain
    assert part in table.row_text(doc).plain
    return part


async def test_on_a_one_to_four_scale_zero_is_refused_and_four_and_one_label(make_app, workspace_dir):
    write_scale(workspace_dir, "{1: not, 2: partly, 3: mostly, 4: fully}")
    app = make_app(reranker=None)
    messages = []
    async with app.run_test(size=(100, 30), notifications=True, message_hook=messages.append) as pilot:
        await settle(app, pilot)
        assert (app.workspace.labels.scale.low, app.workspace.labels.scale.high) == (1, 4)
        table = (await show_query(app, pilot)).table
        first, second = list(table.hits)[:2]
        await pilot.press("0")  # off the scale: said so, nothing labeled, the cursor stays
        await pilot.pause()
        refusals = [m.notification.message for m in messages if isinstance(m, Notify)]
        assert any("0 is not on this workspace's scale 1–4" in text for text in refusals), refusals
        assert app.workspace.labels.for_query(QUERY) == {}
        assert table.current_hit.passage.id == first
        await pilot.press("4")  # labels the first row, moves to the next
        await pilot.press("1")
        labels = app.workspace.labels
        assert labels.get(QUERY, first).grade == 4 and labels.get(QUERY, second).grade == 1
        assert lbl(app, table, first) == "4" and lbl(app, table, second) == "1"
        labels.flush()
        stored = LabelStore.load(workspace_dir / "labels.yaml")
        assert stored.get(QUERY, first).grade == 4 and stored.get(QUERY, second).grade == 1
        assert (stored.scale.low, stored.scale.high) == (1, 4)


async def test_on_a_zero_to_ten_scale_seven_labels_seven(make_app, workspace_dir):
    write_scale(workspace_dir, "0-10")
    app = make_app(reranker=None)
    messages = []
    async with app.run_test(size=(100, 30), notifications=True, message_hook=messages.append) as pilot:
        await settle(app, pilot)
        assert (app.workspace.labels.scale.low, app.workspace.labels.scale.high) == (0, 10)
        table = (await show_query(app, pilot)).table
        first = list(table.hits)[0]
        await pilot.press("7")
        assert app.workspace.labels.get(QUERY, first).grade == 7
        assert lbl(app, table, first) == "7"
        assert not [m for m in messages if isinstance(m, Notify) and m.notification.severity == "error"]
        app.workspace.labels.flush()
        assert LabelStore.load(workspace_dir / "labels.yaml").get(QUERY, first).grade == 7
