"""People vs the LLM judge, on the workspace's own data: the lines session.agreement writes
(confusion matrix, weighted κ, per-grade precision/recall, Kendall's τ over the snapshots)."""

from __future__ import annotations

from typing import cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from rerank_tui.tui.bindings import AGREEMENT_BINDINGS


class AgreementScreen(Screen[None]):
    # Textual types BINDINGS as an invariant list[BindingType]; ours are all Binding, which it only reads.
    BINDINGS = cast("list[BindingType]", AGREEMENT_BINDINGS)

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        yield Static(Text("People vs the judge", style="bold"), id="agreement-head")
        with VerticalScroll(id="agreement-scroll"):
            yield Static(Text("\n".join(self.lines)), id="agreement-body", markup=False)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
