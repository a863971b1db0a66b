"""Small modal dialogs: ask for a name, pick from a list."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rerank_tui.safe_text import one_line


class NamePrompt(ModalScreen[str | None]):
    """Ask for one line of text (a preset name); Enter confirms, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Input(value=self.value, id="name-input")
            yield Static("Enter saves · Escape cancels", classes="dialog-hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Picker(ModalScreen[tuple[str, str] | None]):
    """Pick one of `items` (value, description). Returns (action, value): action is
    "select", or one of the extra keys given in `actions` (e.g. "rename", "delete")."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, items: list[tuple[str, str]], actions: dict[str, str] | None = None, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.items = items
        self.actions = actions or {}
        self.hint = hint or "Enter picks · Escape cancels"

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

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(("select", event.option.id))

    def on_key(self, event) -> None:
        action = self.actions.get(event.key)
        if action is None:
            return
        option_list = self.query_one(OptionList)
        if option_list.highlighted is not None:
            event.stop()
            self.dismiss((action, option_list.get_option_at_index(option_list.highlighted).id))

    def action_cancel(self) -> None:
        self.dismiss(None)
