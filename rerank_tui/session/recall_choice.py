"""Which recall source the app shows, and that source's hits for a query.

Sources, in the order the `recall_source` key cycles them:
- "bm25": always there;
- "dense" and "hybrid": with an embedder, once the corpus's vectors are ready (until then a
  search falls back to BM25 and says why);
- "run": with `--recall-run FILE`: a query of the query set whose id the run has gets the
  run's candidates; any other query falls back to the default source (`fallback`), and the
  result says so.

A search answers a `RecallResult`: the hits, the source that really gave them, and the reason
when that is not the one asked for; the pane titles are made from it (`pane_title`). Each
search is timed per source, so the app can tell whether a source is fast enough to follow
every key (`follows_keys`) or searches on Enter only. Dense query vectors are kept for the
last few hundred (query, instruction) pairs: the same query is embedded once, whether the
left pane, the reranker or the query-set screen asks.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from typing import TYPE_CHECKING

from rerank_tui.recall.hit import Hit
from rerank_tui.safe_text import one_line

if TYPE_CHECKING:
    from rerank_tui.recall.index import Index

if TYPE_CHECKING:  # the embed layer is imported on the first dense search, not before the first frame
    import numpy as np

    from rerank_tui.embed.search import DenseRecall
    from rerank_tui.session.recall_run import RunCandidates
    from rerank_tui.session.recall_sources import Fusion

KINDS = ("bm25", "dense", "hybrid", "run")
DENSE_KINDS = ("dense", "hybrid")
NAMES = {"bm25": "BM25", "dense": "dense", "hybrid": "hybrid", "run": "run"}
FOLLOW_KEYS_S = 0.1  # a source whose last search took longer searches on Enter, not on every key
QUERY_VECTORS_KEPT = 512

HitsOf = Callable[[str, str, int], list[Hit]]


@dataclass(frozen=True)
class RecallResult:
    hits: list[Hit]
    kind: str  # the source that gave the hits
    asked: str  # the source asked for
    why: str = ""  # when kind != asked: why it fell back ("no run for this query", "dense: embedding…")
    seconds: float = 0.0


class _CachedQueries:
    """A DenseRecall whose query vectors are remembered (LRU), for `hits_function`."""

    def __init__(self, dense: DenseRecall, kept: int = QUERY_VECTORS_KEPT):
        self.dense, self.kept = dense, kept
        self._vectors: OrderedDict[tuple[str, str | None], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def search(self, text: str, k: int = 10, *, instruction: str | None = None) -> list[Hit]:
        key = (text, instruction)
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
        if vector is None:
            vector = self.dense.embedder.embed_queries([text], instruction)[0]
            with self._lock:
                self._vectors[key] = vector
                while len(self._vectors) > self.kept:
                    self._vectors.popitem(last=False)
        return self.dense.search_vector(vector, k)


class RecallChoice:
    """The app's recall sources and the current one. `dense` (a DenseRecall) is set once the
    corpus is embedded; `run` (a RunCandidates) once the run file is mapped onto the index."""

    def __init__(
        self,
        kinds: tuple[str, ...] = ("bm25",),
        current: str = "bm25",
        *,
        fusion: Fusion | None = None,
        query_instruction: str | None = None,
        embedder_name: str = "",
        run_name: str = "",
        default: str | None = None,
    ):
        unknown = [k for k in kinds if k not in KINDS]
        if unknown or "bm25" not in kinds:
            raise ValueError(f"recall sources {kinds!r}: bm25 and any of {', '.join(KINDS[1:])}")
        if current not in kinds:
            raise ValueError(f"recall {current!r} is not one of the sources here ({', '.join(kinds)})")
        self.kinds, self.current = tuple(kinds), current
        self._fusion, self.query_instruction = fusion, query_instruction
        self.embedder_name, self.run_name = embedder_name, run_name
        # The source a query the run lacks gets (and the run's stand-in before it is read).
        self.default = default or (current if current != "run" else "bm25")
        if self.default not in kinds or self.default == "run":
            raise ValueError(f"the default recall source must be one of {', '.join(k for k in kinds if k != 'run')}")
        self.dense: DenseRecall | None = None
        self.run: RunCandidates | None = None
        self.embedding = ""  # how far embedding the corpus is ("embedding 40% · ETA 5 s"), or why it failed
        self.seconds: dict[str, float] = {}
        self._cached: _CachedQueries | None = None

    @classmethod
    def of(cls, *, embedder_name: str = "", run_name: str = "", initial: str | None = None, **options) -> RecallChoice:
        """The sources a configuration has: dense and hybrid with an embedder, run with a run file."""
        kinds = ("bm25",) + (DENSE_KINDS if embedder_name else ()) + (("run",) if run_name else ())
        current = initial or ("run" if run_name else "bm25")
        if current in DENSE_KINDS and not embedder_name:
            raise ValueError(f"{current} recall needs an embedder (--embedder MODEL)")
        return cls(kinds, current, embedder_name=embedder_name, run_name=run_name, **options)

    @property
    def fusion(self) -> Fusion:
        if self._fusion is None:
            from rerank_tui.session.recall_sources import Fusion

            self._fusion = Fusion()
        return self._fusion

    # -- the choice -------------------------------------------------------------------------------

    def cycle(self, step: int = 1) -> str:
        self.current = self.kinds[(self.kinds.index(self.current) + step) % len(self.kinds)]
        return self.current

    @property
    def wants_dense(self) -> bool:
        return any(k in DENSE_KINDS for k in self.kinds)

    def set_dense(self, dense) -> None:
        self.dense = dense
        self._cached = None if dense is None else _CachedQueries(dense)
        self.embedding = ""

    def ready(self, kind: str | None = None) -> bool:
        kind = kind or self.current
        if kind in DENSE_KINDS:
            return self.dense is not None
        if kind == "run":
            return self.run is not None
        return True

    def follows_keys(self, kind: str | None = None) -> bool:
        """Whether typing should search this source at every key: its last search was fast."""
        return self.seconds.get(kind or self.current, 0.0) <= FOLLOW_KEYS_S

    def key(self, kind: str | None = None) -> tuple:
        """What a source's hits depend on besides the query (for caches of hits)."""
        kind = kind or self.current
        return (kind, id(self.dense) if kind in DENSE_KINDS else None, id(self.run) if kind == "run" else None)

    # -- searching --------------------------------------------------------------------------------

    def search(self, index: Index, query: str, k: int, query_id: str | None = None, kind: str | None = None) -> RecallResult:
        asked = kind = kind or self.current
        why = ""
        if kind == "run":
            hits = self.run.hits.get(query_id) if self.run is not None and query_id is not None else None
            if hits is not None:
                return RecallResult(hits[: max(k, 0)], "run", asked)
            why = "no run for this query" if self.run is not None else "the run is not read yet"
            kind = self.default
        if kind in DENSE_KINDS and self.dense is None:
            why = why or self.embedding or "the corpus is not embedded yet"
            kind = "bm25"
        started = time.perf_counter()
        hits = self._function(index, kind)(query_id or "", query, k) if query.strip() else []
        if query.strip():
            self.seconds[kind] = time.perf_counter() - started
        return RecallResult(hits, kind, asked, why, self.seconds.get(kind, 0.0))

    def hits_of(self, index: Index, kind: str | None = None) -> HitsOf:
        """`(query id, text, k) → hits` of a source (with its fallbacks), for the query set."""
        kind = kind or self.current
        return lambda qid, text, k: self.search(index, text, k, qid, kind).hits

    def _function(self, index: Index, kind: str) -> HitsOf:
        from rerank_tui.session.recall_sources import hits_function

        return hits_function(kind, index, self._cached, instruction=self.query_instruction, fusion=self.fusion)

    # -- words ------------------------------------------------------------------------------------

    def label(self, kind: str | None = None) -> str:
        """`BM25`, `dense (bge-small)`, `hybrid (rrf k=60, bge-small)`, `run prod`."""
        kind = kind or self.current
        model = one_line(self.embedder_name, 40)
        if kind == "dense":
            return f"dense ({model})"
        if kind == "hybrid":
            return f"hybrid ({self.fusion.describe()}, {model})"
        if kind == "run":
            return f"run {one_line(self.run_name, 40)}"
        return "BM25"

    def short(self, kind: str | None = None) -> str:
        """A column header's worth: BM25, dense, hybrid, run."""
        return NAMES[kind or self.current]

    def pane_title(self, result: RecallResult | None, query: str = "") -> str:
        """The left pane's title: `BM25 recall · 100 hits`, `dense (bge-small) recall · 100 hits`,
        `run prod: no run for this query · BM25 recall · 100 hits`."""
        if result is None:
            return f"{self.label()} recall"
        shown = f"{self.label(result.kind)} recall"
        if query.strip():
            shown += f" · {len(result.hits)} hits"
        if result.kind != result.asked:
            return f"{self.label(result.asked)}: {result.why} · {shown}"
        return shown
