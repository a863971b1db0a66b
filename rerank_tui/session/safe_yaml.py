"""YAML for files a person edits: fast (libyaml), and refusing what a hostile file could do.

`yaml.safe_load` already refuses arbitrary objects, but it still follows anchors and aliases (a
1 KB "billion laughs" file expands past gigabytes once something walks it), silently keeps the
last of two duplicate keys (the first copy is lost at the next save), and recurses without a
bound in its pure-Python composer. Before anything is constructed, the composed node graph is
walked once, iteratively: an alias, a duplicate key or nesting deeper than `MAX_DEPTH` is
refused with the line it is on. The walk costs about a tenth of the parse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

MAX_DEPTH = 64

if TYPE_CHECKING:  # the C classes (absent without libyaml) have the same interface
    _Base = yaml.SafeLoader
    _BaseDumper = yaml.SafeDumper
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class YamlRefused(yaml.MarkedYAMLError):
    """Valid YAML this app does not accept in a user file (aliases, duplicate keys, depth)."""


def _line_mark(node):
    return node.start_mark


def check_node(root: yaml.Node) -> None:
    """Raise `YamlRefused` at the first alias, duplicate mapping key or over-deep node."""
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise YamlRefused(problem="anchors and aliases (*name) are not allowed in this file", problem_mark=_line_mark(node))
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlRefused(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=_line_mark(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict = {}
            for key, value in node.value:
                ident = (key.tag, key.value) if isinstance(key, yaml.ScalarNode) else ("complex", id(key))
                if ident in keys:
                    raise YamlRefused(
                        problem=f"duplicate key {key.value!r} (first on line {keys[ident]})", problem_mark=_line_mark(key)
                    )
                keys[ident] = key.start_mark.line + 1
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)


class UserFileLoader(_Base):
    """The safe loader, with `check_node` run on each document before it is constructed."""

    def construct_document(self, node):
        check_node(node)
        return super().construct_document(node)


def parse(text: str):
    """Parse one YAML document of a user file (YAML errors carry their line)."""
    return yaml.load(text, Loader=UserFileLoader)


class _Dumper(_BaseDumper):
    """Multi-line strings as `|` blocks (readable instructions), keys in insertion order."""


def _str_representer(dumper, value: str):
    if "\n" in value and value == value.rstrip("\n ") and not any(c in value for c in "\r\t\x85\u2028\u2029"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)


def dump(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def node_line(text: str, *keys: str | int) -> int | None:
    """The line of the node reached by following mapping keys / sequence indexes (for messages).

    Composes the text once; only called when there is an error to report.
    """
    try:
        node = yaml.compose(text, Loader=_Base)
    except (yaml.YAMLError, RecursionError):
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for key in keys:
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == str(key):
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                return line
        else:
            return line
    return line
