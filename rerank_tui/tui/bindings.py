"""Every key binding, each with an id the user can remap in their config's `keymap:`.

    # ~/.config/rerank-tui/config.yaml   (RERANK_TUI_CONFIG_DIR moves it)
    keymap:
      rerank: f5
      label_3: "3,p"

Ids are stable; each binding carries its help text (`tooltip`), and the help screen and the
command palette list them with the user's keys.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from textual.binding import Binding

from rerank_tui.session.store import WorkspaceFileError, read_yaml

def _binding(keys: str, action: str, short: str, binding_id: str, help_text: str, **options) -> Binding:
    """A binding with its id (for `keymap:`) and its help text (the help screen's words)."""
    return Binding(keys, action, short, id=binding_id, tooltip=help_text, **options)


APP_BINDINGS = [
    _binding("ctrl+q", "quit", "Quit", "quit", "Quit (everything is already saved)", priority=True),
    _binding("f1,question_mark", "help", "Help", "help", "This help"),
    _binding("ctrl+r", "rerank", "Rerank", "rerank", "Rerank the BM25 hits now (also Enter in the query box)", priority=True),
    _binding("ctrl+s", "save_preset", "Save preset", "save_preset", "Save the instruction as a preset", priority=True),
    _binding("ctrl+o", "pick_preset", "Presets", "pick_preset", "Switch, rename or delete presets", priority=True),
    _binding("ctrl+l", "focus_query", "Query", "focus_query", "Jump to the query box (up/down there: query history)", show=False, priority=True),
    _binding("ctrl+t", "focus_instruction", "Instruction", "focus_instruction", "Jump to the instruction editor", show=False, priority=True),
    _binding("ctrl+g", "recent_queries", "History", "recent_queries", "Recent queries", show=False, priority=True),
    _binding("ctrl+b", "tries", "Tries", "tries", "Presets and tries scored over labeled queries; compare two", priority=True),
    _binding("slash", "focus_query", "Query", "focus_query_slash", "Jump to the query box, from a result pane", show=False),
]

# The label keys: the same bindings (and so the same remapped keys) in both result panes and
# in the full-screen passage view.
LABEL_BINDINGS = [
    _binding("3", "app.label(3)", "3 perfect", "label_3", "Label the highlighted passage 3 · perfect", show=False),
    _binding("2", "app.label(2)", "2 relevant", "label_2", "Label 2 · relevant", show=False),
    _binding("1", "app.label(1)", "1 related", "label_1", "Label 1 · related", show=False),
    _binding("0", "app.label(0)", "0 irrelevant", "label_0", "Label 0 · irrelevant", show=False),
    _binding("x,delete", "app.clear_label", "Clear", "label_clear", "Clear the label", show=False),
    _binding("u,ctrl+z", "app.undo_label", "Undo", "undo_label", "Undo the last label change", show=False),
]

RESULTS_BINDINGS = [
    *LABEL_BINDINGS,
    _binding("j", "cursor_down", "Down", "cursor_down", "Next hit", show=False),
    _binding("k", "cursor_up", "Up", "cursor_up", "Previous hit", show=False),
    _binding("enter", "select_cursor", "Open", "open_passage", "Open the passage full screen (Escape returns)"),
]

PASSAGE_BINDINGS = [
    _binding("escape,q", "app.pop_screen", "Back", "close_passage", "Back from the passage view"),
    *(Binding(b.key, b.action, b.description, id=b.id, tooltip=b.tooltip) for b in LABEL_BINDINGS),  # shown in its footer
]

HELP_BINDINGS = APP_BINDINGS + RESULTS_BINDINGS  # in the help screen's order
ALL_BINDINGS = HELP_BINDINGS + PASSAGE_BINDINGS[:1]


def keys_of(binding: Binding, keymap: dict[str, str]) -> str:
    """The keys a binding answers to, with the user's remapping."""
    return keymap.get(binding.id, binding.key) if binding.id else binding.key


def display_keys(keys: str) -> str:
    return keys.replace("question_mark", "?").replace("slash", "/")


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
    known = {b.id for b in ALL_BINDINGS}
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
