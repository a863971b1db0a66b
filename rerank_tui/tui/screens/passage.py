"""One passage full screen, query terms highlighted; label keys work here too."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from rerank_tui.recall.index import Hit
from rerank_tui.recall.tokenize import Tokenizer
from rerank_tui.tui.bindings import PASSAGE_BINDINGS
from rerank_tui.tui.render import highlighted
from rerank_tui.tui.widgets.preview import passage_header


class PassageScreen(Screen[None]):
    BINDINGS = PASSAGE_BINDINGS  # the label bindings of the panes, with the user's keys

    def __init__(self, hit: Hit, query: str, tokenizer: Tokenizer, label) -> None:
        super().__init__()
        self.hit = hit
        self.search_query = query
        self.tokenizer = tokenizer
        self.label = label

    def compose(self) -> ComposeResult:
        yield Static(self._header(), id="passage-head", markup=False)
        with VerticalScroll(id="passage-scroll"):
            yield Static(highlighted(self.hit.passage.text, self.search_query, self.tokenizer), markup=False)
        yield Footer()

    def _header(self):
        label = self.label
        return passage_header(self.hit, label, label is not None and label.is_stale(self.hit.passage.text))

    def refresh_label(self, label) -> None:
        self.label = label
        self.query_one("#passage-head", Static).update(self._header())
