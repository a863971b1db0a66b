"""A result pane: a title, a table of hits, and a message line for states and errors.

Each row is one pre-formatted cell (rank, movement, score, label, title in fixed-width
parts): a DataTable renders and measures every cell separately, and one cell per row keeps
a 100-row refresh within a frame budget (see bench/tui.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from rerank_tui.recall.hit import Hit
from rerank_tui.session.labels import DEFAULT_SCALE, Label
from rerank_tui.session.ranking import RerankedHit, movement, score_text
from rerank_tui.tui.bindings import RESULTS_BINDINGS
from rerank_tui.tui.render import label_badge, title_cell

LabelOf = Callable[[Hit], tuple[Label | None, str]]  # (label, current passage text)
ROW = "row"  # the one column's key

# (name, width, justify) of each part of a row, before the title.
BM25_PARTS = (("#", 3, "right"), ("BM25", 7, "right"), ("lbl", 4, "center"))
RERANK_PARTS = (("#", 3, "right"), ("Δ", 5, "center"), ("p(yes)", 7, "right"), ("lbl", 4, "center"))


def pad_cell(text: Text, width: int, justify: str) -> Text:
    """`text` cut or padded to `width` cells (one fixed-width part of a one-cell row)."""
    text = text.copy()
    text.truncate(width, overflow="ellipsis")
    gap = width - text.cell_len
    if justify == "right":
        return Text(" " * gap) + text
    if justify == "center":
        return Text(" " * (gap // 2)) + text + Text(" " * (gap - gap // 2))
    return text + Text(" " * gap)


def header_label(parts, names: dict[str, str] | None = None) -> Text:
    """The one column's header; `names` renames parts ("BM25" → "dense", "p(yes)" → "score")."""
    label = Text(style="bold")
    for name, width, justify in parts:
        label.append_text(pad_cell(Text((names or {}).get(name, name)), width, justify))
        label.append(" ")
    label.append("title")
    return label


class ResultsTable(DataTable):
    # Textual types BINDINGS as an invariant list[BindingType]; ours are all Binding, which it only reads.
    BINDINGS = cast("list[BindingType]", RESULTS_BINDINGS)

    def __init__(self, *, reranked: bool, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.reranked = reranked
        self.parts = RERANK_PARTS if reranked else BM25_PARTS
        self.hits: dict[str, Hit] = {}
        self.rows_shown: dict[str, Hit | RerankedHit] = {}
        self._generation = 0  # bumped by every `show`; late additions of older rows are dropped
        self.shown_for: str | None = None  # the query the rows are for (set by the app)
        self.scale = DEFAULT_SCALE  # the workspace's rating scale: colours the label column

    def on_mount(self) -> None:
        self.add_column(header_label(self.parts), key=ROW)

    def rename_parts(self, names: dict[str, str]) -> None:
        """Say what a score column holds: the recall source's score ("dense" cosines under
        "BM25"'s place) or a plain reranker's own score instead of p(yes)."""
        label = header_label(self.parts, names)
        column = self.columns.get(ROW)  # type: ignore[call-overload]  # keys are ColumnKey; a str compares equal
        if column is not None and column.label != label:
            column.label = label
            self._clear_caches()  # the header is cached with the rows
            self.refresh()

    @property
    def current_hit(self) -> Hit | None:
        if self.row_count == 0:
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return self.hits.get(str(row_key.value))

    def cell_parts(self, row: Hit | RerankedHit, label_of: LabelOf) -> dict[str, Text]:
        """The displayed parts of a row, by column name (also what tests read)."""
        hit = row.hit if isinstance(row, RerankedHit) else row
        label, text = label_of(hit)
        parts = {"#": Text(str(row.rank))}
        if isinstance(row, RerankedHit):
            style = "green" if row.moved > 0 else "red" if row.moved < 0 else "dim"
            parts["Δ"] = Text(movement(row.moved), style=style)
            parts["p(yes)"] = Text(score_text(row.score))  # "–": a cascade left it unscored
        else:
            parts["BM25"] = Text(f"{hit.score:.2f}")
        parts["lbl"] = label_badge(label, text, self.scale)
        parts["title"] = title_cell(hit.passage.title, hit.passage.id)
        return parts

    def _cell(self, row: Hit | RerankedHit, label_of: LabelOf) -> Text:
        parts = self.cell_parts(row, label_of)
        cell = Text(no_wrap=True, overflow="ellipsis")
        for name, width, justify in self.parts:
            cell.append_text(pad_cell(parts[name], width, justify))
            cell.append(" ")
        cell.append_text(parts["title"])
        return cell

    def show(self, rows: list[Hit] | list[RerankedHit], label_of: LabelOf, *, keep_cursor: bool = True) -> None:
        """Replace the rows. With `keep_cursor` (the same query, ranked again) the cursor stays
        on the same passage when it is still there; otherwise (a new query) it goes to rank 1,
        so the next label key labels what the user sees first.

        Rows that fit on screen are added now, the rest after the next frame, so the first
        frame never waits for rows below it.
        """
        current = self.current_hit if keep_cursor else None
        keep = current.passage.id if current else None
        self._generation += 1
        self.clear()
        self.hits = {}
        self.rows_shown = {}
        first = max(self.size.height, 20) + 5
        self._add_rows(rows[:first], label_of)
        if len(rows) > first:
            self.call_after_refresh(self._add_later, self._generation, rows[first:], label_of, keep)
        self._restore_cursor(keep)

    def _add_later(self, generation: int, rows, label_of: LabelOf, keep: str | None) -> None:
        if generation == self._generation:  # not replaced meanwhile
            self._add_rows(rows, label_of)
            self._restore_cursor(keep)

    def _restore_cursor(self, keep: str | None) -> None:
        current = self.current_hit
        if keep in self.hits and current is not None and current.passage.id != keep:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def _add_rows(self, rows, label_of: LabelOf) -> None:
        for row in rows:
            hit = row.hit if isinstance(row, RerankedHit) else row
            self.hits[hit.passage.id] = hit
            self.rows_shown[hit.passage.id] = row
            self.add_row(self._cell(row, label_of), key=hit.passage.id)

    def refresh_labels(self, label_of: LabelOf) -> None:
        for pid, row in self.rows_shown.items():
            self.update_cell(pid, ROW, self._cell(row, label_of))


class ResultsPane(Vertical):
    """Title + message + table. The message shows states ("reranking…") and errors."""

    def __init__(self, title: str, *, reranked: bool, id: str) -> None:
        super().__init__(id=id, classes="pane")
        self._title = title
        self._reranked = reranked
        self._message: str | Text = ""
        self._error = False

    def compose(self) -> ComposeResult:
        yield Static(self._title, classes="pane-title", markup=False)
        yield Static("", classes="pane-message", markup=False)
        yield ResultsTable(reranked=self._reranked)

    @property
    def table(self) -> ResultsTable:
        return self.query_one(ResultsTable)

    def set_title(self, title: str) -> None:
        if title != self._title:  # an update costs a layout pass: skip it when nothing changed
            self._title = title
            self.query_one(".pane-title", Static).update(title)

    def set_message(self, message: str | Text = "", *, error: bool = False) -> None:
        if message == self._message and error == self._error:
            return
        self._message, self._error = message, error
        widget = self.query_one(".pane-message", Static)
        widget.update(message)
        widget.set_class(bool(message), "visible")
        widget.set_class(error, "error")
