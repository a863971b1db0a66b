"""Command palette (ctrl+p): the app's bindings (with the user's keys), preset actions, and one
entry per preset."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from rerank_tui.safe_text import one_line
from rerank_tui.tui.bindings import ALL_BINDINGS, display_keys, keys_of

# Actions with no key of their own.
EXTRA_ACTIONS = [
    ("Rename current preset", "rename_preset", ""),
    ("Delete current preset", "delete_preset", ""),
    ("Undo the last preset change", "undo_preset", "a save, rename or delete (also u in the preset picker)"),
]
IN_PALETTE = ("rerank", "save_preset", "pick_preset", "recent_queries", "tries", "undo_label", "help", "focus_query", "focus_instruction")


def binding_commands(keymap: dict[str, str]) -> list[tuple[str, str]]:
    """(title with the user's keys, action) of each binding the palette offers."""
    bindings = {b.id: b for b in ALL_BINDINGS}
    return [
        (f"{bindings[i].tooltip or bindings[i].description} ({display_keys(keys_of(bindings[i], keymap))})",
         bindings[i].action.removeprefix("app."))
        for i in IN_PALETTE
    ]


class RerankCommands(Provider):
    def _commands(self):
        app = self.app
        for title, action in binding_commands(app.options.keymap or {}):
            yield title, partial(app.run_action, action), ""
        for title, action, help_text in EXTRA_ACTIONS:
            yield title, partial(app.run_action, action), help_text
        for name, instruction in app.workspace.presets.presets.items():
            yield f"Preset: {name}", partial(app.apply_preset, name), one_line(instruction, 80)

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
