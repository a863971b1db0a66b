"""The query set, one row per query: judged, holes, nDCG@10 of recall and reranked, and Δ.

Type to filter; tab / shift+tab change the order (Δ worst first, most holes, text, set order,
and B − A when comparing). Enter opens the query on the main screen with both lists filled;
ctrl+b compares with another instruction or a snapshot, ctrl+y shows the highlighted query's
two rankings side by side (label keys work there), ctrl+s freezes the set's rankings as a
snapshot, ctrl+n edits the query's note. Rankings come from a worker, score cache first; the
metrics are recomputed from them whenever labels change (`session.query_set_scores`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from rerank_tui.recall.hit import Hit
from rerank_tui.rerank.errors import RerankCancelled
from rerank_tui.safe_text import one_line
from rerank_tui.session.label_sources import MetricLabels
from rerank_tui.session.query_set_scores import (
    ROW_METRIC,
    SORTS,
    QueryRow,
    QueryRun,
    RunList,
    Scored,
    Side,
    means_of,
    rank_query_set,
    score_rows,
    sorted_rows,
)
from rerank_tui.session.ranking import RerankedHit
from rerank_tui.tui.bindings import QUERY_SET_BINDINGS
from rerank_tui.tui.messages import SuggestionsChanged
from rerank_tui.tui.widgets.ranked_list import RankedList
from rerank_tui.tui.widgets.results import append_part

MEAN_KEY = "\0mean"
# The worker hands rows over at most every POST_EVERY_S, and says how far it is every
# PROGRESS_EVERY_S: a hand-over rescores the rows on the UI thread, which the ranking thread
# then waits for (the GIL), so a fast cache pass is not slowed by redrawing 500 rows often.
POST_EVERY_S = 1.0
PROGRESS_EVERY_S = 0.2


@dataclass(frozen=True)
class OpenQuery:
    """What the screen returns for Enter: the query, its hits and (if ranked) its reranked list."""

    text: str
    hits: list[Hit]
    ranking: list[RerankedHit] | None
    instruction: str


def _number(value: float | None, pending: bool = False) -> Text:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Text("…" if pending else "·", style="dim", justify="right")
    return Text(f"{value:.3f}", justify="right")


def _delta(value: float | None) -> Text:
    if value is None or math.isnan(value):
        return Text("", justify="right")
    style = "green" if value > 1e-9 else "red" if value < -1e-9 else "dim"
    return Text(f"{value:+.3f}", style=style, justify="right")


class QuerySetScreen(Screen[OpenQuery | None]):
    # Textual types BINDINGS as an invariant list[BindingType]; ours are all Binding, which it only reads.
    BINDINGS = cast("list[BindingType]", QUERY_SET_BINDINGS)

    def __init__(
        self,
        workspace,
        index,
        reranker,
        *,
        reranker_state: str,
        instruction: str,
        instruction_name: str,
        depth: int,
        rerank_depth: int,
        config: dict,
        sides: dict[str, Side] | None = None,
        hits_cache: dict[str, list[Hit]] | None = None,
        recall=None,
        recall_name: str = "BM25",
        metric_labels=None,
        counted_labels=None,
        get_judge=None,
    ) -> None:
        super().__init__()
        self.workspace, self.index, self.reranker = workspace, index, reranker
        self.reranker_state = reranker_state  # "ready", "loading", "off", "failed"
        self.instruction, self.instruction_name = instruction, instruction_name
        self.depth, self.rerank_depth = depth, rerank_depth
        self.config = config
        self.sides = sides or {}  # what ctrl+b offers: name → Side
        self.hits_cache = hits_cache  # query id → the recall source's hits, kept by the app across openings
        self.recall = recall  # (query id, text, k) → hits; None: BM25
        self.recall_name = recall_name  # the recall column's header: BM25, dense, hybrid, run
        self.query_set = workspace.query_set()
        # () -> the MetricLabels mode (the app's: f4 switches it on every screen)
        self.metric_labels = metric_labels or (lambda: MetricLabels.HUMAN)
        # () -> query text → doc → label, as the metrics count them in that mode (the app's counted_labels)
        self.counted_labels = counted_labels or (lambda: workspace.labels.queries)
        self.get_judge = get_judge  # () -> the LLM judge, built on first use (None: no judge configured)
        self._judging: Worker | None = None
        self.runs: dict[str, QueryRun] = {}
        self.pending: set[str] = set()
        self.other: Side | None = None
        self.other_runs: dict[str, RunList] = {}
        self.other_rankings: dict[str, list[RerankedHit]] = {}
        self.other_pending: set[str] = set()
        self.scored: Scored | None = None
        self.shown: list[QueryRow] = []
        self.sort = "delta"
        self.filled_at: float | None = None  # perf_counter when every row had its numbers
        self.opened_at = time.perf_counter()
        self._moved = False  # the cursor follows its query once the user has moved it

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="qs-head", markup=False)
        with Horizontal(id="qs-filter-row"):
            yield Input(placeholder="type to filter (id, text, note)", id="qs-filter")
            yield Static("", id="qs-sort", markup=False)
        yield RankedList(id="qs-table")
        yield Static("", id="qs-detail", markup=False)
        yield Static("", id="qs-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(RankedList)
        table.can_focus = False  # the filter keeps the focus: typing filters, arrows move here
        self._add_columns()
        self.query_one("#qs-filter", Input).focus()
        self._refresh_sort_label()
        if not self.query_set.entries:
            self._status("no queries yet: label hits of a query, add one with ctrl+n on the main screen, "
                         "or `rerank-tui import QUERIES`")
            self._refresh()
            return
        if self.index is None:
            self._status("the index is still opening: reopen this screen in a moment")
            return
        self.pending = {e.id for e in self.query_set.entries}
        self._refresh()  # every query at once, its numbers as they come
        self._status(f"ranking {len(self.query_set)} queries · score cache first…")
        self.rank_set()

    def _add_columns(self) -> None:
        """The columns of the one-line rows (fixed-width parts, as the result panes have) and
        the header line naming them."""
        table = self.query_one(RankedList)
        width = self.app.size.width
        self.columns = ["id", "query", "judged", "holes", "BM25", "rerank", "Δ", "J@10", "RBO"]
        if self.other is not None:
            self.columns += ["B", "B−A"]
        if width < 100:
            self.columns.remove("J@10")
        widths = {"id": 8, "judged": 6, "holes": 5, "BM25": 6, "rerank": 6, "Δ": 7, "J@10": 5, "RBO": 5, "B": 6, "B−A": 7}
        fixed = sum(widths[c] + 1 for c in self.columns if c != "query")
        widths["query"] = max(12, width - fixed - 4)
        self.widths = widths
        labels = {c: Text(c) for c in self.columns}
        labels["BM25"] = Text(self.recall_name[: widths["BM25"]])
        if self.reranker_state == "off":
            labels["rerank"] = Text("–")
        table.set_header(self._row_text(labels, style="bold"))

    # -- ranking (worker) ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="qs-rank", exit_on_error=False, name="qs-rank")
    def rank_set(self) -> None:
        worker = get_current_worker()
        self._take_other_writers()
        reranker = self.reranker if self.reranker_state == "ready" else None
        batch: list[QueryRun] = []
        last = told = time.perf_counter()
        searched = 0
        for run in rank_query_set(
            self.index, self.query_set.entries, reranker=reranker, instruction=self.instruction,
            depth=self.depth, rerank_depth=self.rerank_depth, cancel=lambda: worker.is_cancelled,
            hits_of=self.hits_cache, recall=self.recall,
        ):
            batch.append(run)
            searched += 1
            if self.hits_cache is not None:
                self.hits_cache[run.entry.id] = run.hits
            now = time.perf_counter()
            if now - last >= POST_EVERY_S:
                self.app.call_from_thread(self._take_runs, batch, reranker is not None)
                batch, last = [], now
            elif now - told >= PROGRESS_EVERY_S:
                self.app.call_from_thread(self._status, f"ranking… {min(searched, len(self.query_set))}/{len(self.query_set)} · score cache first")
                told = now
        self.app.call_from_thread(self._take_runs, batch, reranker is not None, True)

    def _take_runs(self, runs: list[QueryRun], reranking: bool, done: bool = False) -> None:
        if not self.is_attached:
            return
        for run in runs:
            self.runs[run.entry.id] = run
            if run.ranking is not None or not reranking or not run.hits:
                self.pending.discard(run.entry.id)
        if done:
            self.pending.clear()
        self._refresh({run.entry.id for run in runs})
        ranked = sum(1 for r in self.runs.values() if r.ranking is not None)
        total = len(self.query_set)
        if done:
            self.filled_at = time.perf_counter()
            if self.reranker_state == "off":
                self._status(f"{total} queries · the reranker is off (--no-rerank): {self.recall_name}'s numbers only")
            elif reranking:
                cached = sum(1 for r in self.runs.values() if r.from_cache)
                self._status(f"{total} queries ranked · {cached} from the score cache, {ranked - cached} by the model")
            else:
                self._status(f"{total} queries · the reranker is {self.reranker_state}: {self.recall_name}'s numbers only for now")
        else:
            self._status(f"ranking… {len(self.runs)}/{total} searched · {ranked} reranked · {len(self.pending)} waiting for the model")

    @work(thread=True, exclusive=True, group="qs-other", exit_on_error=False, name="qs-other")
    def rank_other(self, side: Side) -> None:
        worker = get_current_worker()
        if side.runs is not None:
            return
        entries = self.query_set.entries
        hits_of = {qid: run.hits for qid, run in self.runs.items()}
        batch: list[QueryRun] = []
        last, wait = time.perf_counter(), PROGRESS_EVERY_S
        for run in rank_query_set(
            self.index, entries, reranker=self.reranker, instruction=side.instruction,
            depth=self.depth, rerank_depth=self.rerank_depth, cancel=lambda: worker.is_cancelled, hits_of=hits_of,
            recall=self.recall,
        ):
            if run.ranking is not None:
                batch.append(run)
            if time.perf_counter() - last >= wait:
                self.app.call_from_thread(self._take_other, side, batch)
                batch, last, wait = [], time.perf_counter(), POST_EVERY_S
        self.app.call_from_thread(self._take_other, side, batch, True)

    def _take_other(self, side: Side, runs: list[QueryRun], done: bool = False) -> None:
        if not self.is_attached or self.other is not side:
            return
        for run in runs:
            self.other_runs[run.entry.id] = run.run(self.rerank_depth)
            assert run.ranking is not None  # the worker sends only ranked runs
            self.other_rankings[run.entry.id] = run.ranking
            self.other_pending.discard(run.entry.id)
        if done:
            self.other_pending.clear()
            self._status(f"compared with {side.name} over {len(self.other_runs)} queries")
        else:
            self._status(f"ranking with {side.name}… {len(self.other_runs)}/{len(self.query_set)}")
        self._refresh({run.entry.id for run in runs})

    # -- the LLM judge ---------------------------------------------------------------------------

    def action_judge(self) -> None:
        """Judge every pool's unlabeled hits in a worker; f6 again stops it (what was judged is saved)."""
        if self._judging is not None and self._judging.state in (WorkerState.PENDING, WorkerState.RUNNING):
            self._judging.cancel()
            self._status("stopping the judge… (what it judged is saved; f6 resumes)")
            return
        if self.get_judge is None:
            self.app.notify("no judge: start the app with --judge-model MODEL or --judge-url URL (see rerank-tui -h)")
            return
        if self.pending or len(self.runs) < len(self.query_set) or not self.runs:
            self.app.notify("wait until every query is ranked: the pools are the top 10 of both lists")
            return
        if self.workspace.suggestions.read_only:
            self.app.notify(f"{self.workspace.suggestions.path} failed to load: fix or move it first", severity="error")
            return
        self._judging = self.judge_set()

    @work(thread=True, exclusive=True, group="qs-judge", exit_on_error=False, name="qs-judge")
    def judge_set(self) -> None:
        from rerank_tui.session.judge_pool import judge_pools, pool_texts

        worker = get_current_worker()
        self.app.call_from_thread(self._status, "loading the judge…")
        assert self.get_judge is not None  # action_judge checked
        judge = self.get_judge()
        if worker.is_cancelled:
            return
        for note in getattr(judge, "notes", ()):
            self.app.call_from_thread(self.app.notify, note)
        if self.reranker is not None:
            self.app.call_from_thread(self._warn_if_circular, judge)
        entries = [e for e in self.query_set.entries if e.id in self.runs]
        pools = [(e.text, pool_texts(self.runs[e.id])) for e in entries]
        told = [0.0]

        def progress(stats) -> None:
            now = time.perf_counter()
            if now - told[0] >= PROGRESS_EVERY_S:
                told[0] = now
                self.app.call_from_thread(self._status, f"judging… {stats.summary()} · f6 stops")

        try:
            stats = judge_pools(judge, judge.prompt.sha1, pools, self.workspace.labels.queries, self.workspace.suggestions,
                                total_queries=len(entries), cancel=lambda: worker.is_cancelled, progress=progress)
        except RerankCancelled:
            self.app.call_from_thread(self._judged, None)
            return
        self.app.call_from_thread(self._judged, stats)

    def _take_other_writers(self) -> None:
        """Suggestions another process appended (`rerank-tui judge` in another terminal) since
        they were read: the rows and the panes count them (from a worker thread)."""
        from rerank_tui.session.store import WorkspaceFileError

        store = self.workspace.loaded_suggestions
        if store is None or store.read_only:
            return
        try:
            new = store.refresh()
        except WorkspaceFileError as exc:
            self.app.call_from_thread(self.app.notify, f"{exc}: the judge's suggestions are read-only now", severity="error")
            return
        if new:
            self.app.post_message(SuggestionsChanged())

    def _warn_if_circular(self, judge) -> bool:
        from rerank_tui.judge.base import same_checkpoint

        if same_checkpoint(judge.model_name, getattr(self.reranker, "identity", "")):
            self.app.notify(f"the judge ({one_line(judge.model_name, 60)}) is the reranker under test: its grades of its own ranking are circular",
                            severity="warning", timeout=10)
            return True
        return False

    def _judged(self, stats) -> None:
        if not self.is_attached:
            return
        if stats is None:
            self._status("judge stopped: what it judged is saved (f6 resumes, skipping it)")
        else:
            self._status(f"judged · {stats.summary()} · a accepts a suggestion, A all of a query · f4 counts them in the metrics")
        self._refresh()
        self.app.post_message(SuggestionsChanged())  # the panes show the new suggestions (2?)

    def action_agreement(self) -> None:
        self._status("computing the agreement of people and the judge…")
        self.agreement()

    @work(thread=True, exclusive=True, group="qs-agreement", exit_on_error=False, name="qs-agreement")
    def agreement(self) -> None:
        from rerank_tui.session.agreement import format_agreement
        from rerank_tui.session.judge_agreement import workspace_agreement

        pair, system, note = workspace_agreement(self.workspace.root, self.workspace.labels, self.workspace.suggestions)
        lines = format_agreement(pair, system) + ([""] + note.splitlines() if note else [])
        self.app.call_from_thread(self._show_agreement, lines)

    def _show_agreement(self, lines: list[str]) -> None:
        from rerank_tui.tui.screens.agreement import AgreementScreen

        if self.is_attached:
            self._status("")
            self.app.push_screen(AgreementScreen(lines))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and not isinstance(event.worker.error, RerankCancelled):
            what = {"qs-judge": "judging", "qs-agreement": "the agreement"}.get(event.worker.name, "ranking")
            self._status(f"{what} failed: {one_line(str(event.worker.error) or type(event.worker.error).__name__, 200)}")

    # -- showing ---------------------------------------------------------------------------------

    def rescore(self, only: set[str] | None = None) -> None:
        """Recompute the rows from the rankings and the labels as they are now; with `only`,
        just those queries' rows (what a batch from the worker changed) and the means."""
        entries = self.query_set.entries
        if only is not None and self.scored is not None and len(self.scored.rows) == len(entries):
            entries = [e for e in entries if e.id in only]
        runs = [self.runs[e.id] if e.id in self.runs else QueryRun(e, []) for e in entries]
        other = self.other_runs if self.other is not None else None
        scored = score_rows(runs, self.counted_labels(), rerank_depth=self.rerank_depth, other=other,
                            pending=self.pending | self.other_pending)
        if len(entries) == len(self.query_set.entries):
            self.scored = scored
            return
        fresh = {r.entry.id: r for r in scored.rows}
        assert self.scored is not None  # only part of the set is rescored when all of it was scored before
        rows = [fresh.get(r.entry.id, r) for r in self.scored.rows]
        for row in rows:  # rows of this batch are fresh; the others may just have stopped waiting
            row.pending = row.entry.id in self.pending or row.entry.id in self.other_pending
        self.scored = Scored(rows, means_of(rows))

    def refresh_labels(self) -> None:
        """Labels or the metrics' mode changed on another screen or by a key (the app calls this)."""
        self._refresh_sort_label()
        if self.scored is not None and self.app.screen is self:  # under another screen: on_screen_resume refreshes
            self._refresh()

    def _refresh(self, only: set[str] | None = None) -> None:
        self.rescore(only)
        self._fill()
        self._refresh_head()

    def _fill(self) -> None:
        table = self.query_one(RankedList)
        current = self.current_row() if self._moved else None  # until the user moves: the top row
        keep = current.entry.id if current else None
        text_filter = self.query_one("#qs-filter", Input).value
        self.shown = shown = sorted_rows(self.scored.rows, self.sort, text_filter) if self.scored else []
        if self.scored is None:
            table.set_rows([], self._mean_line)
        else:  # the mean first, then the queries; each line is built when it is drawn
            index = next((i for i, r in enumerate(shown) if r.entry.id == keep), 0)
            line_of = lambda i: self._mean_line() if i == 0 else self._row_text(self._cells(shown[i - 1]))  # noqa: E731
            table.set_rows([MEAN_KEY, *(r.entry.id for r in shown)], line_of, cursor_row=index + 1 if shown else 0)
        self._show_detail()

    def _mean_line(self, index: int = 0) -> Text:
        return self._row_text(self._mean_cells(), style="bold")

    def _row_text(self, parts: dict[str, Text], style: str = "") -> Text:
        line = Text(no_wrap=True, overflow="ellipsis", style=style)
        for column in self.columns:
            append_part(line, parts[column], self.widths[column], "left" if column in ("id", "query") else "right")
        return line

    def _cells(self, row: QueryRow) -> dict[str, Text]:
        values = {
            "id": Text(one_line(row.entry.id, 8), no_wrap=True, overflow="ellipsis"),
            "query": Text(one_line(row.entry.text, 200), no_wrap=True, overflow="ellipsis"),
            "judged": Text(str(row.judged) if row.judged else "·", justify="right", style="" if row.judged else "dim"),
            "holes": Text(str(row.holes), justify="right", style="yellow" if row.holes else "dim"),
            "BM25": _number(row.recall),
            "rerank": _number(row.reranked, row.pending and row.judged > 0),
            "Δ": _delta(row.delta),
            "J@10": _number(row.overlap.jaccard if row.overlap else None, row.pending),
            "RBO": _number(row.overlap.rbo if row.overlap else None, row.pending),
            "B": _number(row.other, self.other is not None and row.entry.id in self.other_pending),
            "B−A": _delta(row.other_delta),
        }
        if row.entry.note:
            values["query"] = Text("✎ ", style="dim") + values["query"]
        return values

    def _mean_cells(self) -> dict[str, Text]:
        assert self.scored is not None  # the mean row is shown only for a scored set
        m = self.scored.means
        values = {
            "id": Text("mean", style="bold"),
            "query": Text(f"{m.queries} queries · {m.judged_queries} judged", style="bold", no_wrap=True, overflow="ellipsis"),
            "judged": Text(str(m.labels), justify="right", style="bold"),
            "holes": Text(str(m.holes), justify="right", style="bold"),
            "BM25": _number(m.recall),
            "rerank": _number(m.reranked),
            "Δ": _delta(m.reranked - m.recall if not math.isnan(m.reranked) and not math.isnan(m.recall) else None),
            "J@10": _number(m.jaccard),
            "RBO": _number(m.rbo),
            "B": _number(m.other),
            "B−A": _delta(m.other - m.reranked if not math.isnan(m.other) and not math.isnan(m.reranked) else None),
        }
        return values

    def _refresh_head(self) -> None:
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append("Query set", style="bold")
        head.append(f" · {len(self.query_set)} queries")
        if self.scored is not None:
            m = self.scored.means
            head.append(f" · {m.judged_queries} judged · {m.labels} labels · {m.holes} holes")
            if m.judged_queries and not math.isnan(m.reranked):
                head.append(f" · {ROW_METRIC}: {m.better} better, {m.worse} worse", style="")
        head.append(" │ A: ")
        head.append(one_line(self.instruction_name, 40))
        if self.reranker_state == "off":
            head.append(" · reranker off", style="yellow")
        if self.other is not None:
            head.append(" │ B: ")
            head.append(one_line(self.other.name, 40))
            if self.scored is not None and self.scored.means.judged_queries:
                head.append(f" ({self.scored.means.other_better} better, {self.scored.means.other_worse} worse than A)")
        self.query_one("#qs-head", Static).update(head)

    def _refresh_sort_label(self) -> None:
        mode = self.metric_labels()
        label = Text(f" sort: {SORTS[self.sort][0]} (tab) · ", style="dim")
        label.append(f"{mode.text.replace(' + ', '+')} (f4)", style="dim" if mode is MetricLabels.HUMAN else "bold italic")
        self.query_one("#qs-sort", Static).update(label)

    def _status(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#qs-status", Static).update(Text(text, no_wrap=True, overflow="ellipsis"))

    def current_row(self) -> QueryRow | None:
        key = self.query_one(RankedList).cursor_key
        return next((r for r in self.shown if r.entry.id == key), None) if key is not None else None

    @on(RankedList.RowHighlighted)
    def _highlighted(self, event: RankedList.RowHighlighted) -> None:
        self._show_detail()

    @on(RankedList.RowSelected)
    def _selected(self, event: RankedList.RowSelected) -> None:
        """A click on the highlighted query opens it, as Enter does."""
        if event.row_key != MEAN_KEY:
            self.action_open()

    def _show_detail(self) -> None:
        row = self.current_row()
        detail = Text(no_wrap=False)
        if row is not None:
            detail.append(f"{one_line(row.entry.id, 40)}  ", style="bold")
            detail.append(one_line(row.entry.text, 400))
            if row.entry.note:
                detail.append("\nnote: ", style="dim")
                detail.append(one_line(row.entry.note, 400))
        self.query_one("#qs-detail", Static).update(detail)

    # -- keys --------------------------------------------------------------------------------

    @on(Input.Changed, "#qs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self.scored is not None:
            self._fill()

    @on(Input.Submitted, "#qs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    def action_cursor(self, step: int) -> None:
        self._moved = True
        table = self.query_one(RankedList)
        if table.row_count > 1:  # the mean row (row 0) is not a query: the cursor stays below it
            table.move_cursor(row=min(max(1, table.cursor_row + step), table.row_count - 1), animate=False)

    def action_next_sort(self, step: int = 1) -> None:
        orders = [k for k in SORTS if k != "other" or self.other is not None]
        self.sort = orders[(orders.index(self.sort) + step) % len(orders)] if self.sort in orders else orders[0]
        self._refresh_sort_label()
        if self.scored is not None:
            self._fill()

    def action_open(self) -> None:
        row = self.current_row()
        if row is None:
            return
        run = self.runs.get(row.entry.id)
        self.dismiss(OpenQuery(row.entry.text, run.hits if run else [], run.ranking if run else None, self.instruction))

    def action_close(self) -> None:
        filter_input = self.query_one("#qs-filter", Input)
        if filter_input.value:
            filter_input.value = ""
            return
        self.dismiss(None)

    def action_compare(self) -> None:
        from rerank_tui.tui.screens.dialogs import Picker

        if not self.sides:
            self.app.notify("nothing to compare with: save a preset, rerank with another instruction, or save a snapshot")
            return
        items = [(name, one_line(side.instruction or "(frozen run)", 90)) for name, side in self.sides.items()]
        if self.other is not None:
            items.insert(0, ("(stop comparing)", ""))

        def picked(result) -> None:
            if result is None:
                return
            self.set_other(self.sides.get(result[1]))

        self.app.push_screen(Picker("Compare A with…", items), picked)

    def set_other(self, side: Side | None) -> None:
        if side is not None and side.load is not None:
            from rerank_tui.session.store import WorkspaceFileError

            try:
                side = side.loaded()
            except WorkspaceFileError as exc:  # a snapshot broken since the screen opened
                self.app.notify(f"cannot compare: {exc}", severity="error", timeout=10)
                return
        if side is not None and side.runs is None and (self.reranker is None or self.reranker_state != "ready"):
            self.app.notify("the reranker is not ready: compare with a snapshot, or wait for it")
            return
        self.other = side
        self.other_runs = dict(side.runs) if side is not None and side.runs is not None else {}
        self.other_rankings = {}
        self.other_pending = {e.id for e in self.query_set.entries} if side is not None and side.runs is None else set()
        if side is None and self.sort == "other":
            self.sort = "delta"
        elif side is not None:
            self.sort = "other"
        self._refresh_sort_label()
        self._add_columns()
        if side is not None and side.runs is None:
            self.rank_other(side)
        self._refresh()

    def action_side_by_side(self) -> None:
        from rerank_tui.tui.screens.compare import PairScreen, SideList

        row = self.current_row()
        if row is None:
            return
        run = self.runs.get(row.entry.id)
        if run is None or not run.hits:
            self.app.notify("this query has no hits yet")
            return
        a_rows = run.ranking if run.ranking is not None else None
        a = SideList.from_ranking(f"A · {self.instruction_name}", run.hits, a_rows, self.rerank_depth)
        if self.other is None:
            b = SideList.from_hits(f"{self.recall_name} recall", run.hits)
            a, b = b, a
        elif row.entry.id in self.other_rankings:
            b = SideList.from_ranking(f"B · {self.other.name}", run.hits, self.other_rankings[row.entry.id], self.rerank_depth)
        elif row.entry.id in self.other_runs:
            b = SideList.from_run(f"B · {self.other.name}", self.other_runs[row.entry.id], self.index)
        else:
            self.app.notify("B has not ranked this query yet")
            return
        self.app.push_screen(PairScreen(row.entry.text, a, b), lambda _: self._refresh())

    def on_screen_suspend(self) -> None:
        self._suspended = True

    def on_screen_resume(self) -> None:
        if getattr(self, "_suspended", False) and self.scored is not None:
            self._suspended = False
            self._refresh()  # back from another screen: labels may have changed there

    def action_note(self) -> None:
        from rerank_tui.tui.screens.dialogs import NamePrompt

        row = self.current_row()
        if row is None:
            return

        def save(note: str | None) -> None:
            if note is None:
                return
            try:
                self.workspace.queries.set_note(row.entry.text, note)
            except (ValueError, OSError, Exception) as exc:  # WorkspaceFileError among them
                self.app.notify(f"note NOT saved: {exc}", severity="error")
                return
            self.query_set = self.workspace.query_set()
            self._replace_entries()
            self._refresh()

        self.app.push_screen(NamePrompt(f"Note for {one_line(row.entry.text, 60)} (empty clears it)", row.entry.note, allow_empty=True), save)

    def _replace_entries(self) -> None:
        for entry in self.query_set.entries:
            run = self.runs.get(entry.id)
            if run is not None and run.entry != entry:
                run.entry = entry

    def action_snapshot(self) -> None:
        from rerank_tui.tui.screens.dialogs import NamePrompt

        if self.pending or len(self.runs) < len(self.query_set) or not self.runs:
            self.app.notify("wait until every query is ranked, then save the snapshot")
            return

        def save(name: str | None) -> None:
            if name:
                self._save_snapshot(name)

        self.app.push_screen(NamePrompt("Save the rankings of the query set as snapshot", ""), save)

    def _save_snapshot(self, name: str) -> None:
        from rerank_tui.session.snapshots import save_snapshot
        from rerank_tui.session.store import WorkspaceFileError

        entries = self.query_set.entries
        reranked = self.reranker_state == "ready"
        run = {e.id: self.runs[e.id].run(self.rerank_depth)[: self.depth] for e in entries}
        config = dict(self.config)
        if not reranked:
            config.update(model=None, rerank_depth=None, instruction=None, preset=None)
        try:
            snapshot = save_snapshot(self.workspace.root, name, config, {e.id: e.text for e in entries}, run)
        except (ValueError, OSError, WorkspaceFileError) as exc:
            self.app.notify(f"snapshot NOT saved: {exc}", severity="error", timeout=10)
            return
        self.app.notify(f"saved snapshot {snapshot.name}: {len(entries)} queries ({'reranked' if reranked else self.recall_name})")
        self.sides[f"snapshot {snapshot.name}"] = Side(f"snapshot {snapshot.name}", runs=snapshot.run)
