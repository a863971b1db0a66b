"""The highlighted passage, with its id and path, query terms highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from rerank_tui.recall.hit import Hit
from rerank_tui.recall.tokenize import Tokenizer
from rerank_tui.session.labels import DEFAULT_SCALE, Label, Scale
from rerank_tui.tui.render import grade_name, highlighted, literal


def passage_header(hit: Hit, label: Label | None, stale: bool, scale: Scale = DEFAULT_SCALE) -> Text:
    head = Text(no_wrap=True, overflow="ellipsis")
    if label is not None and label.extra.get("source") == "suggested":
        name = grade_name(label.grade, scale)
        head.append(f"judge suggests {label.grade}{f' · {name}' if name else ''} (a accepts)  ", style="dim italic")
    elif label is not None:
        state = " (passage changed since it was labeled)" if stale else ""
        name = grade_name(label.grade, scale)
        head.append(f"label {label.grade}{f' · {name}' if name else ''}{state}  ", style="bold red" if stale else "bold")
    head.append_text(literal(hit.passage.id, 120))
    head.append("  ")
    head.append_text(literal(hit.passage.title, 160))
    return head


class Preview(VerticalScroll):
    can_focus = False
    scale: Scale = DEFAULT_SCALE  # the workspace's (set by the app)

    def compose(self) -> ComposeResult:
        yield Static("", id="preview-head", markup=False)
        yield Static("", id="preview-body", markup=False)

    def show(self, hit: Hit | None, query: str, tokenizer: Tokenizer, label: Label | None) -> None:
        head = self.query_one("#preview-head", Static)
        body = self.query_one("#preview-body", Static)
        if hit is None:
            head.update("")
            body.update("")
            return
        stale = label is not None and label.is_stale(hit.passage.text)
        head.update(passage_header(hit, label, stale, self.scale), layout=False)  # one line
        body.update(highlighted(hit.passage.text, query, tokenizer))
        self.scroll_home(animate=False)
