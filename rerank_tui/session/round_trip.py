"""Saving a file the user edits by hand without losing what they wrote there (ruamel.yaml).

`round_trip_text(old_text, data, section)` is `old_text` changed to hold `data`: the comments
above and beside each entry, blank lines, key order, indentation and the quoting of every value
that did not change stay as they were; only what changed is written anew. The entries of
`section` (presets by name, queries in a list) may be added, renamed, moved or deleted: the
comment lines above an entry go with it (ruamel keeps them as the tail of the entry before;
they are moved to follow their own entry), so deleting one preset never hands its comment to
the next, and a comment above a preset survives the deletion of the one before it.

The result is None when the text cannot be kept (ruamel is missing, or the document is not a
mapping): the caller then writes its plain dump. The caller reads the result back with the
safe loader and compares it with `data` before writing it, so a surprise in the round trip can
cost comments, never content. ruamel is imported here only, on the first save (it takes about
20 ms to import), so opening the app never pays for it.
"""

from __future__ import annotations

import io
import re
from difflib import SequenceMatcher

MAX_ROUND_TRIP_CHARS = 32 << 10  # ruamel takes about 1 ms a query entry: a bigger file is written plainly
_WIDTH = 1 << 20  # never fold a long line the user wrote on one line


def kept_text(old_text: str, data: dict, section: str) -> str | None:
    """`round_trip_text`, read back with the safe loader: None unless it holds exactly `data`."""
    from rerank_tui.session import safe_yaml

    try:
        text = round_trip_text(old_text, data, section)
        if text is None and _only_comments(old_text):  # comments above an empty file stay on top
            text = old_text.rstrip("\n") + "\n" + safe_yaml.dump(data)
        if text is None or not _holds(safe_yaml.parse(text), data):
            return None
    except Exception:  # noqa: BLE001 - any surprise in the round trip: the plain dump instead
        return None
    return text


