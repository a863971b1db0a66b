"""Document text is data: make it safe to print to a terminal or show in a widget.

Removes terminal escape sequences (CSI, OSC, DCS…) and control characters that could move the
cursor, change colours or retitle the window, and cuts very long lines. Rich markup needs no
handling here: the TUI renders `Text` objects, never markup strings.
"""

from __future__ import annotations

import re

# ESC [ … final byte; ESC ] … BEL/ST; ESC P/X/^/_ … ST; 8-bit CSI/OSC; lone ESC + one char.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"
    r"|\x1b[@-Z\\-_]?"
)
# C0 controls except tab and newline, DEL, C1 controls, and bidi overrides that reorder text.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """Text without escape sequences or control characters (tab and newline are kept)."""
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))


def one_line(text: str, width: int) -> str:
    """Safe text collapsed to one line of at most `width` characters (… when cut)."""
    flat = " ".join(strip_controls(text).split())
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"


def cut_long_lines(text: str, width: int = 2000) -> str:
    """Safe text whose lines are at most `width` characters (… marks a cut)."""
    lines = strip_controls(text).split("\n")
    return "\n".join(line if len(line) <= width else line[: width - 1] + "…" for line in lines)
