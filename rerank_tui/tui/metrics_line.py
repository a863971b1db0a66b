"""The live metrics line: `3 labeled  nDCG@10 0.412→0.655(+0.243)  AP@10 …`, fitted to a width.

A number is never cut: metrics are added in their order (LIVE_METRICS) only while the whole
entry fits, the ones that do not are counted in a dim `+N more`, and when abbreviating (no
leading zeros, single spaces, a shorter count) lets more of them fit, the line is abbreviated.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from rerank_tui.session.query_metrics import QueryMetrics

HINTS = (
    "metrics: label hits of this query to see nDCG, AP, RR, P, R for BM25 → reranked",
    "metrics: label hits to see nDCG, AP, RR, P, R for BM25 → reranked",
    "metrics: label hits to see nDCG, AP, RR, P, R",
    "metrics: label hits",
    "label hits",
)


@dataclass(frozen=True)
class _Style:
    """One way of writing the line, from the fullest to the most abbreviated."""

    labeled: str  # the count, with `{n}`
    gap: str  # between entries
    short_numbers: bool  # 0.412 → .412, +0.243 → +.243


_STYLES = (
    _Style("{n} labeled", "  ", False),
    _Style("{n} labeled", "  ", True),
    _Style("{n} labeled", " ", True),
    _Style("{n} lab.", " ", True),
)


def format_metrics(metrics: QueryMetrics | None, width: int | None = None) -> Text:
    """`nDCG@10 0.412→0.655(+0.243)` for each live metric that fits in `width` cells (all of
    them when `width` is None); a hint when nothing is labeled."""
    if metrics is None:
        return _hint(width)
    if width is None:
        return _line(metrics, _STYLES[0], None)
    best, best_shown = _STYLES[0], -1
    for style in _STYLES:  # abbreviate only when that shows more metrics
        shown = len(_fit(metrics, style, width)[1])
        if shown > best_shown:
            best, best_shown = style, shown
    return _line(metrics, best, width)


def _hint(width: int | None) -> Text:
    for hint in HINTS:
        if width is None or Text(hint).cell_len <= width:
            return Text(hint, style="dim", no_wrap=True, overflow="ellipsis")
    assert width is not None  # without a width the first hint was returned
    return Text(HINTS[-1][: max(width - 1, 0)] + "…" if width > 0 else "", style="dim", no_wrap=True)


def _number(value: float, style: _Style, signed: bool = False) -> str:
    text = f"{value:+.3f}" if signed else f"{value:.3f}"
    if style.short_numbers:
        text = text.replace("0.", ".", 1) if text.lstrip("+-").startswith("0.") else text
    return text


def _entry(name: str, bm25: float, after: float | None, style: _Style) -> list[tuple[str, str]]:
    """The pieces of one metric's entry, (text, style)."""
    pieces = [(f"{name} {_number(bm25, style)}", "")]
    if after is not None:
        delta = after - bm25
        pieces.append((f"→{_number(after, style)}", ""))
        pieces.append((f"({_number(delta, style, signed=True)})", "green" if delta > 0 else "red" if delta < 0 else "dim"))
    return pieces


def _entries(metrics: QueryMetrics, style: _Style) -> list[list[tuple[str, str]]]:
    reranked = metrics.reranked
    return [_entry(name, bm25, None if reranked is None else reranked[name], style) for name, bm25 in metrics.bm25.items()]


def _fit(metrics: QueryMetrics, style: _Style, width: int | None) -> tuple[str, list[list[tuple[str, str]]], int]:
    """The count, the entries that fit after it, and how many were left out."""
    entries = _entries(metrics, style)
    labeled = style.labeled.format(n=metrics.labeled)
    if width is None:
        return labeled, entries, 0
    if Text(labeled).cell_len > width:
        labeled = ""
    used = Text(labeled).cell_len
    kept = []
    for entry in entries:
        size = Text("".join(text for text, _ in entry)).cell_len + (len(style.gap) if used else 0)
        if used + size > width:
            break
        kept.append(entry)
        used += size
    return labeled, kept, len(entries) - len(kept)


def _line(metrics: QueryMetrics, style: _Style, width: int | None) -> Text:
    labeled, kept, left_out = _fit(metrics, style, width)
    line = Text(no_wrap=True, overflow="ellipsis")
    if labeled:
        line.append(labeled, style="dim")
    for entry in kept:
        if line.plain:
            line.append(style.gap)
        for text, piece_style in entry:
            line.append(text, style=piece_style)
    if left_out:
        more = f"{style.gap if line.plain else ''}+{left_out} more"
        if width is None or line.cell_len + Text(more).cell_len <= width:
            line.append(more, style="dim")
    return line
