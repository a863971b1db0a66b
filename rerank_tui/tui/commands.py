"""Command palette (ctrl+p): the app's actions and one entry per preset."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from rerank_tui.safe_text import one_line

ACTIONS = [
    ("Rerank now", "rerank", "Rerank the current BM25 hits"),
    ("Save instruction as preset", "save_preset", "Name and store the current instruction"),
    ("Presets…", "pick_preset", "Switch, rename or delete presets"),
    ("Rename current preset", "rename_preset", ""),
    ("Delete current preset", "delete_preset", ""),
    ("Recent queries", "recent_queries", ""),
    ("Presets and tries: scores and compare", "tries", "Mean metrics over labeled queries"),
    ("Undo last label", "undo_label", ""),
    ("Keys and help", "help", ""),
]


class RerankCommands(Provider):
    def _commands(self):
        app = self.app
        for title, action, help_text in ACTIONS:
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
