"""Document text → Rich `Text`, literally: never parsed as markup, control sequences removed."""

from __future__ import annotations

import re

from rich.text import Text

from rerank_tui.recall.tokenize import Tokenizer
from rerank_tui.safe_text import cut_long_lines, one_line
from rerank_tui.session.labels import DEFAULT_SCALE, Label, Scale

_WORD = re.compile(r"\w+")
HIGHLIGHT = "bold reverse"
GRADE_STYLES = ("dim", "yellow", "green", "bold green")  # lowest grade, lower half, upper half, highest
OFF_SCALE_STYLE = "red"


def literal(text: str, width: int = 200) -> Text:
    """One line of document text, safe to put in a table cell."""
    return Text(one_line(text, width), no_wrap=True, overflow="ellipsis")


def title_cell(title: str, passage_id: str, width: int = 80) -> Text:
    """A hit's title for a table row: the innermost heading first (it tells passages of one
    file apart in a narrow pane), then, dimmed, where it is: `zlib/README.md#3`, the file's
    folder (the last one), its name and the passage number. A file without headings shows
    just where it is, `zlib/copyright#1`, since many folders may have a file of that name.
    JSONL/BEIR passages show their title (or id) and passage number. The preview shows the
    whole heading path."""
    folder_passage = _folder_passage(title, passage_id)
    if folder_passage is not None:
        folder, name, headings, number = folder_passage
        if not headings:
            return literal(_location(folder, name, number, width), width)
        cell = Text(one_line(headings[-1], width), no_wrap=True, overflow="ellipsis")
        cell.append("  " + _location(folder, name, number, 40), style="dim")
        return cell
    parts = [p for p in (title or "").split(" › ") if p]
    number = passage_id.rsplit("#", 1)[-1] if "#" in passage_id else ""
    where = f"{parts[0]}#{number}" if parts and number else (parts[0] if parts else passage_id)
    if len(parts) < 2:
        return literal(where, width)
    cell = Text(one_line(parts[-1], width), no_wrap=True, overflow="ellipsis")
    cell.append("  " + one_line(where, 40), style="dim")
    return cell


def _folder_passage(title: str, passage_id: str) -> tuple[str, str, list[str], str] | None:
    """(last folder, file name, headings, passage number) of a folder corpus's passage, whose
    id is `<encoded relative path>#<n>` and title `<file name> › heading › …` (formats.py);
    None for anything else (JSONL/BEIR ids, or a title that does not start with the file
    name). Folder and name are shown as `display_path` shows them: readable, controls escaped."""
    from urllib.parse import unquote

    from rerank_tui.corpus.formats import TITLE_SEPARATOR
    from rerank_tui.corpus.walk import display_path

    path, sep, number = passage_id.rpartition("#")
    if not sep or not path or not number.isdigit():
        return None
    folders, _, base = path.rpartition("/")
    name = display_path(unquote(base, errors="surrogateescape"))  # encode_path, reversed
    title = title or ""
    if not name or (title != name and not title.startswith(name + TITLE_SEPARATOR)):
        return None
    headings = [h for h in title[len(name) :].split(TITLE_SEPARATOR) if h.strip()]
    folder = display_path(unquote(folders.rsplit("/", 1)[-1], errors="surrogateescape")) if folders else ""
    return folder, name, headings, number


def _location(folder: str, name: str, number: str, width: int) -> str:
    """`folder/name#n` (`name#n` at the root) in at most `width` characters, safe to show:
    the folder is cut first, then the name; `#n` always stays."""
    folder, name = one_line(folder, 1000), one_line(name, 1000)
    tail = f"#{number}"
    full = f"{folder}/{name}{tail}" if folder else f"{name}{tail}"
    if len(full) <= width:
        return full
    room = width - len(name) - len(tail) - 1  # what the folder may take
    if folder and room >= 1:
        return f"{one_line(folder, room)}/{name}{tail}"
    if width - len(tail) >= 2:
        return one_line(name, width - len(tail)) + tail
    return one_line(full, width)


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


def grade_style(grade: int, scale: Scale = DEFAULT_SCALE) -> str:
    """The grade's colour by its place on the scale: the lowest dim, the highest bold green,
    the lower half yellow and the upper half green (0–3: dim, yellow, green, bold green)."""
    if grade not in scale:
        return OFF_SCALE_STYLE
    if grade == scale.low:
        return GRADE_STYLES[0]
    if grade == scale.high:
        return GRADE_STYLES[-1]
    return GRADE_STYLES[1] if (grade - scale.low) * 2 < scale.high - scale.low else GRADE_STYLES[2]


def label_badge(label: Label | None, current_text: str | None = None, scale: Scale = DEFAULT_SCALE) -> Text:
    """`3`, `10`, `-1`… coloured by place on `scale`; `2!` when the passage changed since it was
    labeled; a dim `2?` for a judge's suggestion nobody has accepted (a stand-in label whose
    `source` is "suggested")."""
    if label is None:
        return Text("·", style="dim")
    if label.extra.get("source") == "suggested":
        return Text(f"{label.grade}?", style="dim italic")
    stale = current_text is not None and label.is_stale(current_text)
    return Text(f"{label.grade}{'!' if stale else ''}", style="bold red" if stale else grade_style(label.grade, scale))


def grade_name(grade: int, scale: Scale = DEFAULT_SCALE) -> str:
    """The grade's name on `scale`, safe to show on one line ("" for an unnamed grade)."""
    return one_line(scale.name(grade), 40)
