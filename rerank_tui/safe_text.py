"""Document text is data: make it safe to print to a terminal or show in a widget.

Removes terminal escape sequences (CSI, OSC, DCS…) and control characters that could move the
cursor, change colours or retitle the window, and cuts very long lines. Rich markup needs no
handling here: the TUI renders `Text` objects, never markup strings. `json_line` is the same
care for `--json` output, which must round-trip the text exactly.
"""

from __future__ import annotations

import json
import math
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
# Characters that draw nothing: zero-width space/joiners, word joiner, BOM, Mongolian vowel
# separator, soft hyphen, bidi marks (LRM, RLM, ALM) and invisible math operators.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
# What `json_line` writes as \uXXXX: C1 controls, bidi controls, line/paragraph separators
# (a raw U+2028 breaks lines in many viewers and in JavaScript) and the invisible ones above.
_JSON_ESCAPED = re.compile(
    "[\x80-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def strip_controls(text: str) -> str:
    """Text without escape sequences or control characters (tab and newline are kept)."""
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))


def one_line(text: str, width: int) -> str:
    """Safe text collapsed to one line of at most `width` characters (… when cut).

    Invisible characters (zero-width space and joiners, word joiner, BOM, soft hyphen, bidi
    marks…) become a visible marker with their code point, U+200B as `⟨200B⟩`, so two titles
    that differ only by them never look the same.
    """
    visible = _INVISIBLE.sub(lambda m: f"⟨{ord(m.group()):04X}⟩", strip_controls(text))
    flat = " ".join(visible.split())
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"


def cut_long_lines(text: str, width: int = 2000) -> str:
    """Safe text whose lines are at most `width` characters (… marks a cut)."""
    lines = strip_controls(text).split("\n")
    return "\n".join(line if len(line) <= width else line[: width - 1] + "…" for line in lines)


def json_line(record) -> str:
    """`record` as one line of JSON for `--json` output.

    Text stays readable UTF-8 (json.dumps with ensure_ascii=False), except that C1 and bidi
    controls, U+2028/U+2029 and invisible characters are written as \\uXXXX escapes: raw, a
    terminal or log viewer would act on them; escaped, `json.loads` still gives back the exact
    text. NaN and ±infinity, which are not JSON, become null (e.g. a p-value with no test possible).
    """
    text = json.dumps(_finite(record), ensure_ascii=False, allow_nan=False)
    # Outside strings JSON is ASCII, and inside them a raw character is never part of an
    # escape, so escaping it here is exact.
    return _JSON_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
