"""A list of one-line rows under a fixed header line, rendered a visible line at a time.

A ranked list is one line per item (a hit, a query), each already laid out in fixed-width
parts: it needs no cells, no column widths and no measuring. `RankedList` is a Line API
widget (a `ScrollView` with `render_line`, as Toolong's log view): the rows are keys and a
function that builds a row's `Text` when the row is drawn, so `set_rows` of 1000 rows costs
what the ~20 lines on screen cost. Each drawn row's `Strip` is cached until the rows change,
the width or the style changes (focus, theme), or the cursor or the mouse hover moves onto or
off it (only those lines are drawn again).

It keeps DataTable's look and behaviour where the app relied on them: the component classes
(`datatable--header`, `datatable--cursor`, `datatable--hover`, so a theme styles it the same),
a row cursor, up/down/page up/page down/home/end, a click moving the cursor and a click on the
cursor's row (or Enter) selecting it, and `RowHighlighted` / `RowSelected` messages that carry
the widget as `data_table` (and `control`) as DataTable's did.

Row text is data: it is rendered as the `Text` it is, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

LineOf = Callable[[int], Text]  # row index → the row's text (built when the row is drawn)
PADDING = 1  # blank cells each side of a row's text, as a DataTable cell has


class RankedList(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"datatable--header", "datatable--cursor", "datatable--hover"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
    ]

    # DataTable's look (its DEFAULT_CSS for the parts a row list has).
    DEFAULT_CSS = """
    RankedList {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        overflow-x: hidden;
        &:focus {
            background-tint: $foreground 5%;
            & > .datatable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .datatable--header {
                background-tint: $foreground 5%;
            }
        }
        & > .datatable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .datatable--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .datatable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .datatable--hover {
            background: $block-hover-background;
        }
    }
    """

    class RowHighlighted(Message):
        """The cursor moved to a row (also sent after `set_rows`, for the cursor's row)."""

        def __init__(self, ranked_list: RankedList, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.ranked_list = ranked_list
            self.data_table = ranked_list  # the name DataTable's messages used
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> RankedList:
            return self.ranked_list

    class RowSelected(Message):
        """Enter on the cursor's row, or a click on it."""

        def __init__(self, ranked_list: RankedList, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.ranked_list = ranked_list
            self.data_table = ranked_list
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> RankedList:
            return self.ranked_list

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None,
                 disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._line_of: LineOf = lambda index: Text()
        self._header = Text()
        self.cursor_row = 0
        self._hover_row = -1  # the row under the mouse, highlighted while the mouse moves
        self._strips: dict[int, Strip] = {}  # row index → its line as drawn
        self._header_strip: Strip | None = None
        self._drawn_for: tuple[int, Style] | None = None  # (width, base style) the strips were drawn for
        self._frame: tuple[int, Style] | None = None  # (width, style) while a frame is drawn
        self._generation = 0  # bumped by every `set_rows`
        self.rows_rendered = 0  # rows built and drawn (not from the cache), for tests and benches

    # -- rows ------------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[str]:
        """The rows' keys, in display order."""
        return list(self._keys)

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self.cursor_row] if 0 <= self.cursor_row < len(self._keys) else None

    @property
    def header(self) -> Text:
        return self._header

    def set_header(self, header: Text) -> None:
        if header != self._header:
            self._header = header
            self._header_strip = None
            if self.is_mounted:
                self.refresh_line(round(self.scroll_y))  # the header is drawn on the first line

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def line_text(self, index: int) -> Text:
        """Row `index`'s text as it is drawn (before cutting to the width)."""
        return self._line_of(index)

    def set_rows(self, keys: Sequence[str], line_of: LineOf, *, cursor_row: int = 0) -> None:
        """Replace the rows: `keys` in display order, `line_of(i)` builds row i's text when
        it is drawn. The cursor goes to `cursor_row`; RowHighlighted follows when there are
        rows, through `call_after_refresh` (after the frame that shows them, as a rule)."""
        self._keys = list(keys)
        self._index = {key: i for i, key in enumerate(self._keys)}
        self._line_of = line_of
        self._strips.clear()
        self._hover_row = -1
        self.cursor_row = min(max(cursor_row, 0), max(len(self._keys) - 1, 0))
        size = Size(self.virtual_size.width, len(self._keys) + 1)  # + the header line
        if size != self.virtual_size:
            self.virtual_size = size
        self._scroll_to_cursor()
        self.refresh()
        # RowHighlighted for the new rows once they are on screen: what it updates (the app's
        # preview, a layout) comes a frame after the rows, so a refill while typing shows at once.
        self._generation += 1
        if self.is_attached:
            self.call_after_refresh(self._post_highlighted_after, self._generation)

    def _post_highlighted_after(self, generation: int) -> None:
        if generation == self._generation:  # not replaced meanwhile (the newest rows' cursor only)
            self._post_highlighted()

    def refresh_rows(self, line_of: LineOf | None = None) -> None:
        """The rows' texts changed (labels, metrics): draw them again (those on screen, now)."""
        if line_of is not None:
            self._line_of = line_of
        self._strips.clear()
        self.refresh()

    # -- the cursor ------------------------------------------------------------------------------

    def move_cursor(self, *, row: int | None = None, animate: bool = False, scroll: bool = True) -> None:
        if row is None or not self._keys:
            return
        row = min(max(row, 0), len(self._keys) - 1)
        old, self.cursor_row = self.cursor_row, row
        if scroll:
            self._scroll_to_cursor(animate)
        if old != row:
            self._refresh_row(old)
            self._refresh_row(row)
            self._post_highlighted()

    def _post_highlighted(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowHighlighted(self, self.cursor_row, key))

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # less the header line

    def _scroll_to_cursor(self, animate: bool = False) -> None:
        height = self.scrollable_content_region.height - 1
        if height <= 0:  # not laid out yet: once it is
            if self.is_attached:
                self.call_after_refresh(self._scroll_to_cursor_later)
            return
        top = round(self.scroll_target_y if animate else self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=animate, force=True)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=animate, force=True)

    def _scroll_to_cursor_later(self) -> None:
        if self.scrollable_content_region.height > 1:
            self._scroll_to_cursor()

    def _refresh_row(self, index: int) -> None:
        if 0 <= index < len(self._keys):
            self._strips.pop(index, None)
            self.refresh_line(index + 1)

    def _set_hover(self, row: int) -> None:
        if row != self._hover_row:
            old, self._hover_row = self._hover_row, row
            self._refresh_row(old)
            self._refresh_row(row)

    def action_cursor_up(self) -> None:
        self._set_hover(-1)
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._set_hover(-1)
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self._set_hover(-1)
        page = self._page_height()
        self.scroll_to(y=self.scroll_y - page, animate=False, force=True)
        self.move_cursor(row=self.cursor_row - page)

    def action_page_down(self) -> None:
        self._set_hover(-1)
        page = self._page_height()
        self.scroll_to(y=self.scroll_y + page, animate=False, force=True)
        self.move_cursor(row=self.cursor_row + page)

    def action_first(self) -> None:
        self._set_hover(-1)
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self._set_hover(-1)
        self.move_cursor(row=len(self._keys) - 1)

    def action_select_cursor(self) -> None:
        self._set_hover(-1)
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, self.cursor_row, key))

    # -- the mouse -------------------------------------------------------------------------------

    def _row_at(self, event: events.MouseEvent) -> int:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:  # outside the rows, or on the header
            return -1
        index = offset.y - 1 + round(self.scroll_y)
        return index if index < len(self._keys) else -1

    async def _on_click(self, event: events.Click) -> None:
        row = self._row_at(event)
        if row < 0:
            return
        event.stop()
        if row == self.cursor_row:  # a click on the cursor's row (a double click) selects it
            self.action_select_cursor()
        else:
            self.move_cursor(row=row)

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._row_at(event))

    def _on_leave(self, event: events.Leave) -> None:
        self._set_hover(-1)

    # -- drawing ---------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._header_strip = None

    def _on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self._header_strip = None
        self._scroll_to_cursor()

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style and width once a frame (they walk the ancestors), not once a line.
        self._frame = (self.scrollable_content_region.width, self.rich_style)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        width, base = self._frame or (self.scrollable_content_region.width, self.rich_style)
        if self._drawn_for != (width, base):  # a new width or style (a theme): draw again
            self._drawn_for = (width, base)
            self._strips.clear()
            self._header_strip = None
        if y == 0:
            if self._header_strip is None:
                self._header_strip = self._draw(self._header, width, base + self.get_component_rich_style("datatable--header"), Style())
            return self._header_strip
        index = y - 1 + round(self.scroll_y)
        if index >= len(self._keys):
            return Strip.blank(width, base)
        strip = self._strips.get(index)
        if strip is None:
            strip = self._strips[index] = self._draw_row(index, width, base)
        return strip

    def _draw_row(self, index: int, width: int, base: Style) -> Strip:
        self.rows_rendered += 1
        component = Style()
        if index == self._hover_row:
            component += self.get_component_rich_style("datatable--hover")
        if index == self.cursor_row:
            component += self.get_component_rich_style("datatable--cursor")
        # The cursor's colour wins over the text's (DataTable's foreground priority "css").
        post = Style.from_color(color=component.color) if index == self.cursor_row else Style()
        return self._draw(self._line_of(index), width, base + component, post)

    def _draw(self, text: Text, width: int, style: Style, post: Style) -> Strip:
        if width <= 2 * PADDING:
            return Strip.blank(width, style)
        room = width - 2 * PADDING
        length = text.cell_len
        if length > room:
            text = text.copy()
            text.truncate(room, overflow="ellipsis")
            length = text.cell_len
        pad = Segment(" " * PADDING)
        segments = [pad, *text.render(self.app.console), Segment(" " * (width - length - PADDING))]
        return Strip(Segment.apply_style(segments, style, post or None), width).simplify()
