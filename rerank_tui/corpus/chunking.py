"""Text → passage spans: split by Markdown heading, then paragraph, then sentence, then word.

Rules:
- Markdown (and HTML, converted to Markdown-like text): ATX (`## x`) and setext (underlined)
  headings start a new section; the heading path names the section and the heading line is
  not passage text. Fenced code blocks (and YAML front matter) are one paragraph even when
  they hold blank lines. Other text: sections do not exist, paragraphs are split by blank lines.
- Consecutive paragraphs of one section are merged while the passage stays within `max_words`.
- A paragraph over `max_words` is split at sentence ends (`. ! ?` before whitespace, or CJK
  `。！？；`), sentences packed up to the limit; a sentence still over it is split every
  `max_words` words.
- Words: runs of non-space characters, at most 64 characters each (a longer run counts as
  several words, so a megabyte without spaces still splits); every Han or kana character is a
  word of its own. (Hangul is space-separated, so it counts like Latin script.)
- Every span is trimmed: `text[start:end]` is the passage text exactly, and everything runs in
  linear time (no string building, regexes scan the original string with pos/endpos).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_WORD_CHARS = 64
_CJK = "\u2e80-\u2fdf\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD = re.compile(f"[{_CJK}]|[^\\s{_CJK}]{{1,{MAX_WORD_CHARS}}}")
_SENTENCE_END = re.compile("[.!?\u2026]+[\"'\u201d\u2019)\\]\u00bb]*(?=\\s)|[\u3002\uff01\uff1f\uff1b]+[\u300d\u300f\u201d\u2019\uff09\u300b]*")
_NON_SPACE = re.compile(r"\S")
_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*")
_SPACES = re.compile(r"\s+")
_MARKDOWN_STARTS = frozenset("#`~=-*_")  # first characters of heading, fence and rule lines


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    headings: tuple[str, ...]  # the Markdown heading path of the section ((), outside one)


def count_words(text: str, start: int = 0, end: int | None = None) -> int:
    """Words in `text[start:end]`, as defined above."""
    segment = text[start:end]
    parts = segment.split()  # C speed; the regex is only needed for CJK or overlong runs
    if not parts:
        return 0
    if (segment.isascii() or not _CJK_CHAR.search(segment)) and max(map(len, parts)) <= MAX_WORD_CHARS:
        return len(parts)
    return len(_WORD.findall(segment))


def split_passages(text: str, max_words: int, *, markdown: bool = False) -> list[Span]:
    """Passage spans of `text`, in document order."""
    blocks, sections = _blocks(text, markdown)
    if not blocks and markdown and not text.isspace():  # headings only: keep them as text
        blocks, sections = _blocks(text, False)
    spans: list[Span] = []
    cur_start = cur_end = -1
    cur_words = 0
    cur_section = -1
    for start, end, section in blocks:
        if section != cur_section and cur_start >= 0:
            spans.append(Span(cur_start, cur_end, sections[cur_section]))
            cur_start = -1
        cur_section = section
        for u_start, u_end, u_words in _units(text, start, end, max_words):
            if cur_start >= 0 and cur_words + u_words > max_words:
                spans.append(Span(cur_start, cur_end, sections[cur_section]))
                cur_start = -1
            if cur_start < 0:
                cur_start, cur_words = u_start, 0
            cur_end = u_end
            cur_words += u_words
    if cur_start >= 0:
        spans.append(Span(cur_start, cur_end, sections[cur_section]))
    return spans


def _clean_heading(raw: str) -> str:
    return _SPACES.sub(" ", raw.replace("`", "")).strip()


def _blocks(text: str, markdown: bool) -> tuple[list[tuple[int, int, int]], list[tuple[str, ...]]]:
    """Paragraphs as trimmed (start, end, section) triples, and the sections' heading paths."""
    blocks: list[tuple[int, int, int]] = []
    sections: list[tuple[str, ...]] = [()]
    stack: list[tuple[int, str]] = []
    section = 0
    para_start = para_end = -1
    para_lines = 0
    fence: tuple[str, int] | None = None  # (fence character, length) while inside a fence
    n = len(text)
    pos = 0

    def heading(level: int, title: str) -> int:
        while stack and stack[-1][0] >= level:
            stack.pop()
        if title:
            stack.append((level, title))
        sections.append(tuple(t for _, t in stack))
        return len(sections) - 1

    while pos < n:
        nl = text.find("\n", pos)
        line_end = n if nl < 0 else nl
        line = text[pos:line_end]
        line_pos = pos
        pos = line_end + 1
        content = line.rstrip()
        if not content:  # blank line
            if fence is None and para_start >= 0:
                blocks.append((para_start, para_end, section))
                para_start = -1
            continue
        if markdown and (fence is not None or content.lstrip()[:1] in _MARKDOWN_STARTS):
            if fence is not None:
                para_end = line_pos + len(content)
                close = content.lstrip()
                if fence[0] == "-":
                    if close in ("---", "..."):
                        fence = None
                elif close.startswith(fence[0] * fence[1]) and not close.strip(fence[0]):
                    fence = None
                continue
            if line_pos == 0 and content == "---":  # YAML front matter
                para_start, para_end, para_lines, fence = 0, 3, 1, ("-", 3)
                continue
            m = _ATX.fullmatch(content)
            if m:
                if para_start >= 0:
                    blocks.append((para_start, para_end, section))
                    para_start = -1
                section = heading(len(m.group(1)), _clean_heading(m.group(2) or ""))
                continue
            m = _FENCE.match(content)
            if m:
                if para_start >= 0:
                    blocks.append((para_start, para_end, section))
                para_start = line_pos + len(line) - len(line.lstrip())
                para_end = line_pos + len(content)
                para_lines = 1
                fence = (m.group(1)[0], len(m.group(1)))
                continue
            m = _SETEXT.fullmatch(content)
            if m and para_start >= 0 and para_lines == 1:
                title = _clean_heading(text[para_start:para_end])
                para_start = -1
                section = heading(1 if m.group(1)[0] == "=" else 2, title)
                continue
            if _RULE.fullmatch(content):
                if para_start >= 0:
                    blocks.append((para_start, para_end, section))
                    para_start = -1
                continue
        if para_start < 0:
            para_start = line_pos + len(line) - len(line.lstrip())
            para_lines = 0
        para_end = line_pos + len(content)
        para_lines += 1
    if para_start >= 0:
        blocks.append((para_start, para_end, section))
    return blocks, sections


def _units(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    """A paragraph as (start, end, words) pieces of at most `max_words` words each."""
    words = count_words(text, start, end)
    if words <= max_words:
        yield start, end, words
        return
    prev = start
    for m in _SENTENCE_END.finditer(text, start, end):
        yield from _sentence(text, prev, m.end(), max_words)
        prev = m.end()
    yield from _sentence(text, prev, end, max_words)


def _sentence(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return
    start = first.start()
    words = count_words(text, start, end)
    if words <= max_words:
        yield start, end, words
        return
    count = 0
    piece_start = piece_end = start
    for m in _WORD.finditer(text, start, end):
        if count == 0:
            piece_start = m.start()
        piece_end = m.end()
        count += 1
        if count == max_words:
            yield piece_start, piece_end, count
            count = 0
    if count:
        yield piece_start, piece_end, count
