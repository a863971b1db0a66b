"""Every key binding, each with an id the user can remap in their config's `keymap:`.

    # ~/.config/rerank-tui/config.yaml   (RERANK_TUI_CONFIG_DIR moves it)
    keymap:
      rerank: f5
      label_3: "3,p"

Ids are stable; the help screen lists them with their current keys.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from textual.binding import Binding

from rerank_tui.session.store import WorkspaceFileError, read_yaml

APP_BINDINGS = [
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    Binding("f1,question_mark", "help", "Help", id="help"),
    Binding("ctrl+r", "rerank", "Rerank", id="rerank", priority=True),
    Binding("ctrl+s", "save_preset", "Save preset", id="save_preset", priority=True),
    Binding("ctrl+o", "pick_preset", "Presets", id="pick_preset", priority=True),
    Binding("ctrl+l", "focus_query", "Query", id="focus_query", show=False, priority=True),
    Binding("ctrl+t", "focus_instruction", "Instruction", id="focus_instruction", show=False, priority=True),
    Binding("ctrl+g", "recent_queries", "History", id="recent_queries", show=False, priority=True),
    Binding("ctrl+b", "tries", "Tries", id="tries", priority=True),
    Binding("slash", "focus_query", "Query", id="focus_query_slash", show=False),
]

RESULTS_BINDINGS = [
    Binding("3", "app.label(3)", "Perfect", id="label_3", show=False),
    Binding("2", "app.label(2)", "Relevant", id="label_2", show=False),
    Binding("1", "app.label(1)", "Related", id="label_1", show=False),
    Binding("0", "app.label(0)", "Irrelevant", id="label_0", show=False),
    Binding("x,delete", "app.clear_label", "Clear label", id="label_clear", show=False),
    Binding("u,ctrl+z", "app.undo_label", "Undo", id="undo_label", show=False),
    Binding("j", "cursor_down", "Down", id="cursor_down", show=False),
    Binding("k", "cursor_up", "Up", id="cursor_up", show=False),
    Binding("enter", "select_cursor", "Open", id="open_passage"),
]

# Shown on the help screen, in this order, with what they do in words.
DESCRIPTIONS = {
    "quit": "Quit (everything is already saved)",
    "help": "This help",
    "rerank": "Rerank the BM25 hits now (also Enter in the query box)",
    "save_preset": "Save the instruction as a preset",
    "pick_preset": "Switch, rename or delete presets",
    "focus_query": "Jump to the query box (up/down there: query history)",
    "focus_query_slash": "Jump to the query box, from a result pane",
    "focus_instruction": "Jump to the instruction editor",
    "recent_queries": "Recent queries",
    "tries": "Presets and tries scored over labeled queries; compare two",
    "label_3": "Label the highlighted passage 3 · perfect",
    "label_2": "Label 2 · relevant",
    "label_1": "Label 1 · related",
    "label_0": "Label 0 · irrelevant",
    "label_clear": "Clear the label",
    "undo_label": "Undo the last label change",
    "cursor_down": "Next hit",
    "cursor_up": "Previous hit",
    "open_passage": "Open the passage full screen (Escape returns)",
}


_MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}


@lru_cache(maxsize=1)
def _key_names() -> frozenset[str]:
    """Every key name Textual knows: `f5`, `enter`, `comma`, `question_mark`, `a`, `3`…"""
    from textual import keys

    names = {k.value.rsplit("+", 1)[-1] for k in keys.Keys} | set(keys.KEY_ALIASES)
    names |= {keys._character_to_key(c) for c in string.printable if c.isprintable()}
    return frozenset(names)


def key_problem(value) -> str | None:
    """Why `value` is not a comma-separated list of keys (`f5`, `3,p`, `ctrl+s`), or None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
        value = str(value)
    if not isinstance(value, str):
        return f"{value!r} is not a key (write keys as text, e.g. \"f5\" or \"3,p\")"
    for key in value.split(","):
        *modifiers, name = key.strip().split("+")
        if not name or name not in _key_names() or any(m not in _MODIFIERS for m in modifiers):
            return f"{value!r} is not a key: {key.strip() or 'an empty key'!r} (write keys like \"f5\", \"ctrl+s\", \"3,p\"; \"comma\" for ,)"
    return None


def load_keymap(config_dir: Path) -> tuple[dict[str, str], list[str]]:
    """The user's `keymap:` from `config.yaml` (binding id → keys) and its problems.

    An unreadable config, an unknown id or a value that is not a key never stops the app:
    each is reported, and the binding keeps its default key.
    """
    path = Path(config_dir) / "config.yaml"
    try:
        document = read_yaml(path)
    except WorkspaceFileError as exc:
        return {}, [f"{exc} (using the default keys)"]
    data = document.data if document is not None else None
    if not data:
        return {}, []
    if not isinstance(data, dict):
        return {}, [f"{document.error('expected a mapping with a `keymap:` section')} (using the default keys)"]
    keymap = data.get("keymap")
    if keymap is None:
        return {}, []
    if not isinstance(keymap, dict):
        return {}, [f"{document.error('`keymap` must map binding ids to keys', 'keymap')} (using the default keys)"]
    known = {b.id for b in APP_BINDINGS + RESULTS_BINDINGS}
    problems, clean = [], {}
    unknown = sorted(str(k) for k in keymap if k not in known)
    if unknown:
        problems.append(str(document.error(f"unknown binding ids {', '.join(unknown)}", "keymap", unknown[0])))
    for binding_id, keys in keymap.items():
        if binding_id not in known or keys is None:
            continue
        problem = key_problem(keys)
        if problem:
            problems.append(str(document.error(f"keymap {binding_id}: {problem}; keeping its default key", "keymap", binding_id)))
        else:
            clean[str(binding_id)] = str(keys)
    return clean, problems
