"""A result pane: a title, a list of hits, and a message line for states and errors.

Each row is one pre-formatted line (rank, movement, score, label, title in fixed-width
parts) in a `RankedList`, which builds and draws only the lines on screen: a keystroke's
refill costs the visible rows, not the 100 hits (see bench/tui.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Static

from rerank_tui.recall.hit import Hit
from rerank_tui.session.labels import DEFAULT_SCALE, Label
from rerank_tui.session.ranking import RerankedHit, movement, score_text
from rerank_tui.tui.bindings import RESULTS_BINDINGS
from rerank_tui.tui.render import label_badge, title_cell
from rerank_tui.tui.widgets.ranked_list import RankedList

LabelOf = Callable[[Hit], tuple[Label | None, str]]  # (label, current passage text)

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


def append_part(line: Text, part: Text, width: int, justify: str) -> None:
    """Append `part` cut or padded to `width` cells, then one blank: `pad_cell` without its
    copies (a part that fits is appended as it is), for lines built while they are drawn."""
    if part.cell_len > width:
        part = part.copy()
        part.truncate(width, overflow="ellipsis")
    gap = width - part.cell_len
    left = gap if justify == "right" else gap // 2 if justify == "center" else 0
    if left:
        line.append(" " * left)
    line.append_text(part)
    line.append(" " * (gap - left + 1))


def header_label(parts, names: dict[str, str] | None = None) -> Text:
    """The one column's header; `names` renames parts ("BM25" → "dense", "p(yes)" → "score")."""
    label = Text(style="bold")
    for name, width, justify in parts:
        label.append_text(pad_cell(Text((names or {}).get(name, name)), width, justify))
        label.append(" ")
    label.append("title")
    return label


class ResultsTable(RankedList):
    """The hits of one pane, one line each, drawn only while on screen (see `RankedList`)."""

    # Textual types BINDINGS as an invariant list[BindingType]; ours are all Binding, which it only reads.
    BINDINGS = cast("list[BindingType]", RESULTS_BINDINGS)

    def __init__(self, *, reranked: bool, **kwargs) -> None:
        super().__init__(**kwargs)
        self.reranked = reranked
        self.parts = RERANK_PARTS if reranked else BM25_PARTS
        self.hits: dict[str, Hit] = {}
        self.rows_shown: dict[str, Hit | RerankedHit] = {}
        self._rows: list[Hit | RerankedHit] = []
        self._label_of: LabelOf | None = None
        self.shown_for: str | None = None  # the query the rows are for (set by the app)
        self.scale = DEFAULT_SCALE  # the workspace's rating scale: colours the label column
        self.set_header(header_label(self.parts))

    def rename_parts(self, names: dict[str, str]) -> None:
        """Say what a score column holds: the recall source's score ("dense" cosines under
        "BM25"'s place) or a plain reranker's own score instead of p(yes)."""
        self.set_header(header_label(self.parts, names))

    @property
    def current_hit(self) -> Hit | None:
        key = self.cursor_key
        return self.hits.get(key) if key is not None else None

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
            append_part(cell, parts[name], width, justify)
        cell.append_text(parts["title"])
        return cell

    def _line(self, index: int) -> Text:
        assert self._label_of is not None  # rows are only shown with their label_of
        return self._cell(self._rows[index], self._label_of)

    def row_text(self, passage_id: str) -> Text:
        """The line shown for a passage (what the builder made is what is drawn)."""
        return self.line_text(self.get_row_index(passage_id))

    def show(self, rows: list[Hit] | list[RerankedHit], label_of: LabelOf, *, keep_cursor: bool = True) -> None:
        """Replace the rows. With `keep_cursor` (the same query, ranked again) the cursor stays
        on the same passage when it is still there; otherwise (a new query) it goes to rank 1,
        so the next label key labels what the user sees first.

        Only the rows on screen are built and drawn (when they are drawn): 1000 rows cost what
        the visible ones do.
        """
        current = self.current_hit if keep_cursor else None
        keep = current.passage.id if current else None
        self._rows = list(rows)
        self._label_of = label_of
        self.hits = {}
        self.rows_shown = {}
        for row in self._rows:
            hit = row.hit if isinstance(row, RerankedHit) else row
            self.hits[hit.passage.id] = hit
            self.rows_shown[hit.passage.id] = row
        keys = list(self.rows_shown)
        cursor = keys.index(keep) if keep in self.rows_shown else 0
        self.set_rows(keys, self._line, cursor_row=cursor)

    def refresh_labels(self, label_of: LabelOf) -> None:
        self._label_of = label_of
        self.refresh_rows()


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
