"""HTML → plain text for indexing: tags dropped, entities unescaped, script/style removed.

Block elements become paragraph breaks and headings become Markdown `#` lines, so the
Markdown chunker splits the result by heading and paragraph like any other document. Outside
`<pre>`, runs of whitespace collapse to one space (HTML source line breaks carry no meaning).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "template", "noscript", "svg", "math"})
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6, "title": 1}
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "aside", "header", "footer", "nav", "main", "blockquote",
     "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
     "figure", "figcaption", "form", "fieldset", "details", "summary", "hr", "address", "body",
     "caption", "center"}
)  # fmt: skip
_SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace (not &nbsp;)
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.heading_tag: str | None = None

    def _break(self, text: str = "\n\n") -> None:
        self.parts.append(text)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _HEADINGS and self.heading_tag is None:
            self.heading_tag = tag
            self._break("\n\n" + "#" * _HEADINGS[tag] + " ")
        elif tag == "br":
            self._break("\n")
        elif tag == "pre":
            self.pre_depth += 1
            self._break()
        elif tag in _BLOCKS:
            self._break()

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag not in _SKIP:  # <script/> opens nothing
            self.handle_starttag(tag, attrs)
            if tag == "pre":
                self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == self.heading_tag:
            self.heading_tag = None
            self._break()
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
            self._break()
        elif tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth and self.heading_tag is None:
            self.parts.append(data)
        else:
            self.parts.append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    parser = _Extractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; never let odd markup crash a load
        pass
    text = "".join(parser.parts)
    return _BLANK_LINES.sub("\n\n", text).strip()
