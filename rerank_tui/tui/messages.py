"""What workers and the label writer tell the app (`post_message` is thread-safe).

Each message carries what it is about, so a handler can tell a stale result from a current
one without asking the widgets.
"""

from __future__ import annotations

from textual.message import Message

from rerank_tui.recall.index import Hit
from rerank_tui.recall.store import OpenedIndex
from rerank_tui.rerank.base import Reranker, RerankStats
from rerank_tui.session.labels import Saved
from rerank_tui.session.ranking import RerankedHit


class IndexProgress(Message):
    """How far opening (or building) the index has come: "opening 300/1200"."""

    def __init__(self, state: str) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IndexProgress)  # a burst of progress is one redraw


class IndexOpened(Message):
    def __init__(self, opened: OpenedIndex) -> None:
        super().__init__()
        self.opened = opened


class RerankerLoaded(Message):
    def __init__(self, reranker: Reranker) -> None:
        super().__init__()
        self.reranker = reranker


class Bm25Ready(Message):
    """BM25's hits for `query` (the query box may have moved on since)."""

    def __init__(self, query: str, hits: list[Hit]) -> None:
        super().__init__()
        self.query, self.hits = query, hits


class RerankWaiting(Message):
    """A rerank waits for the model to finish (or drop) the previous request."""

    def __init__(self, passages: int) -> None:
        super().__init__()
        self.passages = passages


class Reranked(Message):
    """The reranked order of `query`'s hits for `instruction`."""

    def __init__(self, query: str, instruction: str, ranking: list[RerankedHit], stats: RerankStats, cached: bool = False) -> None:
        super().__init__()
        self.query, self.instruction, self.ranking, self.stats = query, instruction, ranking, stats
        self.cached = cached  # from the score cache alone (shown at once, not a new try)


class LabelsSaved(Message):
    """The label writer put these changes on disk, or failed to (`saved.error`)."""

    def __init__(self, saved: Saved) -> None:
        super().__init__()
        self.saved = saved
