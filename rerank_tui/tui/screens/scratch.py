"""Scratch: a query and a few pasted documents, scored with the current instruction and model.

Documents go in the box one per paragraph (a blank line between two), exactly as given — no
title is added — or `@PATH` alone on a line reads a documents file (paragraphs, or JSONL with
`text`). ctrl+r scores them (in a worker); the list is best first with p(yes), and the
highlighted pair's exact prompt is shown below it with its token count and whether the
document was cut to fit `max_length` (session/scratch.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static, TextArea
from textual.worker import Worker, WorkerState, get_current_worker

from rerank_tui.rerank.errors import RerankCancelled
from rerank_tui.safe_text import cut_long_lines, one_line
from rerank_tui.session.ranking import score_text
from rerank_tui.session.scratch import ScoredDocument, pair_prompt, parse_documents, read_documents
from rerank_tui.tui.bindings import SCRATCH_BINDINGS


def documents_of(text: str) -> list[str]:
    """The box's documents: paragraphs, or the documents of the files named `@PATH` on a line
    of their own (a bad file raises JudgmentFileError or OSError, with its name)."""
    documents: list[str] = []
    paragraph: list[str] = []
    lines = text.split("\n")
    for line in [*lines, ""]:
        stripped = line.strip()
        if stripped.startswith("@") and len(stripped) > 1 and " " not in stripped:
            if paragraph:  # the file's line ends the paragraph above it
                documents.extend(parse_documents("\n".join(paragraph) + "\n", "the box", "paragraphs"))
                paragraph = []
            documents.extend(read_documents(Path(stripped[1:]).expanduser()))
            continue
        if stripped:
            paragraph.append(line)
        elif paragraph:
            documents.extend(parse_documents("\n".join(paragraph) + "\n", "the box", "paragraphs"))
            paragraph = []
    return documents


class ScratchScreen(Screen[None]):
    # Textual types BINDINGS as an invariant list[BindingType]; ours are all Binding, which it only reads.
    BINDINGS = cast("list[BindingType]", SCRATCH_BINDINGS)

    def __init__(self, reranker, *, reranker_state: str, instruction: str, instruction_name: str, query: str) -> None:
        super().__init__()
        self.reranker, self.reranker_state = reranker, reranker_state
        self.instruction, self.instruction_name = instruction, instruction_name
        self.initial_query = query
        self.scored: list[ScoredDocument] = []
        self.scored_for = ""  # the query the list was scored for

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Scratch · pasted candidates · {one_line(self.instruction_name, 60)}", no_wrap=True, overflow="ellipsis"),
                     id="scratch-head", markup=False)
        with Horizontal(id="scratch-query-row"):
            yield Static("Query ", classes="row-label", markup=False)
            yield Input(self.initial_query, placeholder="the query", id="scratch-query")
        yield Static("Documents · one per paragraph (a blank line between) · or @PATH on its own line", classes="row-hint", markup=False)
        yield TextArea("", id="scratch-docs", soft_wrap=True, show_line_numbers=False)
        yield DataTable(id="scratch-table", cursor_type="row")
        with VerticalScroll(id="scratch-prompt"):
            yield Static("", id="scratch-prompt-text", markup=False)
        yield Static("", id="scratch-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("#", key="rank", width=3)
        table.add_column("p(yes)", key="score", width=7)
        table.add_column("in", key="index", width=4)
        table.add_column("document (first line)", key="document")
        self.query_one("#scratch-docs", TextArea).focus()
        if self.reranker_state != "ready":
            self._status(f"the reranker is {self.reranker_state}: scoring needs it")
        else:
            self._status("paste documents, then ctrl+r scores them")

    def _status(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#scratch-status", Static).update(Text(text, no_wrap=True, overflow="ellipsis"))

    def action_score(self) -> None:
        query = self.query_one("#scratch-query", Input).value
        if not query.strip():
            self._status("type a query first")
            return
        if self.reranker is None or self.reranker_state != "ready":
            self._status(f"the reranker is {self.reranker_state}: nothing scored")
            return
        try:
            documents = documents_of(self.query_one("#scratch-docs", TextArea).text)
        except Exception as exc:  # JudgmentFileError, OSError: a bad @PATH
            self._status(f"cannot read the documents: {one_line(str(exc), 200)}")
            return
        if not documents:
            self._status("no documents: paste some, one per paragraph")
            return
        self._status(f"scoring {len(documents)} documents…")
        self.score(query, documents)

    @work(thread=True, exclusive=True, exit_on_error=False, name="scratch")
    def score(self, query: str, documents: list[str]) -> None:
        from rerank_tui.session.scratch import score_documents

        worker = get_current_worker()
        scored, stats = score_documents(self.reranker, query, documents, self.instruction, cancel=lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, query, scored, stats)

    def _show(self, query: str, scored: list[ScoredDocument], stats) -> None:
        if not self.is_attached:
            return
        self.scored, self.scored_for = scored, query
        table = self.query_one(DataTable)
        table.clear()
        for doc in scored:
            first = next((line for line in doc.document.split("\n") if line.strip()), "")
            table.add_row(
                Text(str(doc.rank), justify="right"), Text(score_text(doc.score), justify="right"),
                Text(str(doc.index), justify="right"), Text(one_line(first, 200), no_wrap=True, overflow="ellipsis"),
                key=str(doc.index),
            )
        self._status(f"{len(scored)} documents · {stats.seconds * 1000:.0f} ms · {stats.cache_hits} cache hits")
        self._show_prompt()

    @on(DataTable.RowHighlighted, "#scratch-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_prompt()

    def current(self) -> ScoredDocument | None:
        table = self.query_one(DataTable)
        if not self.scored or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((d for d in self.scored if str(d.index) == key), None)

    def _show_prompt(self) -> None:
        doc = self.current()
        widget = self.query_one("#scratch-prompt-text", Static)
        if doc is None:
            widget.update("")
            return
        try:
            prompt = pair_prompt(self.reranker, self.scored_for, doc.document, self.instruction)
        except Exception as exc:  # PromptTooLongError: the instruction and query alone do not fit
            widget.update(Text(f"no prompt: {one_line(str(exc), 300)}", style="red"))
            return
        head = Text(style="bold")
        tokens = "?" if prompt.tokens is None else str(prompt.tokens)
        limit = f" of {prompt.max_length}" if prompt.max_length else ""
        cut = {True: " · the document was cut to fit", False: " · nothing cut", None: " · cut unknown (no tokenizer)"}[prompt.truncated]
        head.append(f"prompt of document {doc.index}: {tokens} tokens{limit}{cut}\n")
        widget.update(head + Text(cut_long_lines(prompt.text, 2000)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and not isinstance(event.worker.error, RerankCancelled):
            self._status(f"scoring failed: {one_line(str(event.worker.error) or type(event.worker.error).__name__, 300)}")

    def action_close(self) -> None:
        self.dismiss(None)
