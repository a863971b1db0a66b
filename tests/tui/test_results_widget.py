"""The result panes' line widget (ResultsTable on RankedList) on its own, in a bare app:
only the visible lines are built and drawn, the cursor keys, clicks, `show`'s cursor rules,
label refreshes, the header, and document text drawn literally."""

from __future__ import annotations

from textual.app import App, ComposeResult

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.index import Hit
from rerank_tui.session.label_model import Label
from rerank_tui.session.ranking import RerankedHit
from rerank_tui.tui.widgets.ranked_list import RankedList
from rerank_tui.tui.widgets.results import ResultsTable, header_label

HOSTILE_TITLE = "notes.md › [bold red]WARNING[/] \x1b[31mred\x1b[0m [link=https://evil.example]x[/link]"


def hits(n: int, prefix: str = "doc") -> list[Hit]:
    return [Hit(i + 1, 10.0 - i * 0.01, i, Passage(f"{prefix}{i}", f"{prefix}{i}", f"{prefix}{i} › heading {i}", f"text {i}"))
            for i in range(n)]


def no_labels(hit: Hit):
    return None, hit.passage.text


class Host(App):
    CSS = "ResultsTable { height: 1fr; }"

    def __init__(self, reranked: bool = False) -> None:
        super().__init__()
        self.reranked = reranked
        self.highlighted: list[str] = []
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield ResultsTable(reranked=self.reranked)

    def on_ranked_list_row_highlighted(self, event: RankedList.RowHighlighted) -> None:
        assert event.data_table is event.control
        self.highlighted.append(event.row_key)

    def on_ranked_list_row_selected(self, event: RankedList.RowSelected) -> None:
        self.selected.append(event.row_key)


def screen_lines(app: App) -> list[str]:
    """The terminal as text, line by line."""
    table = app.query_one(ResultsTable)
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_show_of_1000_rows_builds_only_the_visible_lines():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResultsTable)
        built: list[int] = []
        line = table._line
        table._line = lambda i: built.append(i) or line(i)  # type: ignore[method-assign]
        table.show(hits(1000), no_labels)
        await pilot.pause()
        visible = table.size.height - 1  # less the header
        assert table.row_count == 1000 and table.virtual_size.height == 1001
        assert 0 < len(set(built)) <= visible and max(built) < visible
        assert len(table._strips) <= visible
        assert "doc0 › heading 0" not in screen_lines(app)[0]  # the header is not a row
        assert "heading 0" in screen_lines(app)[1]
        drawn = table.rows_rendered
        await pilot.press("down")  # the cursor moves: the two lines it left and reached, only
        await pilot.pause()
        assert table.rows_rendered - drawn == 2


async def test_cursor_keys_page_home_end_and_scrolling():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResultsTable)
        table.show(hits(100), no_labels)
        table.focus()
        await pilot.pause()
        page = table.size.height - 1
        await pilot.press("down", "down", "j")
        assert table.cursor_row == 3 and table.current_hit.passage.id == "doc3"
        await pilot.press("k")
        assert table.cursor_row == 2
        await pilot.press("pagedown")
        assert table.cursor_row == 2 + page
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 99 and table.scroll_y == table.max_scroll_y
        assert "heading 99" in screen_lines(app)[-1]
        await pilot.press("pageup")
        assert table.cursor_row == 99 - page
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("up")
        assert table.cursor_row == 0
        assert app.highlighted[-1] == "doc0"
        table.scroll_to(y=40, animate=False)  # the wheel scrolls like this: the lines follow, the cursor stays
        await pilot.pause()
        assert "heading 40" in screen_lines(app)[1] and table.cursor_row == 0
        assert "#" in screen_lines(app)[0]  # the header stays on top


