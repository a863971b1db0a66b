"""The app: BM25 recall and Qwen3 reranking side by side, labels and presets from the keyboard.

Slow work runs in thread workers and reports back with `call_from_thread`: opening the index
(group "index"), loading the model ("model"), BM25 as the query is typed ("bm25", debounced,
exclusive) and reranking ("rerank", exclusive: a newer request cancels the older one between
batches, and a result for a query or instruction that is no longer current is dropped).
Failures are handled in one place, `on_worker_state_changed`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Static, TextArea
from textual.worker import Worker, WorkerState, get_current_worker

from rerank_tui.recall.index import Hit
from rerank_tui.recall.store import OpenedIndex
from rerank_tui.rerank.base import Reranker, RerankStats
from rerank_tui.rerank.errors import RerankCancelled, RerankerError
from rerank_tui.safe_text import one_line
from rerank_tui.session.labels import Label, Saved
from rerank_tui.session.query_metrics import query_metrics
from rerank_tui.session.ranking import RerankedHit, rerank_hits
from rerank_tui.session.store import WorkspaceFileError
from rerank_tui.session.workspace import Workspace
from rerank_tui.tui.bindings import APP_BINDINGS
from rerank_tui.tui.commands import RerankCommands
from rerank_tui.tui.messages import LabelsSaved
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


class _Locked:
    """Delegates to a reranker, holding a lock for each scoring call."""

    def __init__(self, reranker, lock) -> None:
        self._reranker, self._lock = reranker, lock

    def __getattr__(self, name):
        return getattr(self._reranker, name)

    def score_with_stats(self, *args, **kwargs):
        with self._lock:
            return self._reranker.score_with_stats(*args, **kwargs)

    def rank_with_stats(self, *args, **kwargs):
        with self._lock:
            return self._reranker.rank_with_stats(*args, **kwargs)


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


def reranker_device(reranker) -> str:
    """Where a reranker runs, for the header: `cpu`, `cuda:0`, or the kind of backend."""
    while reranker is not None and hasattr(reranker, "backend"):
        reranker = reranker.backend  # through caching wrappers
    device = getattr(reranker, "device", None)
    if device is not None:
        return str(device)
    identity = getattr(reranker, "identity", "")
    return identity.split(":", 1)[0] if identity.startswith(("vllm", "http", "cascade")) else ""


class RerankApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "rerank-tui"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {RerankCommands}

    def __init__(self, options: AppOptions) -> None:
        super().__init__()
        self.options = options
        self.workspace = options.workspace
        self.index: OpenedIndex | None = None
        self.reranker: Reranker | None = None
        self.reranker_state = "off" if options.make_reranker is None else "loading"
        self.reranker_error = ""
        self.index_state = "opening"
        self.bm25_hits: list[Hit] = []
        self.bm25_query = ""
        self.reranked: list[RerankedHit] = []
        self.reranked_for: tuple[str, str] | None = None  # (query, instruction) shown
        self.preset_name = options.preset
        self.last_stats_text = ""
        self._pending_rerank = False
        self._saving: tuple[str, tuple] | None = None  # the last label change, until it is on disk
        self._instruction_timer = None
        self._rerank_lock = threading.Lock()
        self._model_started = 0.0
        self._bm25_seconds = 0.0
        presets = self.workspace.presets
        if options.instruction is not None:
            self.initial_instruction = options.instruction
            self.preset_name = presets.name_of(options.instruction)
        else:
            name = options.preset if options.preset in presets.presets else ("default" if "default" in presets.presets else None)
            self.preset_name = name
            self.initial_instruction = presets.get(name) if name else ""

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
        yield TextArea(self.initial_instruction or "", id="instruction", soft_wrap=True, show_line_numbers=False)
        with Horizontal(id="panes"):
            yield ResultsPane("BM25 recall", reranked=False, id="bm25-pane")
            yield ResultsPane("Qwen3 reranked", reranked=True, id="rerank-pane")
        yield Static("", id="metrics", markup=False)
        yield Preview(id="preview")
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.workspace.labels.on_saved = self._labels_saved_elsewhere
        if self.options.keymap:
            self.set_keymap(self.options.keymap)
        self.query_one("#query", QueryInput).focus()
        self._refresh_instruction_title()
        self._refresh_header()
        self.query_one("#bm25-pane", ResultsPane).set_message("opening the index…")
        self._set_rerank_idle_message()
        for problem in self.workspace.problems:
            self.notify(f"{problem} (kept as it is; changes to it are not saved)", severity="error", timeout=15)
        for note in self.options.notes:
            self.notify(note, severity="warning", timeout=10)
        self.open_index()
        if self.options.make_reranker is not None:
            self._model_started = time.monotonic()
            self.load_reranker()
            self.set_interval(0.5, self._tick_loading)

    # -- header and status -------------------------------------------------------------------

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
            device = reranker_device(self.reranker)
            header.append(f" · {device}" if device else "")
            header.append(" · ready", style="green")
        elif self.reranker_state == "failed":
            header.append(" · failed", style="bold red")
        self.query_one("#header", Static).update(header)

    def _tick_loading(self) -> None:
        if self.reranker_state == "loading" or self.index_state.startswith("opening"):
            self._refresh_header()

    def _set_status(self, text: str = "") -> None:
        self.last_stats_text = text or self.last_stats_text
        self.query_one("#status", Static).update(
            Text(self.last_stats_text or "type a query · Enter reranks · ? or F1: keys", no_wrap=True, overflow="ellipsis")
        )

    # -- index -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="index", exit_on_error=False, name="index")
    def open_index(self) -> None:
        def progress(done: int, total: int | None, what: str = "") -> None:
            state = f"opening {done}/{total}" if total else f"opening {done}"
            self.call_from_thread(self._index_progress, state)

        opened = self.options.open_index(progress=progress)
        self.call_from_thread(self._index_ready, opened)

    def _index_progress(self, state: str) -> None:
        self.index_state = state
        self._refresh_header()

    def _index_ready(self, opened: OpenedIndex) -> None:
        self.index = opened
        self.index_state = "built" if opened.built else "ready"
        skipped = len(opened.stats.skipped)
        if skipped:
            reasons = ", ".join(f"{r} {n}" for r, n in opened.stats.skipped_by_reason().items())
            self.notify(f"{skipped} files skipped: {reasons} (rerank-tui index -v lists them)", timeout=8)
        self._refresh_header()
        pane = self.query_one("#bm25-pane", ResultsPane)
        pane.set_message("")
        query = self.query_one("#query", QueryInput).value
        if query.strip():
            self.search_bm25(query, debounce=False)
        if self._pending_rerank:
            self.request_rerank()

    # -- reranker --------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="model", exit_on_error=False, name="model")
    def load_reranker(self) -> None:
        reranker = self.options.make_reranker()
        self.call_from_thread(self._reranker_ready, reranker)

    def _reranker_ready(self, reranker: Reranker) -> None:
        self.reranker = reranker
        self.reranker_state = "ready"
        for note in getattr(reranker, "notes", ()):
            self.notify(str(note), timeout=8)
        self._refresh_header()
        self._set_rerank_idle_message()
        if self._pending_rerank:
            self.request_rerank()

    def _set_rerank_idle_message(self) -> None:
        pane = self.query_one("#rerank-pane", ResultsPane)
        if self.reranker_state == "off":
            pane.set_message("no reranker (started with --no-rerank)")
        elif self.reranker_state == "loading":
            pane.set_message("loading the reranker… BM25 works meanwhile")
        elif self.reranker_state == "ready" and not self.reranked:
            pane.set_message("press Enter in the query box to rerank")

    def _reranker_failed(self, error: BaseException) -> None:
        self.reranker_state = "failed"
        self.reranker_error = str(error) or type(error).__name__
        self._refresh_header()
        message = Text()
        message.append("Reranker failed: ", style="bold")
        message.append(one_line(self.reranker_error, 400))
        if not isinstance(error, RerankerError):  # those carry their own hint
            message.append("\nHint: check --model and --backend (rerank-tui tui -h)")
        message.append("\nBM25 and labels keep working.")
        self.query_one("#rerank-pane", ResultsPane).set_message(message, error=True)

    # -- BM25 as you type ------------------------------------------------------------------------

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
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
            self.call_from_thread(self._show_bm25, query, hits)

    def _show_bm25(self, query: str, hits: list[Hit]) -> None:
        if query != self.query_one("#query", QueryInput).value:
            return  # typed on since: a newer search is on its way
        self.bm25_query = query
        self.bm25_hits = hits
        pane = self.query_one("#bm25-pane", ResultsPane)
        pane.set_title(f"BM25 recall · {len(hits)} hits" if query.strip() else "BM25 recall")
        pane.set_message("" if hits or not query.strip() else "no passage shares a term with the query")
        pane.table.show(hits, self._label_of)
        if self.reranked_for and self.reranked_for[0] != query:
            self._clear_reranked("query changed · Enter reranks")
        # The preview and metrics follow a frame later: the hits come first while typing.
        self.call_after_refresh(self._update_preview)
        self.call_after_refresh(self._refresh_metrics)

    def _clear_reranked(self, message: str) -> None:
        self.reranked = []
        self.reranked_for = None
        pane = self.query_one("#rerank-pane", ResultsPane)
        pane.table.show([], self._label_of)
        pane.set_title("Qwen3 reranked")
        if self.reranker_state != "failed":
            pane.set_message(message)

    # -- rerank ------------------------------------------------------------------------------

    @on(Input.Submitted, "#query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        if query:
            self.query_one("#query", QueryInput).remember(query)
            if not self.workspace.history.read_only:  # a broken file was reported at start
                try:
                    self.workspace.history.add(query)
                except (OSError, WorkspaceFileError) as exc:
                    self.notify(f"query history not saved: {exc}", severity="warning")
        self.request_rerank()

    def action_rerank(self) -> None:
        self.request_rerank()

    @property
    def instruction(self) -> str:
        return self.query_one("#instruction", TextArea).text

    def request_rerank(self) -> None:
        query = self.query_one("#query", QueryInput).value
        if not query.strip():
            return
        if self.reranker_state == "off":
            return
        if self.reranker_state == "failed":  # e.g. `vllm serve` started after the app: try again
            self.reranker_state = "loading"
            self._model_started = time.monotonic()
            self._pending_rerank = True
            self._refresh_header()
            self.query_one("#rerank-pane", ResultsPane).set_message("trying the reranker again…")
            self.load_reranker()
            return
        if self.index is None or self.reranker is None:
            self._pending_rerank = True
            return
        self._pending_rerank = False
        hits = self.index.index.search(query, self.options.rerank_depth)
        if not hits:
            self._clear_reranked("nothing to rerank: BM25 found no passage")
            return
        pane = self.query_one("#rerank-pane", ResultsPane)
        pane.set_message(f"reranking {len(hits)} passages…")
        self.rerank(query, self.instruction, hits)

    @work(thread=True, exclusive=True, group="rerank", exit_on_error=False, name="rerank")
    def rerank(self, query: str, instruction: str, hits: list[Hit]) -> None:
        worker = get_current_worker()
        # One in-process model, one call at a time: a cancelled call stops at its next batch
        # boundary. A server takes overlapping requests: a stale one never holds up the new.
        lock = nullcontext() if self.reranker.thread_safe else self._rerank_lock
        if lock is self._rerank_lock and self._rerank_lock.locked():
            self.call_from_thread(
                self.query_one("#rerank-pane", ResultsPane).set_message,
                f"waiting for the model to drop the previous request (at its next batch) · then reranking {len(hits)} passages…",
            )
        with lock:
            if worker.is_cancelled:
                return
            try:
                ranked, stats = rerank_hits(
                    self.reranker, query, hits, instruction, cancel=lambda: worker.is_cancelled
                )
            except RerankCancelled:
                return
        if not worker.is_cancelled:
            self.call_from_thread(self._show_reranked, query, instruction, ranked, stats)

    def _show_reranked(self, query: str, instruction: str, ranked: list[RerankedHit], stats: RerankStats) -> None:
        if query != self.query_one("#query", QueryInput).value:
            return  # stale: the user moved on
        self.reranked = ranked
        self.reranked_for = (query, instruction)
        if not self.workspace.tries.read_only:  # a broken file was reported at start
            try:
                self.workspace.tries.record(instruction, self.workspace.presets.name_of(instruction))
            except (OSError, WorkspaceFileError) as exc:
                self.notify(f"try not recorded: {exc}", severity="warning")
        pane = self.query_one("#rerank-pane", ResultsPane)
        stale = instruction != self.instruction
        pane.set_title(f"Qwen3 reranked · top {len(ranked)}" + (" · instruction edited, reranking soon" if stale else ""))
        pane.set_message("")
        pane.table.show(ranked, self._label_of)
        self._set_status(format_stats(stats))
        self._update_preview()
        self._refresh_metrics()

    # -- instruction and presets -----------------------------------------------------------------

    @on(TextArea.Changed, "#instruction")
    def _instruction_changed(self, event: TextArea.Changed) -> None:
        self._refresh_instruction_title()
        if self._instruction_timer is not None:
            self._instruction_timer.stop()
        self._instruction_timer = self.set_timer(INSTRUCTION_DEBOUNCE_S, self._instruction_settled)

    def _instruction_settled(self) -> None:
        self._instruction_timer = None
        if self.reranked_for is not None and self.reranked_for[1] != self.instruction:
            self.request_rerank()

    def _refresh_instruction_title(self) -> None:
        presets = self.workspace.presets
        text = self.instruction if self.is_mounted else self.initial_instruction
        name = self.preset_name
        if name and presets.get(name) == text:
            title = f"Instruction · preset {name}"
        elif name and name in presets.presets:
            title = f"Instruction · preset {name} · modified (ctrl+s saves)"
        else:
            title = "Instruction · unsaved (ctrl+s saves as a preset)"
        self.query_one("#instruction-title", Static).update(title)

    def apply_preset(self, name: str) -> None:
        instruction = self.workspace.presets.get(name)
        if instruction is None:
            return
        self.preset_name = name
        self.query_one("#instruction", TextArea).text = instruction
        self._refresh_instruction_title()
        if self._instruction_timer is not None:
            self._instruction_timer.stop()
            self._instruction_timer = None
        if self.query_one("#query", QueryInput).value.strip():
            self.request_rerank()  # the score cache answers instructions seen before

    def action_save_preset(self) -> None:
        def save(name: str | None) -> None:
            if not name:
                return
            try:
                self.workspace.presets.save(name, self.instruction)
            except (ValueError, OSError, WorkspaceFileError) as exc:
                self.notify(str(exc), severity="error")
                return
            self.preset_name = name
            self._refresh_instruction_title()
            self.notify(f"saved preset {name!r} to {self.workspace.presets.path}")

        self.push_screen(NamePrompt("Save the instruction as preset", self.preset_name or ""), save)

    def action_pick_preset(self) -> None:
        items = [(name, text) for name, text in self.workspace.presets.presets.items()]

        def picked(result) -> None:
            if result is None:
                return
            action, name = result
            if action == "select":
                self.apply_preset(name)
            elif action == "rename":
                self._rename_preset(name)
            elif action == "delete":
                self._delete_preset(name)

        self.push_screen(
            Picker("Presets", items, {"r": "rename", "d": "delete"}, "Enter switches · r renames · d deletes · Escape cancels"),
            picked,
        )

    def action_rename_preset(self) -> None:
        if self.preset_name:
            self._rename_preset(self.preset_name)

    def action_delete_preset(self) -> None:
        if self.preset_name:
            self._delete_preset(self.preset_name)

    def _rename_preset(self, old: str) -> None:
        def rename(new: str | None) -> None:
            if not new or new == old:
                return
            try:
                self.workspace.presets.rename(old, new)
            except (KeyError, ValueError, OSError, WorkspaceFileError) as exc:
                self.notify(str(exc), severity="error")
                return
            if self.preset_name == old:
                self.preset_name = new
            self._refresh_instruction_title()
            self.notify(f"renamed preset {old!r} to {new!r}")

        self.push_screen(NamePrompt(f"Rename preset {old!r} to", old), rename)

    def _delete_preset(self, name: str) -> None:
        try:
            self.workspace.presets.delete(name)
        except (KeyError, OSError, WorkspaceFileError) as exc:
            self.notify(str(exc), severity="error")
            return
        if self.preset_name == name:
            self.preset_name = None
        self._refresh_instruction_title()
        self.notify(f"deleted preset {name!r}")

    # -- labels ----------------------------------------------------------------------------------

    def _label_of(self, hit: Hit) -> tuple[Label | None, str]:
        return self.workspace.labels.get(self.bm25_query, hit.passage.id), hit.passage.text

    def _target_hit(self) -> Hit | None:
        screen = self.screen
        if isinstance(screen, PassageScreen):
            return screen.hit
        focused = self.focused
        if isinstance(focused, ResultsTable):
            return focused.current_hit
        return None

    def action_label(self, grade: int) -> None:
        hit = self._target_hit()
        query = self.bm25_query
        if hit is None or not query.strip():
            return
        try:
            label = self.workspace.labels.set(query, hit.passage.id, grade, hit.passage.text)
        except (OSError, WorkspaceFileError) as exc:
            self.notify(f"label NOT saved: {exc}", severity="error", timeout=10)
            return
        self._labels_changed(f"labeled {hit.passage.id} {label.grade}", (query, hit.passage.id, label))
        screen = self.screen
        if isinstance(focused := self.focused, ResultsTable) and not isinstance(screen, PassageScreen):
            focused.action_cursor_down()

    def action_clear_label(self) -> None:
        hit = self._target_hit()
        if hit is None:
            return
        try:
            removed = self.workspace.labels.clear(self.bm25_query, hit.passage.id)
        except (OSError, WorkspaceFileError) as exc:
            self.notify(f"label NOT cleared: {exc}", severity="error", timeout=10)
            return
        if removed is not None:
            self._labels_changed(f"cleared the label of {hit.passage.id}", (self.bm25_query, hit.passage.id, None))

    def action_undo_label(self) -> None:
        try:
            undone = self.workspace.labels.undo()
        except (OSError, WorkspaceFileError) as exc:
            self.notify(f"undo NOT saved: {exc}", severity="error", timeout=10)
            return
        if undone is None:
            self.notify("nothing to undo")
            return
        self._labels_changed(f"undid the label change of {undone[1]}", (*undone, self.workspace.labels.get(*undone)))

    def _labels_changed(self, message: str, change: tuple | None = None) -> None:
        """Show a label change at once; the status says "saved" when the writer has it on disk."""
        if change is not None:
            self._saving = (message, change)
            message += " · saving…"
        for pane in self.query(ResultsPane):
            pane.table.refresh_labels(self._label_of)
        if isinstance(self.screen, PassageScreen):
            self.screen.refresh_label(self.workspace.labels.get(self.bm25_query, self.screen.hit.passage.id))
        self._set_status(message)
        self._update_preview()
        self._refresh_metrics()

    def _labels_saved_elsewhere(self, saved: Saved) -> None:
        """Called on the label writer's thread."""
        self.post_message(LabelsSaved(saved))

    @on(LabelsSaved)
    def _labels_saved(self, event: LabelsSaved) -> None:
        saved = event.saved
        if saved.error is not None:
            self.notify(f"label NOT saved: {saved.error}", severity="error", timeout=10)
            self._labels_changed("label NOT saved (see the message)")
            return
        if self._saving is None:
            return
        message, (query, doc, label) = self._saving
        if any(c.query == query and c.doc == doc and c.label is label for c in saved.changes):
            self._saving = None
            self._set_status(f"{message} · saved")

    # -- live metrics of the current query -----------------------------------------------------

    def _refresh_metrics(self) -> None:
        query = self.bm25_query
        reranked = self.reranked if self.reranked_for and self.reranked_for[0] == query else None
        metrics = query_metrics(self.workspace.labels.for_query(query), self.bm25_hits, reranked) if query.strip() else None
        self.query_one("#metrics", Static).update(format_metrics(metrics))

    # -- preview, screens, focus ---------------------------------------------------------------

    @on(ResultsTable.RowHighlighted)
    def _row_highlighted(self, event: ResultsTable.RowHighlighted) -> None:
        if isinstance(event.data_table, ResultsTable):
            self._update_preview(event.data_table)

    def _update_preview(self, table: ResultsTable | None = None) -> None:
        if table is None:
            focused = self.focused
            table = focused if isinstance(focused, ResultsTable) else self.query_one("#bm25-pane", ResultsPane).table
        hit = table.current_hit if isinstance(table, ResultsTable) else None
        label = self.workspace.labels.get(self.bm25_query, hit.passage.id) if hit else None
        tokenizer = self.index.index.tokenizer if self.index else None
        if tokenizer is not None:
            self.query_one(Preview).show(hit, self.bm25_query, tokenizer, label)

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, ResultsTable):
            self._update_preview(event.widget)

    @on(ResultsTable.RowSelected)
    def _open_passage(self, event: ResultsTable.RowSelected) -> None:
        if not isinstance(event.data_table, ResultsTable):
            return  # a table of another screen
        hit = event.data_table.current_hit
        if hit is not None and self.index is not None:
            label = self.workspace.labels.get(self.bm25_query, hit.passage.id)
            self.push_screen(PassageScreen(hit, self.bm25_query, self.index.index.tokenizer, label))

    def action_tries(self) -> None:
        def picked(instruction: str | None) -> None:
            if instruction is None:
                return
            self.preset_name = self.workspace.presets.name_of(instruction)
            self.query_one("#instruction", TextArea).text = instruction
            self._refresh_instruction_title()
            if self.query_one("#query", QueryInput).value.strip():
                self.request_rerank()

        self.push_screen(TriesScreen(), picked)

    def locked_reranker(self) -> Reranker:
        """The reranker, one call at a time across workers (screens share the app's model)."""
        return _Locked(self.reranker, self._rerank_lock)

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
            self._refresh_header()
            self.query_one("#bm25-pane", ResultsPane).set_message(
                Text(f"Cannot open the corpus: {one_line(str(error), 300)}"), error=True
            )
        elif worker.name == "rerank":
            message = Text(f"Rerank failed: {one_line(str(error) or type(error).__name__, 400)}")
            self.query_one("#rerank-pane", ResultsPane).set_message(message, error=True)
        else:
            self.notify(f"{worker.name} failed: {one_line(str(error), 200)}", severity="error")
