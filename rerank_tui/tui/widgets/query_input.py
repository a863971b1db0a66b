"""The query box: up/down walk through earlier queries, as in a shell."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class QueryInput(Input):
    BINDINGS = [
        Binding("up", "history(-1)", "Older query", show=False),
        Binding("down", "history(1)", "Newer query", show=False),
    ]

    def __init__(self, history: list[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = list(history or [])  # oldest first
        self._position: int | None = None  # index into history while browsing
        self._draft = ""

    def remember(self, query: str) -> None:
        query = query.strip()
        if query:
            self.history = [q for q in self.history if q != query] + [query]
        self._position = None

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._position is None:
            if step > 0:
                return
            self._draft = self.value
            self._position = len(self.history)
        self._position += step
        if self._position >= len(self.history):
            self._position = None
            self.value = self._draft
        else:
            self._position = max(self._position, 0)
            self.value = self.history[self._position]
        self.cursor_position = len(self.value)