async def test_click_moves_the_cursor_and_a_click_on_it_selects():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResultsTable)
        table.show(hits(10), no_labels)
        await pilot.pause()
        await pilot.click(ResultsTable, offset=(10, 4))  # line 4: the header, then rows 0–2
        await pilot.pause()
        assert table.cursor_row == 3 and app.selected == []
        await pilot.click(ResultsTable, offset=(10, 4))
        await pilot.pause()
        assert app.selected == ["doc3"]
        await pilot.click(ResultsTable, offset=(10, 0))  # the header: nothing
        await pilot.pause()
        assert table.cursor_row == 3 and app.selected == ["doc3"]
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == ["doc3", "doc3"]


async def test_keep_cursor_stays_on_the_passage_and_a_new_query_goes_to_rank_1():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResultsTable)
        rows = hits(50)
        table.show(rows, no_labels)
        table.move_cursor(row=30)
        await pilot.pause()
        assert table.current_hit.passage.id == "doc30"
        table.show(list(reversed(rows)), no_labels, keep_cursor=True)  # the same query, ranked again
        await pilot.pause()
        assert table.current_hit.passage.id == "doc30" and table.cursor_row == 19
        assert app.highlighted[-1] == "doc30"  # the app's preview follows the cursor
        table.show(rows[:10], no_labels, keep_cursor=True)  # the passage is gone: rank 1
        await pilot.pause()
        assert table.cursor_row == 0
        table.move_cursor(row=5)
        table.show(rows, no_labels, keep_cursor=False)  # a new query: rank 1
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0 and app.highlighted[-1] == "doc0"
        table.show([], no_labels)
        await pilot.pause()
        assert table.current_hit is None and table.row_count == 0


async def test_labels_refresh_and_the_header_renames():
    app = Host(reranked=True)
    async with app.run_test(size=(100, 24)) as pilot:
        table = app.query_one(ResultsTable)
        rows = [RerankedHit(h, 0.9 - i * 0.1, rank) for i, (rank, h) in enumerate(zip((2, 1, 3), hits(3)))]
        table.show(rows, no_labels)
        await pilot.pause()
        lines = screen_lines(app)
        assert lines[0].strip().startswith(header_label(table.parts).plain.strip()[:8])
        assert "p(yes)" in lines[0] and "▼1" in lines[1] and "▲1" in lines[2]
        labels = {"doc1": Label("doc1", 2)}
        table.refresh_labels(lambda hit: (labels.get(hit.passage.id), hit.passage.text))
        await pilot.pause()
        assert table.cell_parts(table.rows_shown["doc1"], lambda h: (labels.get(h.passage.id), ""))["lbl"].plain == "2"
        assert " 2   heading 1" in screen_lines(app)[2] and " ·   heading 0" in screen_lines(app)[1]
        table.rename_parts({"p(yes)": "score"})
        await pilot.pause()
        assert "score" in screen_lines(app)[0] and "p(yes)" not in screen_lines(app)[0]
        assert "score" in table.header.plain


async def test_document_text_is_drawn_literally():
    app = Host()
    async with app.run_test(size=(120, 24)) as pilot:
        table = app.query_one(ResultsTable)
        table.show([Hit(1, 1.0, 0, Passage("notes.md#1", "notes.md", HOSTILE_TITLE, "body"))], no_labels)
        await pilot.pause()
        line = screen_lines(app)[1]
        assert "[bold red]WARNING[/]" in line and "[link=https://evil.example]x[/link]" in line
        assert "\x1b" not in line
        strip = table.render_line(1)
        assert not any(segment.style and segment.style.link for segment in strip)


async def test_a_resize_draws_the_lines_again_at_the_new_width():
    app = Host()
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(ResultsTable)
        table.show(hits(30, prefix="a-rather-long-passage-name-"), no_labels)
        await pilot.pause()
        assert screen_lines(app)[1].rstrip().endswith("…")
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        await pilot.pause()
        assert all(table.render_line(y).cell_length == table.scrollable_content_region.width for y in range(5))
        assert not screen_lines(app)[1].rstrip().endswith("…")
        assert "heading 0" in screen_lines(app)[1]
