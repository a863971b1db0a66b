"""Every key binding, each with an id the user can remap in their config's `keymap:`.

    # <config folder>/config.yaml: ~/.config/rerank-tui on Linux, ~/Library/Application Support/rerank-tui
    # on macOS, %LOCALAPPDATA%/rerank-tui on Windows (paths.config_dir; RERANK_TUI_CONFIG_DIR moves it)
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
    _binding("ctrl+e", "query_set", "Query set", "query_set", "The query set: every query with its metrics; sort, filter, compare, snapshot", priority=True),
    _binding("ctrl+n", "query_note", "Note", "query_note", "Add the query to the set, with a note (its information need)", show=False, priority=True),
    _binding("f2", "recall_source", "Recall", "recall_source", "Next recall source: BM25, dense, hybrid, the --recall-run file (those configured)", show=False, priority=True),
    _binding("f3", "scratch", "Scratch", "scratch", "Score pasted documents with the instruction and model: the prompt, its tokens, any cut", show=False, priority=True),
    _binding("f4", "metric_labels", "Labels", "metric_labels", "Metrics on: human labels (default) → human + accepted → human + accepted + suggested", show=False, priority=True),
]

# The label keys: the same bindings (and so the same remapped keys) in both result panes and
# in the full-screen passage view.
LABEL_BINDINGS = [
    # Grades are the workspace's scale (labels.yaml `scale:`, 0–3 by default): a digit off the
    # scale says so. Grades above 9 (a 0–10 scale) are set by import or by editing the file.
    *(
        _binding(str(g), f"app.label({g})", f"{g}", f"label_{g}", f"Label the highlighted passage {g}" + (f" · {name}" if name else " (on a scale that has it)"), show=False)
        for g, name in ((3, "perfect"), (2, "relevant"), (1, "related"), (0, "irrelevant"), *((d, "") for d in range(4, 10)))
    ),
    _binding("x,delete", "app.clear_label", "Clear", "label_clear", "Clear the label", show=False),
    _binding("u,ctrl+z", "app.undo_label", "Undo", "undo_label", "Undo the last label change", show=False),
    _binding("a", "app.accept_suggestion", "Accept", "accept_suggestion", "Accept the judge's suggested grade (shown dim, 2?) of the highlighted passage", show=False),
    _binding("A", "app.accept_all_suggestions", "Accept all", "accept_all_suggestions", "Accept every suggestion of this query's lists that has no label (one undo reverts all)", show=False),
]

JUDGING_BINDINGS = [
    _binding("n", "app.next_unjudged", "Next unjudged", "next_unjudged", "Next unlabeled hit in the top 10 of both lists (a query is judged once, not once per pane)", show=False),
    _binding("R", "app.rate_rest", "Rest 0", "rate_rest", "Every unlabeled hit of both top 10s gets the lowest grade (one undo reverts all)", show=False),
]

RESULTS_BINDINGS = [
    *LABEL_BINDINGS,
    *JUDGING_BINDINGS,
    _binding("j", "cursor_down", "Down", "cursor_down", "Next hit", show=False),
    _binding("k", "cursor_up", "Up", "cursor_up", "Previous hit", show=False),
    _binding("enter", "select_cursor", "Open", "open_passage", "Open the passage full screen (Escape returns)"),
]

PASSAGE_BINDINGS = [
    _binding("escape,q", "close", "Back", "close_passage", "Back from the passage view"),
    _binding("j", "step(1)", "Next", "passage_next", "The next hit of the list, full screen"),
    _binding("k", "step(-1)", "Previous", "passage_previous", "The previous hit of the list"),
    *LABEL_BINDINGS,
]

QUERY_SET_BINDINGS = [
    _binding("escape", "close", "Back", "query_set_close", "Back to the main screen (clears the filter first)"),
    _binding("enter", "open", "Open", "query_set_open", "Open the query on the main screen, both lists filled"),
    _binding("tab", "next_sort(1)", "Sort", "query_set_sort", "Next order: Δ worst first, most holes, text, set order, B − A", priority=True),
    _binding("shift+tab", "next_sort(-1)", "Sort back", "query_set_sort_back", "Previous order", show=False, priority=True),
    _binding("ctrl+b", "compare", "Compare", "query_set_compare", "Compare A with another instruction (preset, try) or a snapshot"),
    _binding("ctrl+y", "side_by_side", "A|B", "query_set_side_by_side", "The highlighted query's two rankings side by side, with labels"),
    _binding("ctrl+s", "snapshot", "Snapshot", "query_set_snapshot", "Save the rankings of every query as a snapshot"),
    _binding("ctrl+n", "note", "Note", "query_set_note", "Edit the highlighted query's note"),
    _binding("f6", "judge", "Judge", "query_set_judge", "The LLM judge grades the unlabeled hits of every pool (top 10 of recall ∪ reranked); f6 again stops"),
    _binding("f7", "agreement", "Agreement", "query_set_agreement", "People vs the judge: confusion matrix, weighted kappa, per-grade P/R, Kendall's tau over the snapshots"),
    _binding("down", "cursor(1)", "Down", "query_set_down", "Next query", show=False),
    _binding("up", "cursor(-1)", "Up", "query_set_up", "Previous query", show=False),
    _binding("pagedown", "cursor(10)", "Page down", "query_set_page_down", "Ten queries down", show=False),
    _binding("pageup", "cursor(-10)", "Page up", "query_set_page_up", "Ten queries up", show=False),
]

SCRATCH_BINDINGS = [
    _binding("ctrl+r", "score", "Score", "scratch_score", "Score the pasted documents for the query", priority=True),
    _binding("escape", "close", "Back", "scratch_close", "Back to the main screen"),
]

AGREEMENT_BINDINGS = [
    _binding("escape,q", "close", "Back", "agreement_close", "Back to the query set"),
]

PAIR_BINDINGS = [
    _binding("escape,q", "app.pop_screen", "Back", "pair_close", "Back to the query set"),
]

# The help screen's order: quit, help and rerank, then what is pressed most (labels, judging),
# then the rest of the app's keys and the panes' movement keys.
HELP_BINDINGS = APP_BINDINGS[:3] + LABEL_BINDINGS + JUDGING_BINDINGS + APP_BINDINGS[3:] + RESULTS_BINDINGS[len(LABEL_BINDINGS) + len(JUDGING_BINDINGS):]
ALL_BINDINGS = HELP_BINDINGS + PASSAGE_BINDINGS[:3] + QUERY_SET_BINDINGS + PAIR_BINDINGS + AGREEMENT_BINDINGS + SCRATCH_BINDINGS


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
    if document is None or not document.data:
        return {}, []
    data = document.data
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
