"""One query's two rankings side by side (A | B), with labels, each side's metric, and the
label keys: a query of the set looked at closely, and judged where the two lists differ.

The right side's ▲/▼ is its move against the left side (a passage the left lacks counts as
coming from below the left list).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static

from rerank_tui.recall.hit import Hit, passage_ids
from rerank_tui.safe_text import one_line
from rerank_tui.session.metrics import per_query
from rerank_tui.session.query_set_scores import ROW_METRIC, TOP
from rerank_tui.session.ranking import RerankedHit, bm25_run, run_scores
from rerank_tui.tui.bindings import PAIR_BINDINGS
from rerank_tui.tui.widgets.results import ResultsPane

if TYPE_CHECKING:
    from rerank_tui.recall.index import Index
    from typing_extensions import TypeIs

    from rerank_tui.session.labels import LabelStore
    from rerank_tui.tui.app import RerankApp


@dataclass
class SideList:
    """One side: a title, the rows to show, and the run its metric is computed on."""

    title: str
    rows: list[Hit] | list[RerankedHit]
    run: list[tuple[str, float]]

    @classmethod
    def from_hits(cls, title: str, hits: list[Hit]) -> SideList:
        return cls(title, list(hits), bm25_run(hits))

    @classmethod
    def from_ranking(cls, title: str, hits: list[Hit], ranking: list[RerankedHit] | None, rerank_depth: int) -> SideList:
        if ranking is None:
            return cls.from_hits(title + " (not reranked: BM25)", hits)
        return cls(title, list(ranking), run_scores(ranking, hits[rerank_depth:]))

    @classmethod
    def from_run(cls, title: str, run: list[tuple[str, float]], index: Index) -> SideList:
        """A frozen run (a snapshot): passages looked up by id; ids the corpus lost are skipped."""
        by_id = _passages_by_id(index)
        rows: list[RerankedHit] = []
        for doc, score in run:
            position = by_id.get(doc)
            if position is None:
                continue
            passage = index.passages[position]
            rank = len(rows) + 1
            rows.append(RerankedHit(Hit(rank, score, position, passage), score, rank))
        return cls(title, rows, list(run))

    def ids(self) -> list[str]:
        return [(r.hit if isinstance(r, RerankedHit) else r).passage.id for r in self.rows]


_BY_ID: dict[int, dict[str, int]] = {}


def _passages_by_id(index: Index) -> dict[str, int]:
    key = id(index.passages)
    if key not in _BY_ID:
        _BY_ID.clear()
        _BY_ID[key] = {pid: i for i, pid in enumerate(passage_ids(index.passages))}
    return _BY_ID[key]


def _reranked(rows: list[Hit] | list[RerankedHit]) -> TypeIs[list[RerankedHit]]:
    """Whether a side's rows (all of one kind) are RerankedHits; no rows count as reranked."""
    return not rows or isinstance(rows[0], RerankedHit)


def against(left: SideList, right: SideList) -> list[RerankedHit]:
    """The right side's rows with `moved` measured against the left side's ranks."""
    rank_in_left = {pid: rank for rank, pid in enumerate(left.ids(), start=1)}
    below = len(rank_in_left) + 1
    out = []
    rows: Sequence[Hit | RerankedHit] = right.rows
    for rank, row in enumerate(rows, start=1):
        hit = row.hit if isinstance(row, RerankedHit) else row
        score = row.score if isinstance(row, RerankedHit) else hit.score
        moved_from = rank_in_left.get(hit.passage.id, below)
        out.append(RerankedHit(Hit(moved_from, hit.score, hit.index, hit.passage), score, rank))
    return out


class PairScreen(Screen[None]):
    # Textual types BINDINGS as an invariant list[BindingType]; ours are all Binding, which it only reads.
    BINDINGS = cast("list[BindingType]", PAIR_BINDINGS)

    def __init__(self, query: str, left: SideList, right: SideList) -> None:
        super().__init__()
        self.label_query = query  # the label keys label for this query (see RerankApp.action_label)
        self.left, self.right = left, right

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Query: {one_line(self.label_query, 200)}", no_wrap=True, overflow="ellipsis"), id="pair-head", markup=False)
        with Horizontal(id="pair-panes"):
            yield ResultsPane(self.left.title, reranked=True, id="pair-left")
            yield ResultsPane(self.right.title, reranked=True, id="pair-right")
        yield Static("", id="pair-summary", markup=False)
        yield Footer()

    @property
    def _label_store(self) -> LabelStore:
        # Textual types Screen.app as the base App; this screen is only pushed by RerankApp.
        return cast("RerankApp", self.app).workspace.labels

    def on_mount(self) -> None:
        for pane in self.panes():
            pane.table.scale = self._label_store.scale
        self.refresh_labels()
        self.query_one("#pair-left", ResultsPane).table.focus()

    def _label_of(self, hit: Hit):
        return cast("RerankApp", self.app).label_of(hit, self.label_query)

    def _left_rows(self) -> list[RerankedHit]:
        rows = self.left.rows
        if _reranked(rows):
            return rows
        return [RerankedHit(h, h.score, h.rank) for h in rows]

    def refresh_labels(self) -> None:
        """Rows, labels and each side's metric from the labels as they are now."""
        labels = self._label_store.for_query(self.label_query)
        counted = cast("RerankApp", self.app).metric_label_view(self.label_query)  # as f4 counts them
        qrels = {"q": {doc: label.grade for doc, label in counted.items()}}
        for key, side, rows in (("left", self.left, self._left_rows()), ("right", self.right, against(self.left, self.right))):
            pane = self.query_one(f"#pair-{key}", ResultsPane)
            title = side.title
            if counted:
                value = per_query(qrels, {"q": side.run[:TOP]}, [ROW_METRIC])[ROW_METRIC]["q"]
                title = f"{side.title} · {ROW_METRIC} {value:.3f}"
            pane.set_title(one_line(title, 120))
            table = pane.table
            if table.rows_shown:
                table.refresh_labels(self._label_of)
            else:
                table.show(rows, self._label_of)
        top_left, top_right = set(self.left.ids()[:TOP]), set(self.right.ids()[:TOP])
        unjudged = len((top_left | top_right) - set(labels))
        self.query_one("#pair-summary", Static).update(
            f"top {TOP}: {len(top_left & top_right)} common · {len(top_left - top_right)} only left · "
            f"{len(top_right - top_left)} only right · {unjudged} unlabeled · label keys work here (n: next unjudged)"
        )

    def panes(self) -> list[ResultsPane]:
        return list(self.query(ResultsPane))
