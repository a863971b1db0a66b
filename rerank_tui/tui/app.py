"""The app: wiring between the widgets and the search state (rerank_tui/session/search.py).

Slow work runs in thread workers that end by posting a message (messages.py): opening the
index (group "index"), loading the model ("model"), BM25 as the query is typed ("bm25",
exclusive) and reranking ("rerank", exclusive: a newer request cancels the older one between
batches). Handlers hand each result to the search state, which says whether it is still
current, and put it on screen. Worker failures are handled in one place,
`on_worker_state_changed`. The index and reranker states are reactive: their watchers redraw
the header.

What happens when you press 3: the binding `label_3` (bindings.py) runs `action_label(3)`,
which asks the search state to label the highlighted hit; the label shows at once, and the
status line says "saved" when the label writer's `LabelsSaved` arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.reactive import var
from textual.widgets import Footer, Input, Static, TextArea
from textual.worker import Worker, WorkerState, get_current_worker

from rerank_tui.recall.index import Hit
from rerank_tui.recall.store import OpenedIndex
from rerank_tui.rerank.base import Reranker, RerankStats
from rerank_tui.rerank.errors import RerankCancelled, RerankerError
from rerank_tui.safe_text import one_line
from rerank_tui.session.labels import Label, Saved
from rerank_tui.session.query_metrics import query_metrics
from rerank_tui.session.ranking import rerank_hits
from rerank_tui.session.search import LabelChange, SearchError, SearchState
from rerank_tui.session.workspace import Workspace
from rerank_tui.tui.bindings import APP_BINDINGS
from rerank_tui.tui.commands import RerankCommands
from rerank_tui.tui.messages import Bm25Ready, IndexOpened, IndexProgress, LabelsSaved, Reranked, RerankerLoaded, RerankWaiting
from rerank_tui.tui.screens.dialogs import NamePrompt, Picker
from rerank_tui.tui.screens.help import HelpScreen
from rerank_tui.tui.screens.passage import PassageScreen
from rerank_tui.tui.screens.tries import TriesScreen
from rerank_tui.tui.widgets.preview import Preview
from rerank_tui.tui.widgets.query_input import QueryInput
from rerank_tui.tui.widgets.results import ResultsPane, ResultsTable

BM25_DEBOUNCE_S = 0.05
BM25_FAST_S = 0.01  # searches faster than this run on every key, undebounced
INSTRUCTION_DEBOUNCE_S = 0.8


@dataclass
class AppOptions:
    source: str
    open_index: Callable[..., OpenedIndex]  # (progress=callback) -> OpenedIndex
    make_reranker: Callable[[], Reranker] | None  # None: BM25 only
    reranker_label: str  # "Qwen3-Reranker-0.6B · transformers"
    workspace: Workspace
    bm25_k: int = 100
    rerank_depth: int = 50
    instruction: str | None = None
    preset: str | None = None
    keymap: dict[str, str] | None = None
    notes: tuple[str, ...] = ()  # shown once at start (e.g. config problems)


def format_stats(stats: RerankStats) -> str:
    rate = f"{stats.pairs_per_second:.0f} pairs/s" if stats.seconds > 0 and stats.pairs > stats.cache_hits else "all cached"
    return f"rerank: {stats.pairs} pairs · {stats.seconds * 1000:.0f} ms · {rate} · {stats.cache_hits} cache hits"


def format_metrics(metrics) -> Text:
    """`nDCG@10 0.412 → 0.655 (+0.243)` for each live metric; a hint when nothing is labeled."""
    if metrics is None:
        return Text("metrics: label hits of this query (0–3) to see nDCG, AP, RR, P, R for BM25 → reranked", style="dim")
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{metrics.labeled} labeled  ", style="dim")
    for name, bm25 in metrics.bm25.items():
        line.append(f"{name} {bm25:.3f}")
        if metrics.reranked is not None:
            after = metrics.reranked[name]
            delta = after - bm25
            line.append(f"→{after:.3f}")
            line.append(f"({delta:+.3f})", style="green" if delta > 0 else "red" if delta < 0 else "dim")
        line.append("  ")
    return line


class RerankApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "rerank-tui"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {RerankCommands}

    index_state: var[str] = var("opening", init=False)  # opening…, ready, built, failed
    reranker_state: var[str] = var("loading", init=False)  # off, loading, ready, failed

    def __init__(self, options: AppOptions) -> None:
        super().__init__()
        self.options = options
        self.workspace = options.workspace
        self.search = SearchState.start(options.workspace, options.instruction, options.preset)
        self.index: OpenedIndex | None = None
        self.reranker: Reranker | None = None
        self.set_reactive(RerankApp.reranker_state, "off" if options.make_reranker is None else "loading")
        self.reranker_error = ""
        self._pending_rerank = False
        self._saving: LabelChange | None = None  # the last label change, until it is on disk
        self._instruction_timer = None
        self._model_started = 0.0
        self._bm25_seconds = 0.0

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="header", markup=False)
        with Horizontal(id="query-row"):
            yield Static("Query ", classes="row-label", markup=False)
            yield QueryInput(
                history=self.workspace.history.entries,
                placeholder="type to search · Enter reranks · ↑↓ history",
                id="query",
            )
        yield Static("", id="instruction-title", markup=False)
        yield TextArea(self.search.instruction, id="instruction", soft_wrap=True, show_line_numbers=False)
        with Horizontal(id="panes"):
            yield ResultsPane("BM25 recall", reranked=False, id="bm25-pane")
            yield ResultsPane("Qwen3 reranked", reranked=True, id="rerank-pane")
        yield Static("", id="metrics", markup=False)
        yield Preview(id="preview")
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.workspace.labels.on_saved = lambda saved: self.post_message(LabelsSaved(saved))  # from the writer thread
        if self.options.keymap:
            self.set_keymap(self.options.keymap)
        self.query_one("#query", QueryInput).focus()
        self._refresh_instruction_title()
        self._refresh_header()
        self._pane("bm25").set_message("opening the index…")
        self._set_rerank_idle_message()
        for problem in self.workspace.problems:
            self.notify(f"{problem} (kept as it is; changes to it are not saved)", severity="error", timeout=15)
        for note in self.options.notes:
            self.notify(note, severity="warning", timeout=10)
        self.open_index()
        if self.options.make_reranker is not None:
            self._start_loading_reranker()
            self.set_interval(0.5, self._tick_loading)

    def on_unmount(self) -> None:
        self.workspace.labels.on_saved = None

    def _pane(self, which: str) -> ResultsPane:
        return self.query_one(f"#{which}-pane", ResultsPane)

    # -- header and status -------------------------------------------------------------------

    def watch_index_state(self) -> None:
        self._refresh_header()

    def watch_reranker_state(self) -> None:
        self._refresh_header()

    def _refresh_header(self) -> None:
        header = Text(no_wrap=True, overflow="ellipsis")
        source = self.options.source.rstrip("/")
        header.append(one_line(source.rsplit("/", 1)[-1] or source, 30), style="bold")
        if self.index is not None:
            header.append(f" · {len(self.index.index)} passages", style="not bold")
        header.append(f" · index {self.index_state}")
        header.append(f" │ {self.options.reranker_label}")
        if self.reranker_state == "loading":
            header.append(f" · loading {time.monotonic() - self._model_started:.0f}s", style="yellow")
        elif self.reranker_state == "ready":
            device = self.reranker.device
            header.append(f" · {device}" if device else "")
            header.append(" · ready", style="green")
        elif self.reranker_state == "failed":
            header.append(" · failed", style="bold red")
        self.query_one("#header", Static).update(header)

    def _tick_loading(self) -> None:
        if self.reranker_state == "loading" or self.index_state.startswith("opening"):
            self._refresh_header()

    def _set_status(self, text: str = "") -> None:
        self.query_one("#status", Static).update(
            Text(text or "type a query · Enter reranks · ? or F1: keys", no_wrap=True, overflow="ellipsis")
        )

    def _notify_error(self, error: Exception) -> None:
        self.notify(str(error), severity="error", timeout=10)

    # -- index -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="index", exit_on_error=False, name="index")
    def open_index(self) -> None:
        def progress(done: int, total: int | None, what: str = "") -> None:
            self.post_message(IndexProgress(f"opening {done}/{total}" if total else f"opening {done}"))

        self.post_message(IndexOpened(self.options.open_index(progress=progress)))

    @on(IndexProgress)
    def _index_progress(self, event: IndexProgress) -> None:
        if self.index is None:
            self.index_state = event.state

    @on(IndexOpened)
    def _index_opened(self, event: IndexOpened) -> None:
        opened = event.opened
        self.index = opened
        self.index_state = "built" if opened.built else "ready"
        skipped = len(opened.stats.skipped)
        if skipped:
            reasons = ", ".join(f"{r} {n}" for r, n in opened.stats.skipped_by_reason().items())
            self.notify(f"{skipped} files skipped: {reasons} (rerank-tui index -v lists them)", timeout=8)
        self._pane("bm25").set_message("")
        if self.search.typed.strip():
            self.search_bm25(self.search.typed, debounce=False)
        if self._pending_rerank:
            self.request_rerank()

    # -- reranker --------------------------------------------------------------------------

    def _start_loading_reranker(self) -> None:
        self._model_started = time.monotonic()
        self.reranker_state = "loading"
        self.load_reranker()

    @work(thread=True, exclusive=True, group="model", exit_on_error=False, name="model")
    def load_reranker(self) -> None:
        self.post_message(RerankerLoaded(self.options.make_reranker()))

    @on(RerankerLoaded)
    def _reranker_loaded(self, event: RerankerLoaded) -> None:
        self.reranker = event.reranker
        self.reranker_state = "ready"
        for note in getattr(self.reranker, "notes", ()):
            self.notify(str(note), timeout=8)
        self._set_rerank_idle_message()
        if self._pending_rerank:
            self.request_rerank()

    def _set_rerank_idle_message(self) -> None:
        pane = self._pane("rerank")
        if self.reranker_state == "off":
            pane.set_message("no reranker (started with --no-rerank)")
        elif self.reranker_state == "loading":
            pane.set_message("loading the reranker… BM25 works meanwhile")
        elif self.reranker_state == "ready" and not self.search.ranking:
            pane.set_message("press Enter in the query box to rerank")

    def _reranker_failed(self, error: BaseException) -> None:
        self.reranker_error = str(error) or type(error).__name__
        self.reranker_state = "failed"
        message = Text()
        message.append("Reranker failed: ", style="bold")
        message.append(one_line(self.reranker_error, 400))
        if not isinstance(error, RerankerError):  # those carry their own hint
            message.append("\nHint: check --model and --backend (rerank-tui tui -h)")
        message.append("\nBM25 and labels keep working.")
        self._pane("rerank").set_message(message, error=True)

    # -- BM25 as you type ------------------------------------------------------------------------

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        self.search.typed = event.value
        self.search_bm25(event.value)

    @work(thread=True, exclusive=True, group="bm25", exit_on_error=False, name="bm25")
    def search_bm25(self, query: str, debounce: bool = True) -> None:
        worker = get_current_worker()
        # Debounce only when searching is slow enough for a burst of keys to queue up work;
        # a fast index answers every key at once (a newer key cancels the older worker).
        if debounce and self._bm25_seconds > BM25_FAST_S:
            time.sleep(BM25_DEBOUNCE_S)
        if worker.is_cancelled or self.index is None:
            return
        started = time.perf_counter()
        hits = self.index.index.search(query, self.options.bm25_k) if query.strip() else []
        self._bm25_seconds = time.perf_counter() - started
        if not worker.is_cancelled:
            self.post_message(Bm25Ready(query, hits))

    @on(Bm25Ready)
    def _bm25_ready(self, event: Bm25Ready) -> None:
        had_ranking = self.search.ranked_for is not None
        if not self.search.accept_hits(event.query, event.hits):
            return  # typed on since: a newer search is on its way
        query, hits = event.query, event.hits
        pane = self._pane("bm25")
        pane.set_title(f"BM25 recall · {len(hits)} hits" if query.strip() else "BM25 recall")
        pane.set_message("" if hits or not query.strip() else "no passage shares a term with the query")
        pane.table.show(hits, self.label_of)
        if had_ranking and self.search.ranked_for is None:
            self._clear_reranked("query changed · Enter reranks")
        # The preview and metrics follow a frame later: the hits come first while typing.
        self.call_after_refresh(self._update_preview)
        self.call_after_refresh(self._refresh_metrics)

    def _clear_reranked(self, message: str) -> None:
        self.search.clear_ranking()
        pane = self._pane("rerank")
        pane.table.show([], self.label_of)
        pane.set_title("Qwen3 reranked")
        if self.reranker_state != "failed":
            pane.set_message(message)

    # -- rerank ------------------------------------------------------------------------------

    @on(Input.Submitted, "#query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        if query:
            self.query_one("#query", QueryInput).remember(query)
            self._attempt(self.search.remember_query, query)
        self.request_rerank()

    def action_rerank(self) -> None:
        self.request_rerank()

    def request_rerank(self) -> None:
        query = self.search.typed
        if not query.strip() or self.reranker_state == "off":
            return
        if self.reranker_state == "failed":  # e.g. `vllm serve` started after the app: try again
            self._pending_rerank = True
            self._pane("rerank").set_message("trying the reranker again…")
            self._start_loading_reranker()
            return
        if self.index is None or self.reranker is None:
            self._pending_rerank = True
            return
        self._pending_rerank = False
        hits = self.index.index.search(query, self.options.rerank_depth)
        if not hits:
            self._clear_reranked("nothing to rerank: BM25 found no passage")
            return
        self._pane("rerank").set_message(f"reranking {len(hits)} passages…")
        self.rerank(query, self.search.instruction, hits)

    @work(thread=True, exclusive=True, group="rerank", exit_on_error=False, name="rerank")
    def rerank(self, query: str, instruction: str, hits: list[Hit]) -> None:
        worker = get_current_worker()
        try:
            ranked, stats = rerank_hits(
                self.reranker, query, hits, instruction,
                cancel=lambda: worker.is_cancelled,
                on_wait=lambda: self.post_message(RerankWaiting(len(hits))),
            )
        except RerankCancelled:
            return
        if not worker.is_cancelled:
            self.post_message(Reranked(query, instruction, ranked, stats))

    @on(RerankWaiting)
    def _rerank_waiting(self, event: RerankWaiting) -> None:
        self._pane("rerank").set_message(
            f"waiting for the model to drop the previous request (at its next batch) · then reranking {event.passages} passages…"
        )

    @on(Reranked)
    def _reranked(self, event: Reranked) -> None:
        if not self.search.accept_ranking(event.query, event.instruction, event.ranking, event.stats):
            return  # stale: the user moved on
        self._attempt(self.search.record_try)
        pane = self._pane("rerank")
        stale = " · instruction edited, reranking soon" if self.search.ranking_is_stale else ""
        pane.set_title(f"Qwen3 reranked · top {len(event.ranking)}{stale}")
        pane.set_message("")
        pane.table.show(event.ranking, self.label_of)
        self._set_status(format_stats(event.stats))
        self._update_preview()
        self._refresh_metrics()

    # -- instruction and presets -----------------------------------------------------------------

    @on(TextArea.Changed, "#instruction")
    def _instruction_changed(self, event: TextArea.Changed) -> None:
        self.search.instruction = event.text_area.text
        self._refresh_instruction_title()
        if self._instruction_timer is not None:
            self._instruction_timer.stop()
            self._instruction_timer = None
        if INSTRUCTION_DEBOUNCE_S > 0:
            self._instruction_timer = self.set_timer(INSTRUCTION_DEBOUNCE_S, self._instruction_settled)
        else:  # no debounce: at the next turn of the message loop
            self.call_later(self._instruction_settled)

    def _instruction_settled(self) -> None:
        self._instruction_timer = None
        if self.search.ranking_is_stale:
            self.request_rerank()

    def _refresh_instruction_title(self) -> None:
        self.query_one("#instruction-title", Static).update(self.search.instruction_title())

    def _show_instruction(self) -> None:
        """Put the search state's instruction in the editor and rerank with it."""
        self.query_one("#instruction", TextArea).text = self.search.instruction
        self._refresh_instruction_title()
        if self._instruction_timer is not None:
            self._instruction_timer.stop()
            self._instruction_timer = None
        if self.search.typed.strip():
            self.request_rerank()  # the score cache answers instructions seen before

    def apply_preset(self, name: str) -> None:
        if self._attempt(self.search.apply_preset, name) is not None:
            self._show_instruction()

    def action_save_preset(self) -> None:
        def save(name: str | None) -> None:
            if name:
                self._preset_changed(self._attempt(self.search.save_preset, name))

        self.push_screen(NamePrompt("Save the instruction as preset", self.search.preset or ""), save)

    def action_pick_preset(self) -> None:
        def picked(result) -> None:
            if result is None:
                return
            action, name = result
            if action == "select":
                self.apply_preset(name)
            elif action == "rename":
                self._rename_preset(name)
            elif action == "delete":
                self._preset_changed(self._attempt(self.search.delete_preset, name))

        items = list(self.workspace.presets.presets.items())
        self.push_screen(
            Picker("Presets", items, {"r": "rename", "d": "delete"}, "Enter switches · r renames · d deletes · Escape cancels"),
            picked,
        )

    def action_rename_preset(self) -> None:
        if self.search.preset:
            self._rename_preset(self.search.preset)

    def action_delete_preset(self) -> None:
        if self.search.preset:
            self._preset_changed(self._attempt(self.search.delete_preset, self.search.preset))

    def _rename_preset(self, old: str) -> None:
        def rename(new: str | None) -> None:
            if new and new != old:
                self._preset_changed(self._attempt(self.search.rename_preset, old, new))

        self.push_screen(NamePrompt(f"Rename preset {old!r} to", old), rename)

    def _preset_changed(self, message: str | None) -> None:
        if message is not None:
            self._refresh_instruction_title()
            self.notify(message)

    def _attempt(self, operation, *args):
        """Run a search-state operation; its `SearchError` becomes a notification (and None)."""
        try:
            return operation(*args)
        except SearchError as exc:
            self._notify_error(exc)
            return None

    # -- labels ----------------------------------------------------------------------------------

    def label_of(self, hit: Hit) -> tuple[Label | None, str]:
        """The shown query's label of a hit, and the passage's current text (stale check)."""
        return self.search.label_of(hit.passage.id), hit.passage.text

    def _target_hit(self) -> Hit | None:
        if isinstance(self.screen, PassageScreen):
            return self.screen.hit
        focused = self.focused
        return focused.current_hit if isinstance(focused, ResultsTable) else None

    def action_label(self, grade: int) -> None:
        hit = self._target_hit()
        if hit is None or not self.search.query.strip():
            return
        change = self._attempt(self.search.label, hit, grade)
        if change is None:
            return
        self._labels_changed(change)
        if isinstance(focused := self.focused, ResultsTable) and not isinstance(self.screen, PassageScreen):
            focused.action_cursor_down()

    def action_clear_label(self) -> None:
        hit = self._target_hit()
        if hit is not None and (change := self._attempt(self.search.clear_label, hit)) is not None:
            self._labels_changed(change)

    def action_undo_label(self) -> None:
        try:
            change = self.search.undo_label()
        except SearchError as exc:
            self._notify_error(exc)
            return
        if change is None:
            self.notify("nothing to undo")
        else:
            self._labels_changed(change)

    def _labels_changed(self, change: LabelChange | None) -> None:
        """Show a label change at once; the status says "saved" when the writer has it on disk."""
        for pane in self.query(ResultsPane):
            pane.table.refresh_labels(self.label_of)
        if isinstance(self.screen, PassageScreen):
            self.screen.refresh_label(self.search.label_of(self.screen.hit.passage.id))
        if change is not None:
            self._saving = change
            self._set_status(f"{change.message} · saving…")
        self._update_preview()
        self._refresh_metrics()

    @on(LabelsSaved)
    def _labels_saved(self, event: LabelsSaved) -> None:
        saved: Saved = event.saved
        if saved.error is not None:
            self.notify(f"label NOT saved: {saved.error}", severity="error", timeout=10)
            self._saving = None
            self._set_status("label NOT saved (see the message)")
            self._labels_changed(None)  # the store took the change back: show what is on disk
            return
        change = self._saving
        if change is not None and any(c.query == change.query and c.doc == change.doc and c.label is change.label for c in saved.changes):
            self._saving = None
            self._set_status(f"{change.message} · saved")

    # -- live metrics of the current query -----------------------------------------------------

    def _refresh_metrics(self) -> None:
        query = self.search.query
        labels = self.workspace.labels.for_query(query)
        metrics = query_metrics(labels, self.search.hits, self.search.current_ranking()) if query.strip() else None
        self.query_one("#metrics", Static).update(format_metrics(metrics))

    # -- preview, screens, focus ---------------------------------------------------------------

    @on(ResultsTable.RowHighlighted)
    def _row_highlighted(self, event: ResultsTable.RowHighlighted) -> None:
        if isinstance(event.data_table, ResultsTable):
            self._update_preview(event.data_table)

    def _update_preview(self, table: ResultsTable | None = None) -> None:
        if table is None:
            focused = self.focused
            table = focused if isinstance(focused, ResultsTable) else self._pane("bm25").table
        hit = table.current_hit if isinstance(table, ResultsTable) else None
        label = self.search.label_of(hit.passage.id) if hit else None
        if self.index is not None:
            self.query_one(Preview).show(hit, self.search.query, self.index.index.tokenizer, label)

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, ResultsTable):
            self._update_preview(event.widget)

    @on(ResultsTable.RowSelected)
    def _open_passage(self, event: ResultsTable.RowSelected) -> None:
        if not isinstance(event.data_table, ResultsTable):
            return  # a table of another screen
        hit = event.data_table.current_hit
        if hit is not None and self.index is not None:
            label = self.search.label_of(hit.passage.id)
            self.push_screen(PassageScreen(hit, self.search.query, self.index.index.tokenizer, label))

    def action_tries(self) -> None:
        def picked(instruction: str | None) -> None:
            if instruction is not None:
                self.search.use_instruction(instruction)
                self._show_instruction()

        ready = self.reranker if self.reranker_state == "ready" else None
        self.push_screen(
            TriesScreen(self.workspace, self.index, ready, self.options.rerank_depth, self.search.query), picked
        )

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.options.keymap or {}))

    def action_focus_query(self) -> None:
        self.query_one("#query", QueryInput).focus()

    def action_focus_instruction(self) -> None:
        self.query_one("#instruction", TextArea).focus()

    def action_recent_queries(self) -> None:
        recent = self.workspace.history.recent(50) or list(reversed(self.query_one("#query", QueryInput).history))
        if not recent:
            self.notify("no queries yet")
            return

        def picked(result) -> None:
            if result is not None:
                query_input = self.query_one("#query", QueryInput)
                query_input.value = result[1]
                query_input.focus()

        self.push_screen(Picker("Recent queries", [(q, "") for q in recent]), picked)

    # -- errors from workers, in one place ---------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        if worker.name == "model":
            self._reranker_failed(error)
        elif worker.name == "index":
            self.index_state = "failed"
            self._pane("bm25").set_message(Text(f"Cannot open the corpus: {one_line(str(error), 300)}"), error=True)
        elif worker.name == "rerank":
            message = Text(f"Rerank failed: {one_line(str(error) or type(error).__name__, 400)}")
            self._pane("rerank").set_message(message, error=True)
        else:
            self.notify(f"{worker.name} failed: {one_line(str(error), 200)}", severity="error")