def _holds(parsed, data: dict) -> bool:
    """`parsed` holds `data`: the same top-level keys (in any order: the file's order is kept),
    each with the same value (in the same order)."""
    return isinstance(parsed, dict) and set(parsed) == set(data) and all(same(parsed[k], v) for k, v in data.items())


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def round_trip_text(old_text: str, data: dict, section: str) -> str | None:
    if len(old_text) > MAX_ROUND_TRIP_CHARS:
        return None
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.comments import CommentedMap
    except ImportError:  # not installed: the plain dump
        return None
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.allow_unicode = True
    yaml.width = _WIDTH
    mapping, sequence, offset = _indents(old_text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = bool(re.match(r"(?:[ \t]*(?:#[^\n]*)?\n)*---", old_text))
    document = yaml.load(old_text)
    if not isinstance(document, CommentedMap):
        return None
    _update_top(document, data, section)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


# -- indentation, as the file has it ----------------------------------------------------------


def _indents(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indents the file uses (2, 2, 0 when it shows none): the
    indent of the first nested key, and where the first `- ` of a list stands under its key."""
    mapping: int | None = None
    sequence: int | None = None
    offset = 0  # set with `sequence` (read only once that is)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if mapping is None and indent > 0 and not stripped.startswith("- "):
            mapping = indent
        if sequence is None and stripped.startswith("- "):
            parent = _parent_indent(lines, i, indent)
            offset = indent - parent
            sequence = offset + 2
        if mapping is not None and sequence is not None:
            break
    mapping = mapping or 2
    if sequence is None:
        sequence, offset = mapping, 0
    return mapping, max(sequence, offset + 2), offset


def _parent_indent(lines: list[str], at: int, indent: int) -> int:
    for line in reversed(lines[:at]):
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#") and len(line) - len(stripped) <= indent and not stripped.startswith("- "):
            return len(line) - len(stripped)
    return 0


# -- values -----------------------------------------------------------------------------------


def plain(node):
    """The plain Python value of a ruamel node (dicts, lists and scalars, order kept)."""
    if isinstance(node, dict):
        return {plain(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if type(node).__name__ == "ScalarBoolean":  # ruamel's bool keeps its spelling; it is an int
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def same(a, b) -> bool:
    """Equal, with the order of mapping keys and the types of scalars (1 is not True or 1.0)."""
    if type(a) is not type(b) and not (isinstance(a, str) and isinstance(b, str)):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def _fresh(value):
    """A new node for `value`: multi-line text as a `|` block, as the plain dump writes it."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    if isinstance(value, dict):
        node = CommentedMap()
        for k, v in value.items():
            node[k] = _fresh(v)
        return node
    if isinstance(value, list):
        return CommentedSeq(_fresh(v) for v in value)
    if isinstance(value, str) and "\n" in value and value == value.rstrip("\n ") and not any(
        c in value for c in "\r\t\x85\u2028\u2029"
    ):
        return LiteralScalarString(value)
    return value


# -- comments: the lines above an entry are the tail of the entry before it --------------------
# ruamel keeps a comment as the tail of the node before it: the end-of-line comment of the
# entry's last line, then every comment and blank line up to the next entry. The lines above
# the first entry of a block collection are kept on its parent's key instead (`_head`).


def _keys(container) -> list:
    return list(container) if isinstance(container, dict) else list(range(len(container)))


def _tail_slot(container, key):
    """(list, index, block) where the comment after the last line of `container[key]` lives
    (`block`: that line ends a `|` or `>` block, whose newline is its own, so the comment holds
    no end-of-line part), or None when it cannot hold one (an empty flow collection)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    value = container[key]
    if isinstance(value, (CommentedMap, CommentedSeq)):
        return _tail_slot(value, _keys(value)[-1]) if len(value) else None
    block = isinstance(value, (LiteralScalarString, FoldedScalarString))
    if isinstance(container, CommentedSeq):
        return container.ca.items.setdefault(key, [None, None]), 0, block
    return container.ca.items.setdefault(key, [None, None, None, None]), 2, block


def _parts(container, key) -> tuple[str, str]:
    """(the end-of-line comment of the entry's last line with its newline, the lines after it)."""
    slot = _tail_slot(container, key)
    token = slot[0][slot[1]] if slot is not None else None
    if token is None:
        return "", ""
    if slot[2]:
        return "", token.value
    return _split(token.value)


def _token(text: str):
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    return CommentToken(text, CommentMark(0), None)


def _set_parts(container, key, own: str, rest: str) -> None:
    """Put an end-of-line comment (`own`) and the lines after it (`rest`) after `container[key]`."""
    slot = _tail_slot(container, key)
    if slot is None:
        return  # an empty `{}` or `[]`: the lines after it are lost, never the data
    slots, index, block = slot
    text = rest if block else (own if own.strip() else "\n" if rest else "") + rest
    if text in ("", "\n"):
        slots[index] = None
    elif slots[index] is None:
        slots[index] = _token(text)
    else:
        slots[index].value = text


def _split(tail: str) -> tuple[str, str]:
    inline, newline, rest = tail.partition("\n")
    return inline + newline, rest


def _head(parent, key, node) -> str:
    """The lines between `key:` (and its end-of-line comment) and the first entry of `node`,
    its value. ruamel keeps them on the key (and the same tokens on the node)."""
    slots = parent.ca.items.get(key) if parent is not None else None
    text = ""
    if slots and len(slots) > 2 and slots[2] is not None:
        text = _split(slots[2].value)[1]
    tokens = slots[3] if slots and len(slots) > 3 and slots[3] else _node_head(node)
    if tokens:
        text += "".join(" " * (t.column or 0) + t.value for t in tokens if t is not None)
    return text


def _node_head(node):
    comment = getattr(node.ca, "comment", None)
    return comment[1] if comment and len(comment) > 1 else None


def _set_head(parent, key, node, text: str) -> None:
    slots = parent.ca.items.setdefault(key, [None, None, None, None])
    while len(slots) < 4:
        slots.append(None)
    tokens = [_token(text)] if text else None
    own = _split(slots[2].value)[0] if slots[2] is not None else ""
    if own.strip():
        slots[2].value = own + text  # after the key's own end-of-line comment
        tokens = None
    else:
        slots[2] = None
    slots[3] = tokens
    comment = getattr(node.ca, "comment", None)
    if comment:
        if comment[0] is not None and not own.strip():
            comment[0] = None
        if len(comment) > 1:
            comment[1] = tokens
    if not any(slots):
        del parent.ca.items[key]


# -- changing the document ----------------------------------------------------------------------


def _update_top(document, data: dict, section: str) -> None:
    """Top-level keys keep the file's order, `section` is updated entry by entry, a key the
    file lacks is added (`version` first, others last)."""
    plan = [(k, k if k in document else None, data[k]) for k in document if k in data]
    plan += [(k, None, v) for k, v in data.items() if k not in document]
    if "version" in data and "version" not in document:
        plan.insert(0, plan.pop(next(i for i, (k, _, _) in enumerate(plan) if k == "version")))
    _rebuild(None, None, document, plan, head=False, section=section)


def _update_value(container, key, new) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    old = container[key]
    if same(plain(old), new):
        return  # untouched: its quoting, comments and layout stay
    if isinstance(old, CommentedMap) and isinstance(new, dict) and len(old) and len(new):
        _rebuild(container, key, old, [(k, k if k in old else None, v) for k, v in new.items()])
    elif isinstance(old, CommentedSeq) and isinstance(new, list) and len(old) and len(new):
        _rebuild(container, key, old, _list_plan(old, new))
    else:
        own, rest = _parts(container, key)
        container[key] = _fresh(new)
        _set_parts(container, key, own, rest)


def _update_section(container, key, new) -> None:
    """The section's entries: a preset renamed (its key gone where one with the same value
    appears) keeps its comments; list items are matched in order."""
    from ruamel.yaml.comments import CommentedMap

    old = container[key]
    if isinstance(old, CommentedMap) and isinstance(new, dict) and len(old) and len(new) and not same(plain(old), new):
        gone = [k for k in old if k not in new]
        renamed = {}
        for k in (k for k in new if k not in old):
            match = next((g for g in gone if same(plain(old[g]), new[k])), None)
            if match is not None:
                gone.remove(match)
                renamed[k] = match
        plan = [(k, renamed.get(k, k if k in old else None), v) for k, v in new.items()]
        _rebuild(container, key, old, plan)
    else:
        _update_value(container, key, new)


def _list_plan(node, new: list) -> list:
    """(index, old index or None, value) per item of `new`: equal items matched in order; a
    run of changed items as long as the one it replaces is changed in place."""
    matcher = SequenceMatcher(a=[repr(plain(v)) for v in node], b=[repr(v) for v in new], autojunk=False)
    plan: list[tuple[int, int | None, object]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            plan += [(j, i1 + j - j1, new[j]) for j in range(j1, j2)]
        elif tag in ("replace", "insert"):
            plan += [(j, None, new[j]) for j in range(j1, j2)]
    return plan


def _rebuild(parent, pkey, node, plan, *, head: bool = True, section: str | None = None) -> None:
    """Make `node` (a mapping or a list, `parent[pkey]`) hold `plan`'s entries, in order: each
    (key, old key or None, value). A kept entry keeps its node, its comments and the lines
    above it; a gone entry takes the lines above it along; a new one comes without any."""
    old_keys = _keys(node)
    leads = {k: "" for k in old_keys}
    after = ""
    if old_keys and head:
        leads[old_keys[0]] = _head(parent, pkey, node)
    for i, k in enumerate(old_keys):
        own, rest = _parts(node, k)
        _set_parts(node, k, own, "")
        if i + 1 < len(old_keys):
            leads[old_keys[i + 1]] = rest
        else:
            after = rest
    values = [node[k] for k in old_keys]
    comments = {k: node.ca.items.get(k) for k in old_keys}
    mapping = isinstance(node, dict)
    if mapping:
        for k in old_keys:
            del node[k]
    else:
        node.clear()
    node.ca.items.clear()
    for position, (key, old, value) in enumerate(plan):
        if not mapping:
            key = position
        elif old is not None and old == key:
            key = old_keys[old_keys.index(old)]  # the file's own key: its quoting stays
        kept = values[old_keys.index(old)] if old is not None else _fresh(value)
        if mapping:
            node[key] = kept
        else:
            node.append(kept)
        if old is not None and comments[old] is not None:
            node.ca.items[key] = comments[old]
    keys = _keys(node)
    for key, (_, old, value) in zip(keys, plan):
        if old is not None:
            if key == section:
                _update_section(node, key, value)
            else:
                _update_value(node, key, value)
    new_leads = [leads.get(old, "") if old is not None else "" for _, old, _ in plan]
    if head:
        _set_head(parent, pkey, node, new_leads[0] if new_leads else "")
    for i, key in enumerate(keys):
        rest = new_leads[i + 1] if i + 1 < len(keys) else after
        _set_parts(node, key, _parts(node, key)[0], rest)
