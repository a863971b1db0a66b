"""A result pane: a title, a table of hits, and a message line for states and errors."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from rerank_tui.recall.index import Hit
from rerank_tui.session.labels import Label
from rerank_tui.session.ranking import RerankedHit, movement
from rerank_tui.tui.bindings import RESULTS_BINDINGS
from rerank_tui.tui.render import label_badge, title_cell

LabelOf = Callable[[Hit], tuple[Label | None, str]]  # (label, current passage text)


class ResultsTable(DataTable):
    BINDINGS = RESULTS_BINDINGS

    def __init__(self, *, reranked: bool, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.reranked = reranked
        self.hits: dict[str, Hit] = {}

    def on_mount(self) -> None:
        if self.reranked:
            self.add_column("#", key="rank", width=3)
            self.add_column("Δ", key="moved", width=4)
            self.add_column("p(yes)", key="score", width=6)
        else:
            self.add_column("#", key="rank", width=3)
            self.add_column("BM25", key="score", width=6)
        self.add_column("lbl", key="label", width=3)
        self.add_column("title", key="title")

    @property
    def current_hit(self) -> Hit | None:
        if self.row_count == 0:
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return self.hits.get(str(row_key.value))

    def show(self, rows: list[Hit] | list[RerankedHit], label_of: LabelOf) -> None:
        """Replace the rows, keeping the cursor on the same passage when it is still there."""
        current = self.current_hit
        keep = current.passage.id if current else None
        self.clear()
        self.hits = {}
        for row in rows:
            hit = row.hit if isinstance(row, RerankedHit) else row
            self.hits[hit.passage.id] = hit
            label, text = label_of(hit)
            cells: list = [Text(str(row.rank), justify="right")]
            if isinstance(row, RerankedHit):
                style = "green" if row.moved > 0 else "red" if row.moved < 0 else "dim"
                score = "–" if row.score != row.score else f"{row.score:.3f}"  # NaN: not scored
                cells += [Text(movement(row.moved), style=style), Text(score, justify="right")]
            else:
                cells.append(Text(f"{hit.score:.2f}", justify="right"))
            cells += [label_badge(label, text), title_cell(hit.passage.title, hit.passage.id)]
            self.add_row(*cells, key=hit.passage.id)
        if keep in self.hits:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def refresh_labels(self, label_of: LabelOf) -> None:
        for pid, hit in self.hits.items():
            label, text = label_of(hit)
            self.update_cell(pid, "label", label_badge(label, text))


class ResultsPane(Vertical):
    """Title + message + table. The message shows states ("reranking…") and errors."""

    def __init__(self, title: str, *, reranked: bool, id: str) -> None:
        super().__init__(id=id, classes="pane")
        self._title = title
        self._reranked = reranked

    def compose(self) -> ComposeResult:
        yield Static(self._title, classes="pane-title", markup=False)
        yield Static("", classes="pane-message", markup=False)
        yield ResultsTable(reranked=self._reranked)

    @property
    def table(self) -> ResultsTable:
        return self.query_one(ResultsTable)

    def set_title(self, title: str) -> None:
        self.query_one(".pane-title", Static).update(title)

    def set_message(self, message: str | Text = "", *, error: bool = False) -> None:
        widget = self.query_one(".pane-message", Static)
        widget.update(message)
        widget.set_class(bool(message), "visible")
        widget.set_class(error, "error")
