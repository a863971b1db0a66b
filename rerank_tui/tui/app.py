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

import asyncio
import gc
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.reactive import var
from textual.widgets import Footer, Input, Static, TextArea
from textual.worker import Worker, WorkerState, get_current_worker

from rerank_tui.recall.hit import Hit
from rerank_tui.rerank.base import Reranker, RerankStats
from rerank_tui.rerank.errors import RerankCancelled, RerankerError
from rerank_tui.safe_text import one_line
from rerank_tui.session.corpus_watch import describe_refresh
from rerank_tui.session.label_sources import SUGGESTED, MetricLabels, source_of
from rerank_tui.session.labels import Label, Saved
from rerank_tui.session.query_metrics import query_metrics
from rerank_tui.session.judging import judging_pool, next_unjudged, unjudged
from rerank_tui.session.ranking import RerankedHit, cached_rerank_hits, rerank_hits
from rerank_tui.session.search import LabelChange, SearchError, SearchState
from rerank_tui.session.workspace import Workspace
from rerank_tui.tui.bindings import APP_BINDINGS
from rerank_tui.tui.commands import RerankCommands
from rerank_tui.tui.daemon_executor import DaemonExecutor
from rerank_tui.session.recall_choice import RecallChoice
from rerank_tui.tui.messages import (
    Bm25Ready,
    CorpusChanged,
    DenseReady,
    EmbedProgressed,
    IndexOpened,
    IndexProgress,
    IndexRefreshed,
    LabelsSaved,
    Reranked,
    RerankerLoaded,
    RerankWaiting,
    RunReady,
    SuggestionsChanged,
)
from rerank_tui.tui.screens.dialogs import NamePrompt, Picker
from rerank_tui.tui.screens.passage import PassageScreen
from rerank_tui.tui.widgets.preview import Preview
from rerank_tui.tui.widgets.query_input import QueryInput
from rerank_tui.tui.widgets.results import ResultsPane, ResultsTable

if TYPE_CHECKING:
    from textual.timer import Timer

    from rerank_tui.recall.store import OpenedIndex

    from rerank_tui.tui.screens.query_set import OpenQuery

BM25_DEBOUNCE_S = 0.05
BM25_FAST_S = 0.01  # searches faster than this run on every key, undebounced
INSTRUCTION_DEBOUNCE_S = 0.8
# The metrics line's first words when the metrics count more than people's labels (f4).
METRIC_TAGS = {"human+accepted": "labels h+accepted: ", "all": "labels h+acc+suggested: "}
PREFETCH_QUERY_SET = True  # BM25 the query set's queries in the background once the index is open


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
    recall: RecallChoice | None = None  # the recall sources (None: BM25 alone)
    # (index, progress=, cancel=) -> DenseRecall: embeds what the vector cache lacks
    make_dense: Callable[..., object] | None = None
    # (index) -> RunCandidates: the --recall-run file mapped onto the index
    read_run: Callable[..., object] | None = None
    # (stop event) -> batches of changed paths: the corpus watcher (session/corpus_watch.py)
    watch: Callable[..., Iterator[set[Path]]] | None = None
    # (opened, changed paths) -> a recall.refresh.RefreshResult: `.opened` (the new
    # OpenedIndex), `.changed`; re-reads only the files that changed
    refresh_index: Callable[..., Any] | None = None
    persist_refresh: Callable[[Any], None] | None = None  # writes a refresh to the cache, after the swap
    make_judge: Callable[..., Any] | None = None  # (scale) -> the LLM judge (rerank_tui.judge); None: none configured


def _cached_stats(ranking) -> RerankStats:
    return RerankStats(pairs=len(ranking), cache_hits=len(ranking), tokens=0)


def format_stats(stats: RerankStats) -> str:
    rate = f"{stats.pairs_per_second:.0f} pairs/s" if stats.seconds > 0 and stats.pairs > stats.cache_hits else "all cached"
    return f"rerank: {stats.pairs} pairs · {stats.seconds * 1000:.0f} ms · {rate} · {stats.cache_hits} cache hits"


from rerank_tui.tui.metrics_line import format_metrics  # noqa: E402  (the live metrics line, fitted to a width)


class RerankApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "rerank-tui"
    # Textual types BINDINGS as an invariant list[BindingType]; ours are all Binding, which it only reads.
    BINDINGS = cast("list[BindingType]", APP_BINDINGS)
    COMMANDS = App.COMMANDS | {RerankCommands}

    index_state: var[str] = var("opening", init=False)  # opening…, ready, built, failed
    reranker_state: var[str] = var("loading", init=False)  # off, loading, ready, failed

    def __init__(self, options: AppOptions) -> None:
        super().__init__()
        self.options = options
        self.executor = DaemonExecutor()  # the thread workers' threads (see on_load)
        self.workspace = options.workspace
        self.search = SearchState.start(options.workspace, options.instruction, options.preset)
        self.index: OpenedIndex | None = None
        self.reranker: Reranker | None = None
        self.set_reactive(RerankApp.reranker_state, "off" if options.make_reranker is None else "loading")
        self.reranker_error = ""
        self._pending_rerank = False
        self._saving: LabelChange | None = None  # the last label change, until it is on disk
        self._instruction_timer: Timer | None = None
        self._model_started = 0.0
        self._bm25_seconds = 0.0
        self.recall = options.recall or RecallChoice()
        self._watch_stop = threading.Event()  # ends the corpus watcher
        self._changed: set[Path] = set()  # changed corpus paths not refreshed yet
        self._refreshing = False
        self._recall_generation = 0  # a source switch makes every search and ranking before it stale
        self._recall_result = None  # the left pane's RecallResult
        self.metric_labels = MetricLabels.HUMAN  # which labels the metrics count (f4)
        self.judge = None  # the LLM judge, built on first use (make_judge)
        self._judge_lock = threading.Lock()

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

    def on_load(self) -> None:
        # Thread workers run on daemon threads that quitting abandons (daemon_executor.py).
        asyncio.get_running_loop().set_default_executor(self.executor)

    def on_mount(self) -> None:
        self.workspace.labels.on_saved = lambda saved: self.post_message(LabelsSaved(saved))  # from the writer thread
        if self.options.keymap:
            self.set_keymap(self.options.keymap)
        query_input = self._main.query_one("#query", QueryInput)
        query_input.focus()
        if self.workspace.resume.query:  # where the user left off: BM25 runs once the index is open
            query_input.value = self.search.typed = self.workspace.resume.query
        for pane in self._main.query(ResultsPane):
            pane.table.scale = self.workspace.labels.scale
        self._main.query_one(Preview).scale = self.workspace.labels.scale
        self._refresh_instruction_title()
        self._refresh_header()
        self._pane("bm25").set_message("opening the index…")
        self._set_rerank_idle_message()
        for problem in self.workspace.problems:
            self.notify(f"{problem} (kept as it is; changes to it are not saved)", severity="error", timeout=15)
        for note in self.options.notes:
            self.notify(note, severity="warning", timeout=10)
        # The first frame first: the workers' imports (numpy, torch) would compete with it.
        self.call_after_refresh(self._start_background_work)

    def _start_background_work(self) -> None:
        self.open_index()
        self.load_suggestions()
        if self.options.make_reranker is not None:
            self._start_loading_reranker()
            self.set_interval(0.5, self._tick_loading)

    @work(thread=True, exclusive=True, group="suggestions", exit_on_error=False, name="suggestions")
    def load_suggestions(self) -> None:
        """suggestions.jsonl off the UI thread (0.6 s at 100k judgments): the panes show `2?`
        once it is read."""
        store = self.workspace.suggestions
        if store.read_only:
            problem = next((p for p in self.workspace.problems if str(store.path) in str(p)), None)
            self.call_from_thread(self.notify, f"{problem or store.path}: the judge's suggestions are not shown (fix or move the file)",
                                  severity="error", timeout=10)
        if len(store):
            self.post_message(SuggestionsChanged())

    @on(SuggestionsChanged)
    def _suggestions_changed(self, event: SuggestionsChanged) -> None:
        self._labels_changed(None)

    def on_unmount(self) -> None:
        self.workspace.labels.on_saved = None
        self._watch_stop.set()

    @property
    def _main(self):
        """The main screen (App.query_one looks at the screen on top, which may be another)."""
        return self.screen_stack[0]

    def _pane(self, which: str) -> ResultsPane:
        return self._main.query_one(f"#{which}-pane", ResultsPane)

    MAIN_SCREEN_ACTIONS = frozenset(
        {"rerank", "save_preset", "pick_preset", "focus_query", "focus_instruction", "recent_queries", "tries", "query_set", "query_note", "scratch", "recall_source"}
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The main screen's keys only work there: on the query set, ctrl+s saves a snapshot,
        not a preset (a disabled priority binding lets the key through to the screen's own)."""
        if action in self.MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1:
            return False
        return True

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
        plain = self.reranker is not None and not getattr(self.reranker, "uses_instruction", True)
        header.append(f" │ {getattr(self.reranker, 'label', '') if plain else self.options.reranker_label}")
        if self.reranker_state == "loading":
            header.append(f" · loading {time.monotonic() - self._model_started:.0f}s", style="yellow")
        elif self.reranker_state == "ready":
            assert self.reranker is not None  # "ready" is set once the reranker is there
            device = self.reranker.device
            header.append(f" · {device}" if device else "")
            header.append(" · ready", style="green")
        elif self.reranker_state == "failed":
            header.append(" · failed", style="bold red")
        if self.recall.wants_dense:
            header.append(f" │ {one_line(self.recall.embedder_name, 30)}")
            if self.recall.dense is not None:
                header.append(" · ready", style="green")
            elif self.recall.embedding:
                failed = self.recall.embedding.startswith("failed")
                header.append(f" · {self.recall.embedding}", style="bold red" if failed else "yellow")
        self._main.query_one("#header", Static).update(header, layout=False)  # one line: no layout pass

    def _tick_loading(self) -> None:
        if self.reranker_state == "loading" or self.index_state.startswith("opening"):
            self._refresh_header()

    def _set_status(self, text: str = "") -> None:
        self._main.query_one("#status", Static).update(
            Text(text or "type a query · Enter reranks · ? or F1: keys", no_wrap=True, overflow="ellipsis"), layout=False
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
        # The index's passages live as long as the app: out of the collector's sight, a full
        # collection no longer walks them (at 100k passages one took ~1 ms per 50 objects
        # allocated in the query set's ranking pass; see bench/query_set.py).
        gc.freeze()
        self.index_state = "built" if opened.built else "ready"
        skipped = len(opened.stats.skipped)
        if skipped:
            reasons = ", ".join(f"{r} {n}" for r, n in opened.stats.skipped_by_reason().items())
            self.notify(f"{skipped} files skipped: {reasons} (rerank-tui index -v lists them)", timeout=8)
        self._pane("bm25").set_message("")
        if self.search.typed.strip():
            self.search_bm25(self.search.typed, debounce=False)
        if PREFETCH_QUERY_SET:
            self.prefetch_query_set()
        if self.options.make_dense is not None and self.recall.wants_dense:
            self.recall.embedding = "embedding…"
            self.embed_corpus()
        if self.options.read_run is not None:
            self.map_recall_run()
        if self._pending_rerank:
            self.request_rerank()
        if self.options.watch is not None and self.options.refresh_index is not None:
            self.watch_corpus()

    # -- the corpus changing on disk ---------------------------------------------------------

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False, name="watch")
    def watch_corpus(self) -> None:
        """Post each batch of changed files (the watcher debounces; quitting stops it)."""
        assert self.options.watch is not None  # started by _index_opened, only with a watcher
        for paths in self.options.watch(self._watch_stop):
            self.post_message(CorpusChanged(paths))

    @on(CorpusChanged)
    def _corpus_changed(self, event: CorpusChanged) -> None:
        self._changed |= event.paths
        if not self._refreshing:
            self._start_refresh()

    def _start_refresh(self) -> None:
        paths, self._changed = self._changed, set()
        self._refreshing = True
        self.index_state = f"refreshing: {len(paths)} file{'s' if len(paths) != 1 else ''} changed…"
        self.refresh_index(paths)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False, name="refresh")
    def refresh_index(self, paths: set[Path]) -> None:
        before, refresh = self.index, self.options.refresh_index
        assert before is not None and refresh is not None  # a watcher runs only once the index is open
        try:
            refreshed = refresh(before, paths)
        except Exception as error:  # noqa: BLE001 - shown in the header; the index as it was keeps working
            self.post_message(IndexRefreshed(before, error=error))
            return
        self.post_message(IndexRefreshed(before, refreshed))
        if self.options.persist_refresh is not None and refreshed.changed:
            try:
                self.options.persist_refresh(refreshed)  # the next start reopens it instead of rebuilding
            except Exception:  # noqa: BLE001 - a cache write; the next start rebuilds what it lacks
                pass

    @on(IndexRefreshed)
    def _index_refreshed(self, event: IndexRefreshed) -> None:
        self._refreshing = False
        if event.before is not self.index:  # not ours (cannot happen with one refresh at a time)
            return
        if event.error is not None:
            self.index_state = f"refresh failed: {one_line(str(event.error), 80)}"
            self.notify(f"the index was not refreshed: {event.error}", severity="error", timeout=10)
        elif event.refreshed.changed:
            self.index = event.refreshed.opened
            self.index_state = f"refreshed: {describe_refresh(event.refreshed)}"
            if self.options.make_dense is not None and self.recall.wants_dense:
                # Vectors are filed by text: only new or changed passages are embedded again.
                self.recall.set_dense(None)
                self.recall.embedding = "embedding changed passages…"
                self.embed_corpus()
            if self.options.read_run is not None:
                self.recall.run = None
                self.map_recall_run()
            self._recall_changed("the corpus changed")
        else:
            self.index_state = "ready"
        if self._changed:  # more changes came in meanwhile
            self._start_refresh()

    # -- recall sources ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="embed", exit_on_error=False, name="embed")
    def embed_corpus(self) -> None:
        """The corpus's vectors: what the cache lacks is embedded (progress in the header);
        quitting cancels between batches, and the next start resumes where this one stopped."""
        worker = get_current_worker()

        def progress(p) -> None:
            rate = f" · {p.rate:.0f}/s" if p.rate else ""
            eta = f" · ETA {p.eta:.0f} s" if p.eta else ""
            self.post_message(EmbedProgressed(f"embedding {p.done}/{p.total}{rate}{eta}"))

        make_dense, opened = self.options.make_dense, self.index
        assert make_dense is not None and opened is not None  # started by _index_opened, only with make_dense
        dense = make_dense(opened.index, progress=progress, cancel=lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            vectors = getattr(dense, "vectors", None)
            self.post_message(DenseReady(dense, getattr(vectors, "reused", 0), getattr(vectors, "embedded", 0), getattr(vectors, "seconds", 0.0), opened))

    @on(EmbedProgressed)
    def _embed_progressed(self, event: EmbedProgressed) -> None:
        if self.recall.dense is None:
            self.recall.embedding = event.state
            self._refresh_header()

    @on(DenseReady)
    def _dense_ready(self, event: DenseReady) -> None:
        if event.opened is not None and event.opened is not self.index:
            return  # embedded for an index a refresh has replaced since
        self.recall.set_dense(event.dense)
        self._refresh_header()
        if event.embedded:
            self.notify(f"corpus embedded: {event.embedded} passages in {event.seconds:.0f} s ({event.reused} from the cache)", timeout=6)
        if self.recall.current in ("dense", "hybrid") or (self.recall.current == "run" and self.recall.default != "bm25"):
            self._recall_changed()

    @work(thread=True, exclusive=True, group="run", exit_on_error=False, name="run")
    def map_recall_run(self) -> None:
        read_run, opened = self.options.read_run, self.index
        assert read_run is not None and opened is not None  # started by _index_opened, only with read_run
        self.post_message(RunReady(read_run(opened.index)))

    @on(RunReady)
    def _run_ready(self, event: RunReady) -> None:
        candidates = event.candidates
        self.recall.run = candidates
        unknown = candidates.unknown_report()
        if unknown:
            self.notify(one_line(unknown, 300), timeout=10)
        if self.recall.current == "run":
            self._recall_changed()

    def action_recall_source(self) -> None:
        """The next recall source: BM25, dense, hybrid, the run file (those configured)."""
        if len(self.recall.kinds) == 1:
            self.notify("one recall source here, BM25: start with --embedder MODEL for dense and hybrid, --recall-run FILE for a run")
            return
        self.recall.cycle()
        note = "" if self.recall.ready() else f" · {self.recall.embedding or 'not ready yet'}: BM25 meanwhile"
        self.notify(f"recall: {self.recall.label()}{note}", timeout=4)
        self._recall_changed()

    def _recall_changed(self, why: str = "recall source changed") -> None:
        """Search the shown query again with the current source; rerank it if it was reranked."""
        self._recall_generation += 1
        reranked = self.search.ranked_for is not None
        self._pane("bm25").set_title(self.recall.pane_title(None))
        if self.search.ranking or reranked:
            self._clear_reranked(f"{why} · Enter reranks")
        if self.search.typed.strip() and self.index is not None:
            self.search_bm25(self.search.typed, debounce=False, force=True)
            if reranked:
                self.request_rerank()
        if PREFETCH_QUERY_SET and self.index is not None:
            self.prefetch_query_set()

    # -- reranker --------------------------------------------------------------------------

    def _start_loading_reranker(self) -> None:
        self._model_started = time.monotonic()
        self.reranker_state = "loading"
        self.load_reranker()

    @work(thread=True, exclusive=True, group="model", exit_on_error=False, name="model")
    def load_reranker(self) -> None:
        make_reranker = self.options.make_reranker
        assert make_reranker is not None  # started only when there is a reranker to make
        self.post_message(RerankerLoaded(make_reranker()))

    @on(RerankerLoaded)
    def _reranker_loaded(self, event: RerankerLoaded) -> None:
        self.reranker = event.reranker
        self.reranker_state = "ready"
        score = getattr(self.reranker, "score_label", "p(yes)")
        if score != "p(yes)":  # a plain rerank server: its own scores, not Qwen3's p(yes)
            self._pane("rerank").table.rename_parts({"p(yes)": score})
            self._pane("rerank").set_title(f"{self._reranker_name()} reranked")
        for note in getattr(self.reranker, "notes", ()):
            self.notify(str(note), timeout=8)
        self._set_rerank_idle_message()
        if self._pending_rerank:
            self.request_rerank()
        elif self.search.typed.strip() and self.index is not None and self.search.ranked_for is None:
            self.search_bm25(self.search.typed, debounce=False)  # shows a cached ranking at once

    def _reranker_name(self) -> str:
        """"Qwen3", or a plain rerank server's model (`bge-reranker-v2-m3`)."""
        if self.reranker is None or getattr(self.reranker, "uses_instruction", True):
            return "Qwen3"
        return str(getattr(self.reranker, "label", "") or "server").split(" · ")[0]

    def _set_rerank_idle_message(self) -> None:
        pane = self._pane("rerank")
        if self.reranker_state == "off":
            pane.set_message("no reranker (started with --no-rerank)")
        elif self.reranker_state == "loading":
            pane.set_message("loading the reranker… BM25 works meanwhile")
        elif self.reranker_state == "ready" and not self.search.ranking:
            pane.set_message("press Enter in the query box to rerank")

    def _reranker_failed(self, error: BaseException | None) -> None:  # Worker.error is typed Optional
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
        if not self._search_bm25_inline(event.value):
            self.search_bm25(event.value)

    def _search_bm25_inline(self, query: str) -> bool:
        """BM25 that answers within BM25_FAST_S runs here, on the event loop: its hits are on
        screen in the same frame as the typed key, not one frame later after a thread hop
        (bench/tui.py). Slower sources, and a BM25 whose last search was slow, use the worker."""
        choice = self.recall
        kind = choice.current if choice.ready() else "bm25"
        if self.index is None or kind != "bm25" or choice.seconds.get(kind, self._bm25_seconds) > BM25_FAST_S:
            return False
        self.workers.cancel_group(self, "bm25")  # an older key's search must not land after this one
        generation = self._recall_generation
        result = choice.search(self.index.index, query, self.options.bm25_k, self._query_id(query))
        self._bm25_seconds = result.seconds
        self._bm25_ready(Bm25Ready(query, result.hits, result, generation))
        if result.hits and self.reranker is not None and self.reranker_state == "ready":
            self.show_cached_ranking(query, result.hits, result.kind, generation)
        return True

    @work(thread=True, exclusive=True, group="cached-ranking", exit_on_error=False, name="cached-ranking")
    def show_cached_ranking(self, query: str, hits: list[Hit], kind: str, generation: int) -> None:
        """The inline search's cached ranking, off the event loop (the score cache is SQLite)."""
        self._post_cached_ranking(query, hits, kind, generation, get_current_worker())

    def _post_cached_ranking(self, query: str, hits: list[Hit], kind: str, generation: int, worker) -> None:
        """A query reranked before (history, recent queries, the query set) shows its reranked
        list from the score cache at once; nothing waits for the model. In a worker thread."""
        reranker, instruction = self.reranker, self.search.instruction
        if not hits or reranker is None or self.reranker_state != "ready":
            return
        cached = cached_rerank_hits(reranker, query, hits[: self.options.rerank_depth], instruction)
        if cached is not None and not worker.is_cancelled:
            self.post_message(Reranked(query, instruction, cached[0], cached[1], cached=True, source=kind, generation=generation))

    @work(thread=True, exclusive=True, group="bm25", exit_on_error=False, name="bm25")
    def search_bm25(self, query: str, debounce: bool = True, force: bool = False) -> None:
        """The current recall source's hits for the query, as it is typed. A source too slow
        to follow each key (its last search took over FOLLOW_KEYS_S: dense on a CPU, say)
        searches on Enter (`force`) only."""
        worker = get_current_worker()
        generation, choice = self._recall_generation, self.recall
        kind = choice.current if choice.ready() else "bm25"
        if query.strip() and not force and not choice.follows_keys(kind):
            self.post_message(Bm25Ready(query, [], generation=generation, waiting=True))
            return
        # Debounce only when searching is slow enough for a burst of keys to queue up work;
        # a fast index answers every key at once (a newer key cancels the older worker).
        if debounce and choice.seconds.get(kind, self._bm25_seconds) > BM25_FAST_S:
            time.sleep(BM25_DEBOUNCE_S)
        if worker.is_cancelled or self.index is None:
            return
        result = choice.search(self.index.index, query, self.options.bm25_k, self._query_id(query))
        hits = result.hits
        if result.kind == "bm25":
            self._bm25_seconds = result.seconds
        if worker.is_cancelled:
            return
        self.post_message(Bm25Ready(query, hits, result, generation))
        self._post_cached_ranking(query, hits, result.kind, generation, worker)

    def _query_id(self, query: str) -> str | None:
        """The query set's id of a query, for the run source (None when no run is read)."""
        if self.recall.run is None or self.recall.current != "run":
            return None
        return self.workspace.query_set().id_of(query)

    @on(Bm25Ready)
    def _bm25_ready(self, event: Bm25Ready) -> None:
        if event.generation is not None and event.generation != self._recall_generation:
            return  # searched with the source before a switch
        had_ranking = self.search.ranked_for is not None
        if not self.search.accept_hits(event.query, event.hits):
            return  # typed on since: a newer search is on its way
        query, hits = event.query, event.hits
        pane = self._pane("bm25")
        self._recall_result = event.result
        kind = event.result.kind if event.result is not None else (self.recall.current if self.recall.ready() else "bm25")
        pane.table.rename_parts({"BM25": self.recall.short(kind)})
        if event.result is not None or event.waiting or not query.strip():
            pane.set_title(self.recall.pane_title(event.result, query))
        else:  # hits handed over from the query set: its own source's
            pane.set_title(f"{self.recall.label()} recall · {len(hits)} hits")
        if event.waiting:
            took = self.recall.seconds.get(self.recall.current, 0.0)
            pane.set_message(f"{self.recall.label()} takes {took:.2f} s a query: Enter searches")
        elif hits or not query.strip():
            pane.set_message("")
        else:
            kind = event.result.kind if event.result is not None else "bm25"
            pane.set_message("no passage shares a term with the query" if kind == "bm25" else f"{self.recall.label(kind)} found nothing")
        pane.table.show(hits, self.label_of, keep_cursor=query == pane.table.shown_for)
        pane.table.shown_for = query
        if had_ranking and self.search.ranked_for is None:
            self._clear_reranked("query changed · Enter reranks")
        # The preview and metrics follow a frame later: the hits come first while typing. With
        # rows, the table's RowHighlighted (posted after the frame that shows them) updates the
        # preview; without, nothing will.
        if not hits:
            self.call_after_refresh(self._update_preview)
        self.call_after_refresh(self._refresh_metrics)

    def _clear_reranked(self, message: str) -> None:
        self.search.clear_ranking()
        pane = self._pane("rerank")
        pane.table.show([], self.label_of)
        pane.set_title(f"{self._reranker_name()} reranked")
        if self.reranker_state != "failed":
            pane.set_message(message)

    # -- rerank ------------------------------------------------------------------------------

    @on(Input.Submitted, "#query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        if query:
            self._main.query_one("#query", QueryInput).remember(query)
            self._attempt(self.search.remember_query, query)
            if not self.recall.follows_keys(self.recall.current) and self.index is not None:
                self.search_bm25(event.value, debounce=False, force=True)  # a source that searches on Enter
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
        self._pane("rerank").set_message(f"reranking the top {self.options.rerank_depth} of {self.recall.label()}…")
        self.rerank(query, self.search.instruction)

    @work(thread=True, exclusive=True, group="rerank", exit_on_error=False, name="rerank")
    def rerank(self, query: str, instruction: str) -> None:
        """Rerank the current recall source's top `rerank_depth` (searched here: the source may
        be dense, and the left pane may show fewer)."""
        worker = get_current_worker()
        generation = self._recall_generation
        opened, reranker = self.index, self.reranker
        assert opened is not None and reranker is not None  # request_rerank starts this only once both are there
        result = self.recall.search(opened.index, query, self.options.rerank_depth, self._query_id(query))
        hits = result.hits
        if worker.is_cancelled:
            return
        if not hits:
            what = "BM25 found no passage" if result.kind == "bm25" else f"{self.recall.label(result.kind)} found nothing"
            self.call_from_thread(self._nothing_to_rerank, query, generation, f"nothing to rerank: {what}")
            return
        self.post_message(RerankWaiting(len(hits), starting=True))

        def waiting() -> None:
            self.post_message(RerankWaiting(len(hits)))

        try:
            ranked, stats = rerank_hits(
                reranker, query, hits, instruction,
                cancel=lambda: worker.is_cancelled,
                on_wait=waiting,
            )
        except RerankCancelled:
            return
        if not worker.is_cancelled:
            self.post_message(Reranked(query, instruction, ranked, stats, source=result.kind, generation=generation))

    def _nothing_to_rerank(self, query: str, generation: int, message: str) -> None:
        if query == self.search.typed and generation == self._recall_generation:
            self._clear_reranked(message)

    @on(RerankWaiting)
    def _rerank_waiting(self, event: RerankWaiting) -> None:
        if event.starting:
            self._pane("rerank").set_message(f"reranking {event.passages} passages…")
            return
        self._pane("rerank").set_message(
            f"waiting for the model to drop the previous request (at its next batch) · then reranking {event.passages} passages…"
        )

    @on(Reranked)
    def _reranked(self, event: Reranked) -> None:
        if event.generation is not None and event.generation != self._recall_generation:
            return  # the recall source changed since
        if not self.search.accept_ranking(event.query, event.instruction, event.ranking, event.stats):
            return  # stale: the user moved on
        if not event.cached:
            self._attempt(self.search.record_try)
        pane = self._pane("rerank")
        stale = " · instruction edited, reranking soon" if self.search.ranking_is_stale else ""
        source = "" if event.source == "bm25" else f" of {self.recall.label(event.source)}"
        pane.set_title(f"{self._reranker_name()} reranked · top {len(event.ranking)}{source}{stale}")
        pane.set_message("")
        pane.table.show(event.ranking, self.label_of, keep_cursor=event.query == pane.table.shown_for)
        pane.table.shown_for = event.query
        self._set_status(format_stats(event.stats) + (" · shown from the score cache" if event.cached else ""))
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
        self._main.query_one("#instruction-title", Static).update(self.search.instruction_title())
        self.search.remember_place()  # the preset comes back at the next start

    def _show_instruction(self) -> None:
        """Put the search state's instruction in the editor and rerank with it."""
        self._main.query_one("#instruction", TextArea).text = self.search.instruction
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
        """Save the instruction as a preset; saving over another instruction asks first."""
        from rerank_tui.tui.screens.dialogs import Confirm

        def save(name: str | None) -> None:
            if not name:
                return
            unchanged = self.workspace.presets.get(name.strip()) == self.search.instruction
            replaced = self.search.overwrites(name)
            if replaced is None:
                self._preset_changed(self._attempt(self.search.save_preset, name), undoable=not unchanged)
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._preset_changed(self._attempt(self.search.save_preset, name))

            question = f"Overwrite preset {name.strip()!r}? The instruction in the editor replaces this one:"
            self.push_screen(Confirm(question, replaced), confirmed)

        self.push_screen(NamePrompt("Save the instruction as preset", self.search.preset or ""), save)

    def action_pick_preset(self) -> None:
        def picked(result) -> None:
            if result is None:
                return
            action, name = result
            if action == "undo":
                self.action_undo_preset()
            elif name is None:
                return  # no preset to act on (an empty list)
            elif action == "select":
                self.apply_preset(name)
            elif action == "rename":
                self._rename_preset(name)
            elif action == "delete":
                self.action_delete_preset(name)

        items = list(self.workspace.presets.presets.items())
        hint = "Enter switches · r renames · d deletes · u undoes the last preset change · Escape cancels"
        self.push_screen(
            Picker("Presets", items, {"r": "rename", "d": "delete", "u": "undo"}, hint, highlight=self.search.preset),
            picked,
        )

    def action_rename_preset(self) -> None:
        if self.search.preset:
            self._rename_preset(self.search.preset)

    def action_delete_preset(self, name: str | None = None) -> None:
        """Delete a preset (the current one when none is named), after asking."""
        from rerank_tui.tui.screens.dialogs import Confirm

        name = name or self.search.preset
        if not name:
            return
        instruction = self.workspace.presets.get(name)
        if instruction is None:  # not there (any more): say so
            self._preset_changed(self._attempt(self.search.delete_preset, name))
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._preset_changed(self._attempt(self.search.delete_preset, name))

        self.push_screen(Confirm(f"Delete preset {name!r}? Its instruction:", instruction), confirmed)

    def action_undo_preset(self) -> None:
        """Take back the last preset change (save, rename or delete) made in this session."""
        try:
            message = self.search.undo_preset()
        except SearchError as exc:
            self._notify_error(exc)
            return
        if message is None:
            self.notify("no preset change to undo")
        else:
            self._preset_changed(message, undoable=False)

    def _rename_preset(self, old: str) -> None:
        def rename(new: str | None) -> None:
            if new and new != old:
                self._preset_changed(self._attempt(self.search.rename_preset, old, new))

        self.push_screen(NamePrompt(f"Rename preset {old!r} to", old), rename)

    def _preset_changed(self, message: str | None, *, undoable: bool = True) -> None:
        """Show a preset change (None: it failed, already reported) and how to undo it."""
        from rerank_tui.tui.bindings import APP_BINDINGS, display_keys, keys_of

        if message is not None:
            self._refresh_instruction_title()
            if undoable:
                picker = next(b for b in APP_BINDINGS if b.id == "pick_preset")
                key = display_keys(keys_of(picker, self.options.keymap or {})).split(",")[0]
                message = f"{message} · {key}, then u undoes"
            self.notify(message)

    def _attempt(self, operation, *args):
        """Run a search-state operation; its `SearchError` becomes a notification (and None)."""
        try:
            return operation(*args)
        except SearchError as exc:
            self._notify_error(exc)
            return None

    # -- labels ----------------------------------------------------------------------------------

    def label_of(self, hit: Hit, query: str | None = None) -> tuple[Label | None, str]:
        """The shown query's label of a hit (or, without one, the judge's suggestion as a
        stand-in label shown `2?`), and the passage's current text (stale check)."""
        return self.search.shown_label(hit.passage.id, hit.passage.text, query), hit.passage.text

    def _label_query(self) -> str:
        """The query the label keys label for: the screen's own (side by side, a passage
        opened there), else the query shown on the main screen."""
        return getattr(self.screen, "label_query", None) or self.search.query

    def _target_hit(self) -> Hit | None:
        if isinstance(self.screen, PassageScreen):
            return self.screen.hit
        focused = self.focused
        return focused.current_hit if isinstance(focused, ResultsTable) else None

    def action_label(self, grade: int) -> None:
        hit, query = self._target_hit(), self._label_query()
        if hit is None or not query.strip():
            return
        change = self._attempt(self.search.label, hit, grade, query)
        if change is None:
            return
        self._labels_changed(change)
        if isinstance(focused := self.focused, ResultsTable) and not isinstance(self.screen, PassageScreen):
            focused.action_cursor_down()

    def action_clear_label(self) -> None:
        hit = self._target_hit()
        if hit is not None and (change := self._attempt(self.search.clear_label, hit, self._label_query())) is not None:
            self._labels_changed(change)

    def action_accept_suggestion(self) -> None:
        """The judge's suggested grade becomes the highlighted passage's label (source: judge)."""
        hit, query = self._target_hit(), self._label_query()
        if hit is None or not query.strip():
            return
        if self.search.label_of(hit.passage.id, query) is not None:
            self.notify("this passage is labeled already: a label key changes it")
            return
        change = self._attempt(self.search.accept_suggestion, hit, query)
        if change is None:
            if self.search.suggestion_of(hit.passage.id, hit.passage.text, query) is None:
                self.notify("no suggestion of the judge for this passage (f6 in the query set, ctrl+e, judges the pools)")
            return
        self._labels_changed(change)
        if isinstance(focused := self.focused, ResultsTable) and not isinstance(self.screen, PassageScreen):
            focused.action_cursor_down()

    def action_accept_all_suggestions(self) -> None:
        """Every suggestion of the shown lists without a label is accepted, as one undo step."""
        query = self._label_query()
        if not query.strip():
            return
        _, tables = self._pool()
        hits: dict[str, Hit] = {}
        for table in tables.values():
            for row in table.rows_shown.values():
                hit = row.hit if isinstance(row, RerankedHit) else row
                hits.setdefault(hit.passage.id, hit)
        if isinstance(self.screen, PassageScreen):
            hits.update({h.passage.id: h for h in self.screen.hits})
        change = self._attempt(self.search.accept_all_suggestions, list(hits.values()), query)
        if change is None:
            self.notify("no suggestion to accept: every suggested passage of the lists is labeled, or none is suggested")
            return
        self._labels_changed(change)

    def action_metric_labels(self) -> None:
        """Metrics on human labels → + accepted → + suggested, and back; every screen says which."""
        self.metric_labels = self.metric_labels.next()
        self.notify(f"metrics now on {self.metric_labels.text.removeprefix('labels: ')}")
        self._labels_changed(None)

    def counted_labels(self, only: str | None = None):
        """Every query's labels (with `only`, that query's) as the metrics count them in the
        current mode (f4): query text → doc → label."""
        from rerank_tui.session.label_sources import labels_for_metrics

        labels = self.workspace.labels
        queries = labels.queries if only is None else {only: labels.for_query(only)}
        suggestions = self.workspace.suggestions if self.metric_labels is MetricLabels.ALL else None
        return labels_for_metrics(queries, suggestions, self.metric_labels, labels.scale)

    def metric_label_view(self, query: str) -> dict:
        """The labels of `query` that the metrics count; a suggestion for another text of a
        shown passage than the one it judged is left out, as the panes leave it out."""
        view = self.counted_labels(only=query).get(query, {})
        if self.metric_labels is MetricLabels.ALL:
            texts = {h.passage.id: h.passage.text for h in self.search.hits}
            view = {doc: label for doc, label in view.items()
                    if source_of(label) != SUGGESTED or doc not in texts or not label.is_stale(texts[doc])}
        return view

    def _pool(self):
        """The judging pool of the screen's query: both lists' top 10, in turns."""
        screen = self.screen
        if hasattr(screen, "panes"):  # side by side
            left, right = (p.table for p in screen.panes())
            return judging_pool([r.hit for r in left.rows_shown.values()], list(right.rows_shown.values())), {
                "bm25": left, "rerank": right,
            }
        tables = {"bm25": self._pane("bm25").table, "rerank": self._pane("rerank").table}
        return judging_pool(self.search.hits, self.search.current_ranking()), tables

    def action_next_unjudged(self) -> None:
        """Move to the next unlabeled hit of the pool, in whichever pane it first appears."""
        if isinstance(self.screen, PassageScreen):
            return
        pool, tables = self._pool()
        labels = self.workspace.labels.for_query(self._label_query())
        current = self._target_hit()
        item = next_unjudged(pool, labels, current.passage.id if current else None)
        if item is None:
            self.notify(f"the top {len(pool) and 10} of both lists are judged" if pool else "no hits to judge")
            return
        table = tables[item.pane]
        table.focus()
        table.move_cursor(row=item.row, animate=False)

    def action_rate_rest(self) -> None:
        """Every unlabeled hit of the pool gets the scale's lowest grade; one undo takes all back."""
        pool, _ = self._pool()
        query = self._label_query()
        todo = unjudged(pool, self.workspace.labels.for_query(query))
        if not todo:
            self.notify("nothing left unlabeled in the top 10 of both lists")
            return
        change = self._attempt(self.search.rate_rest, todo, query)
        if change is not None:
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
        for pane in self._main.query(ResultsPane):
            pane.table.refresh_labels(self.label_of)
        for screen in self.screen_stack[1:]:
            if isinstance(screen, PassageScreen):
                screen.refresh_label()
            elif hasattr(screen, "refresh_labels"):
                screen.refresh_labels()
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
        labels = self.metric_label_view(query) if query.strip() else {}
        metrics = query_metrics(labels, self.search.hits, self.search.current_ranking()) if query.strip() else None
        line = self._main.query_one("#metrics", Static)
        width = line.size.width + self.size.width - line.screen.outer_size.width
        tag = METRIC_TAGS.get(self.metric_labels.value, "")
        text = format_metrics(metrics, max(1, width - len(tag)))
        line.update(Text(tag, style="italic") + text if tag else text, layout=False)

    def on_resize(self, event) -> None:
        """Fit the metrics line to the new width: after App's own handler has taken the new size
        (it runs after this one). The screen lays itself out a moment later still, so
        `_refresh_metrics` adds the change not laid out yet to the widget's width."""
        self.call_after_refresh(self._refresh_metrics)

    # -- preview, screens, focus ---------------------------------------------------------------

    @on(ResultsTable.RowHighlighted)
    def _row_highlighted(self, event: ResultsTable.RowHighlighted) -> None:
        if isinstance(event.data_table, ResultsTable):
            self._update_preview(event.data_table)

    def _update_preview(self, table: ResultsTable | None = None) -> None:
        """The preview shows the main screen's focused pane's hit (BM25's when none is focused)."""
        if table is not None and table.screen is not self._main:
            return  # a table of another screen (side by side)
        if table is None:
            focused = self._main.focused
            table = focused if isinstance(focused, ResultsTable) else self._pane("bm25").table
        hit = table.current_hit if isinstance(table, ResultsTable) else None
        label = self.search.shown_label(hit.passage.id, hit.passage.text) if hit else None
        if self.index is not None:
            self._main.query_one(Preview).show(hit, self.search.query, self.index.index.tokenizer, label)

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, ResultsTable):
            self._update_preview(event.widget)

    @on(ResultsTable.RowSelected)
    def _open_passage(self, event: ResultsTable.RowSelected) -> None:
        table = event.data_table
        if not isinstance(table, ResultsTable):
            return  # a table of another screen
        hit = table.current_hit
        if hit is None or self.index is None:
            return
        query = self._label_query()
        hits = [row.hit if hasattr(row, "hit") else row for row in table.rows_shown.values()]

        def closed(shown: Hit | None) -> None:
            # Back on the list: the cursor on the passage viewed last (j/k may have moved
            # it), and the preview showing it.
            if shown is not None and shown.passage.id in table.hits and table.is_attached:
                table.move_cursor(row=table.get_row_index(shown.passage.id), animate=False)
                table.focus()
            if len(self.screen_stack) == 1 or self.screen is self._main:
                self._update_preview(table if table.screen is self._main else None)

        label_of = lambda h: self.search.shown_label(h.passage.id, h.passage.text, query)  # noqa: E731
        self.push_screen(PassageScreen(hit, query, self.index.index.tokenizer, label_of, hits), closed)

    # -- the query set -----------------------------------------------------------------------------

    def action_query_set(self) -> None:
        """Every query of the set with its metrics; Enter comes back with one to show."""
        from rerank_tui.session.query_set_scores import Side
        from rerank_tui.session.scoreboard import board_entries
        from rerank_tui.session.snapshots import list_snapshots, load_snapshot

        sides: dict[str, Side] = {}
        for entry in board_entries(self.workspace.presets, self.workspace.tries):
            if entry.instruction != self.search.instruction:
                name = f"{entry.source} {entry.name}" if entry.source == "preset" else entry.name
                sides[name] = Side(name, instruction=entry.instruction)
        root = self.workspace.root
        for info in list_snapshots(root):  # their YAMLs only: a run file is read when chosen
            if info.error is None:
                load = lambda name=info.name: load_snapshot(root, name).run  # noqa: E731
                sides[f"snapshot {info.name}"] = Side(f"snapshot {info.name}", load=load)
        name = self._instruction_name()
        from rerank_tui.tui.screens.query_set import QuerySetScreen  # on first use: not before the first frame

        screen = QuerySetScreen(
            self.workspace,
            self.index.index if self.index is not None else None,
            self.reranker,
            reranker_state=self.reranker_state,
            instruction=self.search.instruction,
            instruction_name=name,
            depth=self.options.bm25_k,
            rerank_depth=self.options.rerank_depth,
            config=self._snapshot_config(),
            sides=sides,
            hits_cache=self._query_set_hits(),
            recall=None if self.index is None else self._query_set_recall(),
            recall_name=self.recall.short() if self.recall.ready() else "BM25",
            metric_labels=lambda: self.metric_labels,
            counted_labels=self.counted_labels,
            get_judge=None if self.options.make_judge is None else self.get_judge,
        )
        self.push_screen(screen, self.open_query)

    def get_judge(self):
        """The LLM judge, built once on first use (from a worker thread: it may load a model)."""
        with self._judge_lock:
            if self.judge is None:
                assert self.options.make_judge is not None  # only offered when configured
                self.judge = self.options.make_judge(self.workspace.labels.scale)
            return self.judge

    @work(thread=True, exclusive=True, group="qs-prefetch", exit_on_error=False, name="qs-prefetch")
    def prefetch_query_set(self) -> None:
        """BM25 (or the run) for the query set's queries once the index is open, in the
        background, so the query-set screen opens with them (0.5 s of BM25 at 500 queries and
        100k passages). Dense sources are searched when the screen opens, with its progress."""
        worker = get_current_worker()
        if self.recall.current in ("dense", "hybrid") or self.index is None:
            return
        hits, recall = self._query_set_hits(), self._query_set_recall()
        for entry in self.workspace.query_set():
            if worker.is_cancelled:
                return
            if entry.id not in hits:
                hits[entry.id] = recall(entry.id, entry.text, max(self.options.bm25_k, self.options.rerank_depth))

    def _query_set_recall(self):
        """(query id, text, k) → hits of the current recall source (BM25 until it is ready)."""
        return self.recall.hits_of(self.index.index, self.recall.current if self.recall.ready() else "bm25")

    def _query_set_hits(self) -> dict[str, list[Hit]]:
        """The recall source's hits of the query set's queries, kept while the index, the source
        and the set's texts stay the same: reopening the query set skips recall (query id → hits)."""
        kind = self.recall.current if self.recall.ready() else "bm25"
        key = (id(self.index), self.recall.key(kind), tuple((e.id, e.text) for e in self.workspace.query_set()))
        if getattr(self, "_hits_key", None) != key:
            hits: dict[str, list[Hit]] = {}
            self._hits_key, self._hits = key, hits
        return self._hits

    def _snapshot_config(self) -> dict:
        """What a snapshot saved from the query set records: the recall source the screen
        ranked with (recall_config's form), the model, depths and instruction."""
        from rerank_tui.session.recall_config import recall_config, run_description

        choice = self.recall
        kind = choice.current if choice.ready() else "bm25"
        run = None
        if kind == "run":
            assert choice.run is not None  # ready() for "run"
            run = run_description(choice.run.source, choice.run, [e.id for e in self.workspace.query_set()])
            run["fallback"] = choice.default  # what the queries the run lacks got
        embedder = None
        if kind in ("dense", "hybrid"):
            assert choice.dense is not None  # ready() for a dense kind
            embedder = choice.dense.embedder
        recall = recall_config(
            kind, self.index.index if self.index is not None else None,
            embedder=embedder,
            fusion=choice.fusion if kind == "hybrid" else None, run=run, query_instruction=choice.query_instruction,
        )
        return {
            "corpus": self.options.source,
            "recall": recall,
            "model": self.options.reranker_label if self.reranker_state == "ready" else None,
            "depth": self.options.bm25_k,
            "rerank_depth": self.options.rerank_depth,
            "instruction": self.search.instruction,
            "preset": self.search.preset,
            "from": "app",
        }

    def open_query(self, chosen: OpenQuery | None) -> None:
        """Show a query with both lists filled (its hits and ranking as the query set had
        them), and rerank it when it was not ranked yet."""
        if chosen is None:
            return
        query_input = self._main.query_one("#query", QueryInput)
        self.search.typed = chosen.text
        with query_input.prevent(Input.Changed):
            query_input.value = chosen.text
        self._attempt(self.search.remember_query, chosen.text)
        if chosen.hits:
            self.post_message(Bm25Ready(chosen.text, chosen.hits))
        if chosen.ranking and chosen.instruction == self.search.instruction:
            source = self.recall.current if self.recall.ready() else "bm25"
            self.post_message(Reranked(chosen.text, chosen.instruction, chosen.ranking, _cached_stats(chosen.ranking), cached=True, source=source))
        else:
            self.search_bm25(chosen.text, debounce=False)
            self.request_rerank()
        self._pane("bm25").table.focus()

    def action_scratch(self) -> None:
        """Pasted documents scored with the current instruction and model."""
        from rerank_tui.tui.screens.scratch import ScratchScreen

        self.push_screen(ScratchScreen(
            self.reranker, reranker_state=self.reranker_state, instruction=self.search.instruction,
            instruction_name=self._instruction_name(), query=self.search.typed,
        ))

    def _instruction_name(self) -> str:
        preset = self.search.preset
        if preset and self.workspace.presets.get(preset) == self.search.instruction:
            return f"preset {preset}"
        return "unsaved instruction"

    def action_query_note(self) -> None:
        """Add the shown query to the set, with a note (its information need)."""
        query = self.search.query.strip() and self.search.query
        if not query:
            self.notify("type a query first: a note belongs to a query")
            return
        current = self.workspace.query_set().note_of(query)

        def save(note: str | None) -> None:
            if note is None:
                return
            try:
                entry = self.workspace.queries.set_note(query, note)
            except Exception as exc:  # ValueError, OSError, WorkspaceFileError: say it, keep going
                self.notify(f"note NOT saved: {exc}", severity="error", timeout=10)
                return
            self.notify(f"query {entry.id} in the set" + (" · note saved" if entry.note else ""))

        self.push_screen(NamePrompt(f"Note for {one_line(query, 60)} (the query joins the set; empty: no note)", current, allow_empty=True), save)

    def action_tries(self) -> None:
        def picked(instruction: str | None) -> None:
            if instruction is not None:
                self.search.use_instruction(instruction)
                self._show_instruction()

        ready = self.reranker if self.reranker_state == "ready" else None
        hits_of, name = None, "bm25"
        if self.index is not None and self.recall.current != "bm25" and self.recall.ready():
            recall, id_of = self._query_set_recall(), self.workspace.query_set().id_of
            hits_of = lambda qid, text, k: recall(id_of(text), text, k)  # noqa: E731  (a run is keyed by the set's ids)
            name = self.recall.short().lower()
        from rerank_tui.tui.screens.tries import TriesScreen  # imported when opened: not before the first frame

        self.push_screen(
            TriesScreen(
                self.workspace, self.index, ready, self.options.rerank_depth, self.search.query,
                reranker_state=self.reranker_state, hits_of=hits_of, recall_name=name,
                labels=self.counted_labels(), labels_text=self.metric_labels.text,
            ),
            picked,
        )

    def action_help(self) -> None:
        from rerank_tui.tui.screens.help import HelpScreen  # imported when opened: not before the first frame

        self.push_screen(HelpScreen(self.options.keymap or {}, self.workspace.labels.scale))

    def action_focus_query(self) -> None:
        self._main.query_one("#query", QueryInput).focus()

    def action_focus_instruction(self) -> None:
        self._main.query_one("#instruction", TextArea).focus()

    def action_recent_queries(self) -> None:
        recent = self.workspace.history.recent(50) or list(reversed(self._main.query_one("#query", QueryInput).history))
        if not recent:
            self.notify("no queries yet")
            return

        def picked(result) -> None:
            if result is not None:
                query_input = self._main.query_one("#query", QueryInput)
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
        elif worker.name == "embed":
            from rerank_tui.embed.errors import EmbedCancelled

            if isinstance(error, EmbedCancelled):
                return
            self.recall.embedding = f"failed: {one_line(str(error) or type(error).__name__, 200)}"
            self._refresh_header()
            self.notify(f"Embedding the corpus failed: {one_line(str(error) or type(error).__name__, 300)} · BM25 keeps working",
                        severity="error", timeout=12)
        elif worker.name == "rerank":
            message = Text(f"Rerank failed: {one_line(str(error) or type(error).__name__, 400)}")
            self._pane("rerank").set_message(message, error=True)
        else:
            self.notify(f"{worker.name} failed: {one_line(str(error), 200)}", severity="error")
