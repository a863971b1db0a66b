"""HTML → plain text for indexing: the page's content, without its navigation and menus.

What is kept: the first `<main>` (or element with `role="main"`) when the page has one with
text, else all `<article>`s (or `role="article"`), else the whole page. Dropped wherever they
are: `<nav>`, `<footer>`, `<search>`, `<menu>`, elements whose `role` is navigation, banner,
contentinfo, search, menu or menubar, controls (`<button>`, `<select>`), what is not rendered
(the `hidden` attribute, a closed `<dialog>`), Sphinx/MkDocs permalink anchors
(`<a class="headerlink">¶</a>`), and script/style/template/noscript/svg/math. `<header>` and `<aside>` are dropped too, except inside
an article or main (or, for `<header>`, a section): there `<header>` holds the content's own
title (Docusaurus, blog posts) and `<aside>` its footnotes and sidebars (docutils/Sphinx write
footnotes as `<aside class="footnote">`); page-level headers and sidebars are outside them.

Block elements become paragraph breaks and headings become Markdown `#` lines, so the
Markdown chunker splits the result by heading and paragraph like any other document. Outside
`<pre>`, runs of whitespace collapse to one space (HTML source line breaks carry no meaning).
The page's `<title>` is the top heading when the kept part has no heading of its own.
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
     "caption", "center", "search", "menu"}
)  # fmt: skip
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
     "track", "wbr", "keygen", "basefont", "frame", "isindex"}
)  # fmt: skip
# A start tag of these closes an open one of the same name (HTML's optional end tags).
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "option"})
# Controls are never document text ("Back to top", "Change theme", version pickers).
_BOILERPLATE_TAGS = frozenset({"nav", "footer", "search", "menu", "button", "select"})
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menu", "menubar"})
_SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace (not &nbsp;)
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")

# What an open element does to the text inside it (bits).
_DROP = 1  # boilerplate or script-like: its text is not kept
_MAIN = 2  # a main region
_ARTICLE = 4
_CONTENT = 8  # main, article or role=main/article: header/aside below it are content
_SECTION = 16
_PRE = 32


def _effects(tag: str, attrs: list[tuple[str, str | None]], inside: int) -> int:
    """The bits an element adds, given the bits of what it is inside."""
    if tag in _SKIP:
        return _DROP
    if tag in _BOILERPLATE_TAGS:
        return _DROP
    role = cls = ""
    is_open = False
    for name, value in attrs:
        if name == "role" and value:
            role = value.lower()
        elif name == "class" and value:
            cls = value
        elif name == "hidden" and (value or "").lower() != "until-found":
            return _DROP  # not rendered
        elif name == "open":
            is_open = True
    roles = set(role.split()) if role else ()
    if roles and not _BOILERPLATE_ROLES.isdisjoint(roles):
        return _DROP
    if tag == "dialog" and not is_open:  # a closed dialog is not shown
        return _DROP
    if tag == "header" and not inside & (_CONTENT | _SECTION):
        return _DROP
    if tag == "aside" and not inside & _CONTENT:
        return _DROP
    if tag == "a" and cls and "headerlink" in cls.split():
        return _DROP
    bits = 0
    if tag == "main" or "main" in roles:
        bits |= _MAIN | _CONTENT
    if tag == "article" or "article" in roles:
        bits |= _ARTICLE | _CONTENT
    if tag == "section":
        bits |= _SECTION
    if tag == "pre":
        bits |= _PRE
    return bits


class _Extractor(HTMLParser):
    """Collects text pieces, each tagged with where it lies (which main, in an article)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # (text, ordinal of the main it is in or -1, inside an article, heading markup)
        self.parts: list[tuple[str, int, bool, bool]] = []
        self.title: list[str] = []
        # Open elements: (tag, bits of it and everything around it, main ordinal around it).
        self.stack: list[tuple[str, int, int]] = []
        self.open_count: dict[str, int] = {}
        self.bits = 0  # bits of the innermost open element (cumulative)
        self.main = -1  # ordinal of the outermost open main, -1 outside one
        self.mains = 0
        self.heading: str | None = None  # the open heading tag, when its text is kept

    # -- the element stack (enough of HTML's tree building to know where text lies) -------

    def _push(self, tag: str, attrs) -> None:
        if tag in _SELF_CLOSING_SIBLINGS and self.stack and self.stack[-1][0] == tag:
            self._pop_to(tag)
        bits = _effects(tag, attrs, self.bits)
        self.stack.append((tag, self.bits | bits, self.main))
        self.open_count[tag] = self.open_count.get(tag, 0) + 1
        if bits & _MAIN and self.main < 0 and not self.bits & _DROP:
            self.main = self.mains
            self.mains += 1
        self.bits |= bits

    def _pop_to(self, tag: str) -> bool:
        """Close the innermost open `tag` and everything opened inside it (False: none open)."""
        if not self.open_count.get(tag):
            return False  # a stray end tag: ignored, as browsers do
        while self.stack:
            name, _bits, main_around = self.stack.pop()
            self.open_count[name] -= 1
            self.main = main_around
            if name == self.heading:
                self._end_heading()
            if name == tag:
                break
        self.bits = self.stack[-1][1] if self.stack else 0
        return True

    # -- output --------------------------------------------------------------------------

    def _emit(self, text: str, markup: bool = False) -> None:
        self.parts.append((text, self.main, bool(self.bits & _ARTICLE), markup))

    def _end_heading(self) -> None:
        self.heading = None
        self._emit("\n\n", True)

    def handle_starttag(self, tag: str, attrs) -> None:
        dropped_around = self.bits & _DROP
        if tag not in _VOID:
            self._push(tag, attrs)
        if dropped_around or self.bits & _DROP:
            return
        if tag in _HEADINGS and self.heading is None:
            self.heading = tag
            self._emit("\n\n" + "#" * _HEADINGS[tag] + " ", True)
        elif tag == "br":
            self._emit("\n")
        elif tag == "pre" or tag in _BLOCKS:
            self._emit("\n\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _SKIP:  # <script/> opens nothing
            return
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        self._pop_to(tag)  # a stray end tag closes nothing, but still ends a paragraph
        if self.bits & _DROP:
            return
        if tag == "pre" or tag in _BLOCKS:
            self._emit("\n\n")

    def handle_data(self, data: str) -> None:
        if self.bits & _DROP:
            return
        if self.heading == "title":
            self.title.append(data)
        if self.bits & _PRE and self.heading is None:
            self._emit(data)
        else:
            self._emit(_SPACES.sub(" ", data))


def _join(parts: list[str]) -> str:
    return _BLANK_LINES.sub("\n\n", "".join(parts)).strip()


def html_to_text(html: str) -> str:
    parser = _Extractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; never let odd markup crash a load
        pass
    parts = parser.parts
    chosen = parts
    for keep in (lambda p: p[1] == 0, lambda p: p[2]):  # the first main, else the articles
        region = [p for p in parts if keep(p)]
        if any(not markup and not text.isspace() for text, _m, _a, markup in region):
            chosen = region
            break
    text = _join([p[0] for p in chosen])
    if chosen is not parts:  # the page's <title> (in <head>) names it if nothing inside does
        title = _SPACES.sub(" ", "".join(parser.title)).strip()
        if title and not any(markup and t.startswith("\n\n#") for t, _m, _a, markup in chosen):
            text = _join(["# ", title, "\n\n", text])
    return text
