"""All key bindings with their current keys, and what the labels and metrics mean."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rerank_tui.session.label_model import DEFAULT_SCALE, Scale
from rerank_tui.tui.bindings import HELP_BINDINGS, PASSAGE_BINDINGS, QUERY_SET_BINDINGS, display_keys, keys_of

NOTES = (
    "Labels: the workspace's scale (labels.yaml `scale:`; 0 irrelevant · 1 related · 2 relevant · 3 perfect "
    "by default), per query, saved to labels.yaml at once. "
    "A label marked ! was given to a passage whose text has changed since.\n"
    "Metrics (the line above the preview) are computed by ir-measures from this query's labels, "
    "BM25 → reranked (the reranked head, then BM25's order): unlabeled passages count as "
    "non-relevant, and the ideal DCG is formed from all labeled passages of the query.\n"
    "Label keys, x and u work in either result pane, side by side and in the passage view; n and R "
    "work on the union of both lists' top 10 (the judging pool). "
    "Tab / shift+tab move between the query, the instruction and the panes; "
    "the command palette (ctrl+p) lists every action and preset."
)


def _on_scale(binding, scale: Scale) -> bool:
    """Label digits off the workspace's scale are left out (they only say so)."""
    if binding.id and binding.id.startswith("label_") and binding.id[6:].isdigit():
        return int(binding.id[6:]) in scale
    return True


def key_table(keymap: dict[str, str], scale: Scale = DEFAULT_SCALE) -> Table:
    table = Table(box=None, expand=True, show_header=True, header_style="bold")
    table.add_column("keys", no_wrap=True)
    table.add_column("action")
    table.add_column("id", style="dim", no_wrap=True)
    for binding in HELP_BINDINGS:
        if _on_scale(binding, scale):
            table.add_row(Text(display_keys(keys_of(binding, keymap))), binding.tooltip or binding.description, binding.id)
    table.add_row("ctrl+p", "Command palette: actions and presets", "")
    table.add_row("escape", "Close a screen or dialog", "")
    for title, bindings in (("passage view", PASSAGE_BINDINGS[1:3]), ("query set (ctrl+e)", QUERY_SET_BINDINGS)):
        table.add_row(Text(title, style="bold"), "", "")
        for binding in bindings:
            table.add_row(Text(display_keys(keys_of(binding, keymap))), binding.tooltip or binding.description, binding.id)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close")]

    def __init__(self, keymap: dict[str, str], scale: Scale = DEFAULT_SCALE) -> None:
        super().__init__()
        self.keymap = keymap
        self.scale = scale

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("rerank-tui · keys", classes="dialog-title", markup=False)
            yield Static(key_table(self.keymap, self.scale))
            yield Static(NOTES, classes="help-notes", markup=False)
