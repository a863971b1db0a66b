"""A short excerpt of a passage around the first place it matches the query."""

from __future__ import annotations

import re

from rerank_tui.recall.tokenize import Tokenizer

_WORD = re.compile(r"\w+")


def snippet(text: str, query: str, tokenizer: Tokenizer, width: int = 200) -> str:
    """About `width` characters of `text` (whitespace collapsed), starting shortly before the
    first word that shares an index term with the query; the passage start if none does."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    wanted = set(tokenizer.tokenize(query))
    start = 0
    if wanted:
        for match in _WORD.finditer(flat):
            if wanted.intersection(tokenizer.tokenize(match.group())):
                start = max(0, match.start() - width // 5)
                break
    start = min(start, len(flat) - width)
    if start > 0:  # begin on a word boundary
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    piece = flat[start : start + width]
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(flat) else "")
