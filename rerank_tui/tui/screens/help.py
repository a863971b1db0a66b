"""All key bindings with their current keys, and what the labels and metrics mean."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rerank_tui.tui.bindings import HELP_BINDINGS, display_keys, keys_of

NOTES = (
    "Labels: 0 irrelevant · 1 related · 2 relevant · 3 perfect, per query, saved to labels.yaml at once. "
    "A label marked ! was given to a passage whose text has changed since.\n"
    "Metrics (the line above the preview) are computed by ir-measures from this query's labels, "
    "BM25 → reranked (the reranked head, then BM25's order): unlabeled passages count as "
    "non-relevant, and the ideal DCG is formed from all labeled passages of the query.\n"
    "Keys 0–3, x and u work in either result pane and in the passage view. "
    "Tab / shift+tab move between the query, the instruction and the panes; "
    "the command palette (ctrl+p) lists every action and preset."
)


def key_table(keymap: dict[str, str]) -> Table:
    table = Table(box=None, expand=True, show_header=True, header_style="bold")
    table.add_column("keys", no_wrap=True)
    table.add_column("action")
    table.add_column("id", style="dim", no_wrap=True)
    for binding in HELP_BINDINGS:
        table.add_row(Text(display_keys(keys_of(binding, keymap))), binding.tooltip or binding.description, binding.id)
    table.add_row("ctrl+p", "Command palette: actions and presets", "")
    table.add_row("escape", "Close a screen or dialog", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close")]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("rerank-tui · keys", classes="dialog-title", markup=False)
            yield Static(key_table(self.keymap))
            yield Static(NOTES, classes="help-notes", markup=False)
