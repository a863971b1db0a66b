"""Small modal dialogs: ask for a name, pick from a list, confirm."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rerank_tui.safe_text import cut_long_lines, one_line


class NamePrompt(ModalScreen[str | None]):
    """Ask for one line of text (a preset name); Enter confirms, Escape cancels (None). An
    empty line is None too, unless `allow_empty` (a note: empty clears it), then ""."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", *, allow_empty: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Input(value=self.value, id="name-input")
            yield Static("Enter saves · Escape cancels", classes="dialog-hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(value if value or self.allow_empty else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """Ask a yes/no question: y or Enter confirms (True), n or Escape cancels (False).

    `detail` (user text, e.g. the instruction about to be replaced) is shown literally."""

    DEFAULT_CSS = """
    Confirm {
        align: center middle;
    }
    Confirm > .dialog {
        max-width: 80;
    }
    #confirm-detail {
        color: $text-muted;
        max-height: 8;
    }
    """

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "", hint: str = "y or Enter: yes · n or Escape: no") -> None:
        super().__init__()
        self.question, self.detail, self.hint = question, detail, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(one_line(self.question, 200)), classes="dialog-title", markup=False)
            if self.detail:
                yield Static(Text(cut_long_lines(self.detail, 400)), id="confirm-detail", markup=False)
            yield Static(self.hint, classes="dialog-hint", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class Picker(ModalScreen[tuple[str, str | None] | None]):
    """Pick one of `items` (value, description). Returns (action, value): action is
    "select", or one of the extra keys given in `actions` (e.g. "rename", "delete"); value is
    None when the list is empty (an action such as "undo" needs no item). `highlight`: the
    value highlighted when the picker opens (e.g. the current preset)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        items: list[tuple[str, str]],
        actions: dict[str, str] | None = None,
        hint: str = "",
        highlight: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.items = items
        self.actions = actions or {}
        self.hint = hint or "Enter picks · Escape cancels"
        self.highlight = highlight

    def compose(self) -> ComposeResult:
        options = []
        for value, description in self.items:
            prompt = Text(one_line(value, 60), style="bold")
            if description:
                prompt.append("  ")
                prompt.append(one_line(description, 90), style="dim")
            options.append(Option(prompt, id=value))
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield OptionList(*options, id="picker-list")
            yield Static(self.hint, classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        values = [value for value, _ in self.items]
        if self.highlight in values:
            self.query_one(OptionList).highlighted = values.index(self.highlight)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(("select", event.option.id))

    def on_key(self, event) -> None:
        action = self.actions.get(event.key)
        if action is None:
            return
        option_list = self.query_one(OptionList)
        event.stop()
        if option_list.highlighted is not None:
            self.dismiss((action, option_list.get_option_at_index(option_list.highlighted).id))
        elif option_list.option_count == 0:
            self.dismiss((action, None))

    def action_cancel(self) -> None:
        self.dismiss(None)
