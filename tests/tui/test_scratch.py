"""The scratch screen: pasted documents scored as given, with the pair's prompt."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static, TextArea

from rerank_tui.tui.screens.scratch import ScratchScreen, documents_of
from tests.tui.conftest import settle

DOCS = ["DataLoader workers hang in Jupyter.", "useEffect cleanup runs before the next effect.", "[bold]markup[/] stays text"]


async def test_pasted_documents_are_scored_as_given_with_the_prompt_shown(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one("#query").focus()
        await pilot.press(*"dataloader hangs")
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ScratchScreen) and screen.query_one("#scratch-query").value == "dataloader hangs"
        screen.query_one("#scratch-docs", TextArea).text = "\n\n".join(DOCS)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        # The model's own scores of the same documents, exactly as given (no title added).
        expected = app.reranker.score("dataloader hangs", DOCS, app.search.instruction)
        assert sorted(d.index for d in screen.scored) == [0, 1, 2]
        assert [d.score for d in screen.scored] == sorted(expected, reverse=True)
        assert all(d.document == DOCS[d.index] for d in screen.scored)
        assert screen.query_one(DataTable).row_count == 3
        shown = screen.query_one("#scratch-prompt-text", Static).render().plain
        top = screen.scored[0]
        assert f"prompt of document {top.index}:" in shown and "tokens" in shown and "nothing cut" in shown
        assert DOCS[top.index] in shown and "<Document>:" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, ScratchScreen)


def test_documents_are_paragraphs_or_a_file(tmp_path):
    (tmp_path / "more.jsonl").write_text('{"text": "from a file"}\n')
    text = "first line\nsame document\n\n\nsecond\n@" + str(tmp_path / "more.jsonl") + "\n"
    assert documents_of(text) == ["first line\nsame document", "second", "from a file"]
    with pytest.raises(OSError):
        documents_of("@" + str(tmp_path / "missing.txt"))
