"""Document text → Rich `Text`, literally: never parsed as markup, control sequences removed."""

from __future__ import annotations

import re

from rich.text import Text

from rerank_tui.recall.tokenize import Tokenizer
from rerank_tui.safe_text import cut_long_lines, one_line
from rerank_tui.session.labels import SCALE, Label

_WORD = re.compile(r"\w+")
HIGHLIGHT = "bold reverse"
GRADE_STYLES = {0: "dim", 1: "yellow", 2: "green", 3: "bold green"}


def literal(text: str, width: int = 200) -> Text:
    """One line of document text, safe to put in a table cell."""
    return Text(one_line(text, width), no_wrap=True, overflow="ellipsis")


def title_cell(title: str, passage_id: str, width: int = 80) -> Text:
    """A hit's title for a table row: the innermost heading first (it tells passages of one
    file apart in a narrow pane), then, dimmed, the file and passage number. The preview
    shows the whole heading path."""
    parts = [p for p in (title or "").split(" › ") if p]
    number = passage_id.rsplit("#", 1)[-1] if "#" in passage_id else ""
    where = f"{parts[0]}#{number}" if parts and number else (parts[0] if parts else passage_id)
    if len(parts) < 2:
        return literal(where, width)
    cell = Text(one_line(parts[-1], width), no_wrap=True, overflow="ellipsis")
    cell.append("  " + one_line(where, 40), style="dim")
    return cell


def highlighted(text: str, query: str, tokenizer: Tokenizer, max_line: int = 2000) -> Text:
    """The passage with every word sharing an index term with the query highlighted.

    Latin words match by their terms (so `workers` lights up for `worker`); CJK runs are
    matched by character bigrams, as they are indexed.
    """
    safe = cut_long_lines(text, max_line)
    out = Text(safe)
    wanted = set(tokenizer.tokenize(query))
    if not wanted:
        return out
    for match in _WORD.finditer(safe):
        word = match.group()
        terms = tokenizer.tokenize(word)
        if not terms:
            continue
        if wanted.intersection(terms) and word.isascii():
            out.stylize(HIGHLIGHT, match.start(), match.end())
            continue
        # Mixed or CJK runs: find which characters belong to a matching term.
        for i in range(len(word) - 1):
            if word[i : i + 2] in wanted:
                out.stylize(HIGHLIGHT, match.start() + i, match.start() + i + 2)
        for sub in re.finditer(r"[A-Za-z0-9_]+", word):
            if wanted.intersection(tokenizer.tokenize(sub.group())):
                out.stylize(HIGHLIGHT, match.start() + sub.start(), match.start() + sub.end())
        if len(word) == 1 and word in wanted:
            out.stylize(HIGHLIGHT, match.start(), match.end())
    return out


def label_badge(label: Label | None, current_text: str | None = None) -> Text:
    """`3`, `0`… coloured by grade; `2!` when the passage changed since it was labeled."""
    if label is None:
        return Text("·", style="dim")
    stale = current_text is not None and label.is_stale(current_text)
    return Text(f"{label.grade}{'!' if stale else ''}", style="bold red" if stale else GRADE_STYLES[label.grade])


def grade_name(grade: int) -> str:
    return SCALE[grade]
