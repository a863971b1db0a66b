"""Presets and tries with their mean metrics over labeled queries; compare two for a query."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState, get_current_worker

from rerank_tui.rerank.errors import RerankCancelled
from rerank_tui.safe_text import cut_long_lines, one_line
from rerank_tui.session.ranking import movement, rerank_hits, score_text
from rerank_tui.session.scoreboard import BOARD_METRICS, Entry, bm25_means, board_entries, labeled_queries, score_entries


BM25_KEY = "\0bm25"  # the row key of BM25's reference row
NAME_WIDTH = (4, 24)  # the name column fits the longest name, within these bounds
METRIC_WIDTH = 8
USES_WIDTH = 4

STATUS_OF_RERANKER = {
    "off": "the reranker is off (--no-rerank): BM25 only",
    "loading": "the reranker is not ready: metrics will show once it is",
    "failed": "the reranker failed: BM25 only (Enter in the query box tries it again)",
}


class TriesScreen(ModalScreen[str | None]):
    """Returns the instruction to switch to (Enter), or None.

    `reranker_state` is the app's ("off", "loading", "ready", "failed"; None: "ready" when a
    reranker is given, else "loading"); the presets and tries are scored only when it is
    "ready", and BM25's row shows in every case. `query` is the query shown in the app, on
    which two marked instructions are compared.
    """

    DEFAULT_CSS = """
    #tries-instruction-box {
        height: auto;
        max-height: 8;
        margin: 1 0 0 0;
    }
    #tries-instruction {
        height: auto;
    }
    """

    BINDINGS = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("space", "mark", "Mark (two to compare)"),
        Binding("c", "compare", "Compare marked"),
        Binding("enter", "use", "Use this instruction"),
    ]

    def __init__(self, workspace, index, reranker, rerank_depth: int, query: str, reranker_state: str | None = None,
                 hits_of=None, recall_name: str = "bm25", labels=None, labels_text: str = "labels: human") -> None:
        super().__init__()
        self.workspace, self.index, self.reranker = workspace, index, reranker
        # the labels the metrics count (query text → doc → label; the app's f4 mode), and what they are
        self.labels = labels if labels is not None else workspace.labels
        self.labels_text = labels_text
        self.reranker_state = reranker_state or ("ready" if reranker is not None else "loading")
        self.rerank_depth, self.search_query = rerank_depth, query
        self.hits_of, self.recall_name = hits_of, recall_name  # the app's recall source: (query id, text, k) → hits
        self.entries: list[Entry] = []
        self.marked: list[str] = []
        self.bm25: dict[str, float] = {}
        self.scoring = False  # the instructions' metrics are on their way
        self.name_width = NAME_WIDTH[0]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(f"Presets and tries · mean over labeled queries · {self.labels_text}", classes="dialog-title", markup=False)
            yield Static("", id="tries-status", markup=False)
            yield DataTable(id="tries-table", cursor_type="row")
            box = VerticalScroll(id="tries-instruction-box")
            box.can_focus = False
            with box:
                yield Static("", id="tries-instruction", markup=False)
            yield Static("space marks · c compares two for the current query · Enter uses · Escape closes",
                         classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.entries = board_entries(self.workspace.presets, self.workspace.tries)
        self.name_width = max(NAME_WIDTH[0], min(NAME_WIDTH[1], max((cell_len(one_line(e.name, 80)) for e in self.entries), default=0)))
        table = self.query_one(DataTable)
        table.add_column(" ", key="mark", width=1)
        table.add_column(Text("name"), key="name", width=self.name_width)
        for metric in BOARD_METRICS:
            table.add_column(Text(metric, justify="right"), key=metric, width=METRIC_WIDTH)
        table.add_column(Text("uses", justify="right"), key="uses", width=USES_WIDTH)
        table.add_column(Text("instruction"), key="instruction")
        queries, _ = labeled_queries(self.labels)
        status = self.query_one("#tries-status", Static)
        if not queries:
            status.update("no labeled queries yet: label hits to score instructions")
        elif self.index is None:
            status.update("the index is not open yet: metrics will show once it is")
        elif self.reranker_state == "ready" and self.reranker is not None:
            self.scoring = True
            status.update(f"scoring {len(self.entries)} instructions over {len(queries)} labeled queries…")
            self.score()
        else:
            status.update(STATUS_OF_RERANKER.get(self.reranker_state, STATUS_OF_RERANKER["loading"]))
            self.score_bm25()
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        if self.bm25:
            table.add_row(Text(""), Text(self.recall_name, style="dim"), *[_number(self.bm25.get(m), style="dim") for m in BOARD_METRICS],
                          Text(""), Text("(no reranking)", style="dim"), key=BM25_KEY)
        for e in self.entries:
            name = Text(one_line(e.name, 80), style="bold" if e.source == "preset" else "", no_wrap=True)
            name.truncate(self.name_width, overflow="ellipsis")
            cells = [Text("●" if e.name in self.marked else ""), name]
            cells += [_number(e.means.get(m), missing="…" if self.scoring else "–") for m in BOARD_METRICS]
            cells += [Text(str(e.uses or ""), justify="right"), Text(one_line(e.instruction, 200), no_wrap=True, overflow="ellipsis")]
            table.add_row(*cells, key=e.name)
        self._show_instruction()

    def _show_instruction(self, key: str | None = None) -> None:
        """The full text of the highlighted row's instruction, literally (user text)."""
        table = self.query_one(DataTable)
        if key is None and table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        entry = next((e for e in self.entries if e.name == key), None)
        shown = Text()
        if key == BM25_KEY:
            shown.append(f"{self.recall_name}: the recall source alone, no reranker and no instruction", style="dim")
        elif entry is not None:
            shown.append(f"{one_line(entry.name, 80)} ({entry.source}): ", style="bold")
            shown.append(cut_long_lines(entry.instruction))
        self.query_one("#tries-instruction", Static).update(shown)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_instruction(event.row_key.value)

    @work(thread=True, exclusive=True, exit_on_error=False, name="scoreboard")
    def score(self) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int, name: str) -> None:
            self.app.call_from_thread(self._status, f"scoring… {done}/{total} ({name})")

        bm25 = score_entries(
            self.index.index, self.reranker, self.labels, self.entries,
            rerank_depth=self.rerank_depth, progress=progress, cancel=lambda: worker.is_cancelled, hits_of=self.hits_of,
        )
        self.app.call_from_thread(self._scored, bm25)

    @work(thread=True, exclusive=True, exit_on_error=False, name="scoreboard")
    def score_bm25(self) -> None:
        """BM25's row alone: the reranker is off, loading or failed."""
        bm25 = bm25_means(self.index.index, self.labels, depth=max(100, self.rerank_depth), hits_of=self.hits_of)
        self.app.call_from_thread(self._bm25_scored, bm25)

    def _status(self, text: str) -> None:
        if self.is_attached:  # the screen may have been closed while scoring
            self.query_one("#tries-status", Static).update(text)

    def _scored(self, bm25: dict[str, float]) -> None:
        if not self.is_attached:
            return
        self.bm25, self.scoring = bm25, False
        queries, _ = labeled_queries(self.labels)
        self.query_one("#tries-status", Static).update(f"best first by nDCG@10 over {len(queries)} labeled queries")
        self._fill()

    def _bm25_scored(self, bm25: dict[str, float]) -> None:
        if self.is_attached:
            self.bm25 = bm25
            self._fill()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and not isinstance(event.worker.error, RerankCancelled):
            self.scoring = False
            self.query_one("#tries-status", Static).update(f"scoring failed: {one_line(str(event.worker.error), 200)}")

    def _current(self) -> Entry | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((e for e in self.entries if e.name == key), None)

    def action_mark(self) -> None:
        entry = self._current()
        if entry is None:
            return
        if entry.name in self.marked:
            self.marked.remove(entry.name)
        else:
            self.marked = (self.marked + [entry.name])[-2:]
        row = self.query_one(DataTable).cursor_row
        self._fill()
        self.query_one(DataTable).move_cursor(row=row)

    def action_compare(self) -> None:
        if len(self.marked) != 2:
            self.app.notify("mark two instructions with space first")
            return
        if self.reranker_state == "off":
            self.app.notify("comparing needs the reranker (the app was started with --no-rerank)")
            return
        if not self.search_query.strip() or self.reranker is None or self.index is None:
            self.app.notify("type a query (and wait for the reranker) to compare on it")
            return
        a, b = (next(e for e in self.entries if e.name == n) for n in self.marked)
        hits = (self.hits_of("", self.search_query, self.rerank_depth) if self.hits_of is not None
                else self.index.index.search(self.search_query, self.rerank_depth))
        self.app.push_screen(CompareScreen(a, b, self.search_query, hits, self.reranker))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_use()

    def action_use(self) -> None:
        entry = self._current()
        self.dismiss(entry.instruction if entry else None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def _number(value: float | None, *, missing: str = "–", style: str = "") -> Text:
    """A metric cell: right-justified under its right-justified header."""
    return Text(missing if value is None else f"{value:.3f}", style=style, justify="right")


class CompareScreen(Screen[None]):
    """Two instructions' rankings of the current query side by side; ▲/▼: B against A."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]

    def __init__(self, a: Entry, b: Entry, query: str, hits, reranker) -> None:
        super().__init__()
        self.a, self.b = a, b
        self.search_query, self.hits, self.reranker = query, hits, reranker

    def compose(self) -> ComposeResult:
        yield Static(f"Query: {one_line(self.search_query, 100)}", id="compare-head", markup=False)
        with Horizontal(id="compare-panes"):
            for entry, key in ((self.a, "a"), (self.b, "b")):
                with Vertical(classes="pane"):
                    yield Static(f"{entry.name}: {one_line(entry.instruction, 80)}", classes="pane-title", markup=False)
                    yield DataTable(id=f"compare-{key}", cursor_type="row")
        yield Static("ranking…", id="compare-summary", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        for key in ("a", "b"):
            table = self.query_one(f"#compare-{key}", DataTable)
            table.add_column("#", key="rank", width=3)
            if key == "b":
                table.add_column("vs A", key="moved", width=5)
            table.add_column("p(yes)", key="score", width=6)
            table.add_column("title", key="title")
        self.rank_both()

    @work(thread=True, exclusive=True, exit_on_error=False, name="compare")
    def rank_both(self) -> None:
        ranked_a, _ = rerank_hits(self.reranker, self.search_query, self.hits, self.a.instruction)
        ranked_b, _ = rerank_hits(self.reranker, self.search_query, self.hits, self.b.instruction)
        self.app.call_from_thread(self._show, ranked_a, ranked_b)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.query_one("#compare-summary", Static).update(f"ranking failed: {one_line(str(event.worker.error), 200)}")

    def _show(self, ranked_a, ranked_b) -> None:
        from rerank_tui.tui.render import title_cell

        if not self.is_attached:
            return
        rank_in_a = {r.hit.passage.id: r.rank for r in ranked_a}
        for key, ranked in (("a", ranked_a), ("b", ranked_b)):
            table = self.query_one(f"#compare-{key}", DataTable)
            for r in ranked:
                cells = [Text(str(r.rank), justify="right")]
                if key == "b":
                    moved = rank_in_a[r.hit.passage.id] - r.rank
                    cells.append(Text(movement(moved), style="green" if moved > 0 else "red" if moved < 0 else "dim"))
                cells += [Text(score_text(r.score), justify="right"), title_cell(r.hit.passage.title, r.hit.passage.id)]
                table.add_row(*cells, key=r.hit.passage.id)
        top_a = {r.hit.passage.id for r in ranked_a[:10]}
        top_b = {r.hit.passage.id for r in ranked_b[:10]}
        moved = sum(1 for r in ranked_b if rank_in_a[r.hit.passage.id] != r.rank)
        self.query_one("#compare-summary", Static).update(
            f"top 10: {len(top_a & top_b)} common · {len(top_a - top_b)} only in A · {len(top_b - top_a)} only in B · "
            f"{moved} of {len(ranked_b)} passages moved"
        )
