"""One passage full screen, query terms highlighted; label keys work here, j/k step through
the list it was opened from."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from rerank_tui.recall.hit import Hit
from rerank_tui.recall.tokenize import Tokenizer
from rerank_tui.session.labels import Label
from rerank_tui.tui.bindings import PASSAGE_BINDINGS
from rerank_tui.tui.render import highlighted
from rerank_tui.tui.widgets.preview import passage_header


class PassageScreen(Screen[Hit | None]):
    """Returns the hit shown last (j/k move), so the list can put its cursor there."""

    # Textual types BINDINGS as an invariant list[BindingType]; ours are all Binding, which it only reads.
    BINDINGS = cast("list[BindingType]", PASSAGE_BINDINGS)  # the label bindings of the panes, with the user's keys

    def __init__(
        self,
        hit: Hit,
        query: str,
        tokenizer: Tokenizer,
        label_of: Callable[[Hit], Label | None],
        hits: list[Hit] | None = None,
    ) -> None:
        super().__init__()
        self.hit = hit
        self.search_query = query
        self.label_query = query  # what the label keys label for (see RerankApp.action_label)
        self.tokenizer = tokenizer
        self.label_of = label_of
        self.hits = hits or [hit]

    @property
    def label(self) -> Label | None:
        return self.label_of(self.hit)

    def compose(self) -> ComposeResult:
        yield Static(self._header(), id="passage-head", markup=False)
        with VerticalScroll(id="passage-scroll"):
            yield Static(self._body(), id="passage-body", markup=False)
        yield Footer()

    def _header(self):
        label = self.label
        position = next((i for i, h in enumerate(self.hits) if h.passage.id == self.hit.passage.id), None)
        scale = self.app.workspace.labels.scale
        head = passage_header(self.hit, label, label is not None and label.is_stale(self.hit.passage.text), scale)
        head.append(f"  keys {scale.low}–{min(scale.high, 9)} label", style="dim")
        if position is not None and len(self.hits) > 1:
            head.append(f"  ({position + 1}/{len(self.hits)} · j/k)", style="dim")
        return head

    def _body(self):
        return highlighted(self.hit.passage.text, self.search_query, self.tokenizer)

    def refresh_label(self, label=None) -> None:
        self.query_one("#passage-head", Static).update(self._header())

    def action_step(self, step: int) -> None:
        """The next (1) or previous (-1) hit of the list."""
        ids = [h.passage.id for h in self.hits]
        if self.hit.passage.id not in ids:
            return
        i = ids.index(self.hit.passage.id) + step
        if 0 <= i < len(self.hits):
            self.hit = self.hits[i]
            self.query_one("#passage-head", Static).update(self._header())
            self.query_one("#passage-body", Static).update(self._body())
            self.query_one("#passage-scroll", VerticalScroll).scroll_home(animate=False)

    def action_close(self) -> None:
        self.dismiss(self.hit)
