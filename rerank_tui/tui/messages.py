"""What workers and the label writer tell the app (`post_message` is thread-safe).

Each message carries what it is about, so a handler can tell a stale result from a current
one without asking the widgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from rerank_tui.recall.hit import Hit
from rerank_tui.rerank.base import Reranker, RerankStats
from rerank_tui.session.labels import Saved
from rerank_tui.session.ranking import RerankedHit

if TYPE_CHECKING:
    from rerank_tui.recall.store import OpenedIndex


class SuggestionsChanged(Message):
    """The judge's suggestions changed (read, judged, or appended by another process): the
    panes and metrics show them again."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SuggestionsChanged)


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
    """The recall source's hits for `query` (the query box may have moved on since).

    `result` says which source gave them (None: BM25, as from the query set); `generation`
    is the app's recall generation when the search started (a source switch since makes it
    stale); `waiting`: the source is too slow to follow each key, Enter searches."""

    def __init__(self, query: str, hits: list[Hit], result=None, generation: int | None = None, waiting: bool = False) -> None:
        super().__init__()
        self.query, self.hits = query, hits
        self.result, self.generation, self.waiting = result, generation, waiting


class RerankWaiting(Message):
    """A rerank waits for the model to finish (or drop) the previous request, or (`starting`)
    has its passages and starts."""

    def __init__(self, passages: int, starting: bool = False) -> None:
        super().__init__()
        self.passages, self.starting = passages, starting


class Reranked(Message):
    """The reranked order of `query`'s hits for `instruction`."""

    def __init__(
        self, query: str, instruction: str, ranking: list[RerankedHit], stats: RerankStats, cached: bool = False,
        source: str = "bm25", generation: int | None = None,
    ) -> None:
        super().__init__()
        self.query, self.instruction, self.ranking, self.stats = query, instruction, ranking, stats
        self.cached = cached  # from the score cache alone (shown at once, not a new try)
        self.source, self.generation = source, generation  # the recall source reranked, and its generation


class EmbedProgressed(Message):
    """How far embedding the corpus has come ("embedding 1200/5000 · 830/s · ETA 5 s")."""

    def __init__(self, state: str) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EmbedProgressed)


class DenseReady(Message):
    """The corpus's vectors are ready: dense and hybrid recall work (`dense`: a DenseRecall).
    `opened`: the index they were embedded for (a refresh may have replaced it since)."""

    def __init__(self, dense, reused: int = 0, embedded: int = 0, seconds: float = 0.0, opened=None) -> None:
        super().__init__()
        self.dense, self.reused, self.embedded, self.seconds = dense, reused, embedded, seconds
        self.opened = opened


class CorpusChanged(Message):
    """Files of the corpus changed on disk (`paths`: absolute), from the watcher thread."""

    def __init__(self, paths: set) -> None:
        super().__init__()
        self.paths = paths


class IndexRefreshed(Message):
    """The index after a refresh (`refreshed`: what `AppOptions.refresh_index` returned),
    or the error that stopped it, for the index `before`."""

    def __init__(self, before, refreshed=None, error: Exception | None = None) -> None:
        super().__init__()
        self.before, self.refreshed, self.error = before, refreshed, error


class RunReady(Message):
    """The --recall-run file mapped onto the index (`candidates`: a RunCandidates)."""

    def __init__(self, candidates) -> None:
        super().__init__()
        self.candidates = candidates


class LabelsSaved(Message):
    """The label writer put these changes on disk, or failed to (`saved.error`)."""

    def __init__(self, saved: Saved) -> None:
        super().__init__()
        self.saved = saved
