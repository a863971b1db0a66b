"""The app's recall sources: f2 switches BM25 → dense → hybrid (→ a run file); the left pane
names the source, the reranked pane reranks its top N, ▲/▼ is against it. Real forward passes
of a tiny random BERT (vectors) and of the tiny Qwen3 reranker (scores)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from textual.widgets import Static

from rerank_tui.recall.index import index_text
from rerank_tui.session.recall_choice import RecallChoice
from rerank_tui.session.recall_run import parse_recall_run, run_candidates
from tests.support.tiny_bert import build_tiny_bert
from tests.tui.conftest import settle
from tests.tui.test_app import pane, row_ids, type_query

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), seed=0)


def dense_factory(tiny_bert, gate: threading.Event | None = None, seen: list | None = None):
    """What launch.py builds: the embedder, then the corpus's (cached) vectors; `gate` holds
    embedding after its first progress report, so a test can look at the header meanwhile."""

    def make(index, progress=None, cancel=None):
        from rerank_tui.embed.st_backend import SentenceTransformerEmbedder
        from rerank_tui.session.recall_sources import dense_recall

        def report(p):
            progress(p)
            if seen is not None:
                seen.append(p)
            if gate is not None:
                gate.wait(30)

        return dense_recall(index, SentenceTransformerEmbedder(str(tiny_bert)), corpus="notes", progress=report, cancel=cancel)

    return make


def nearest(tiny_bert, index, query: str) -> list[str]:
    """The passages by cosine to the query, from the model itself."""
    from rerank_tui.embed.st_backend import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(str(tiny_bert))
    docs = embedder.embed_documents([index_text(p) for p in index.passages])
    order = np.argsort(-(docs @ embedder.embed_queries([query])[0]), kind="stable")
    return [index.passages[i].id for i in order]


def title(app, which: str) -> str:
    return pane(app, which).query_one(".pane-title", Static).render().plain


def header(app) -> str:
    return app.query_one("#header", Static).render().plain


async def test_f2_switches_to_dense_and_the_reranker_reranks_its_top_n(make_app, tiny_bert):
    app = make_app(recall=RecallChoice.of(embedder_name="tiny-bert"), make_dense=dense_factory(tiny_bert))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert "tiny-bert · ready" in header(app)
        await type_query(app, pilot, "DataLoader workers")
        await pilot.press("enter")
        await settle(app, pilot)
        assert title(app, "bm25").startswith("BM25 recall · ")
        assert title(app, "rerank").startswith("Qwen3 reranked · top ") and " of " not in title(app, "rerank")

        await pilot.press("f2")  # → dense: searched again, and reranked again since it was reranked
        await settle(app, pilot)
        index = app.index.index
        expected = nearest(tiny_bert, index, "DataLoader workers")
        assert row_ids(app, "bm25") == expected
        assert title(app, "bm25") == f"dense (tiny-bert) recall · {len(expected)} hits"
        ranked = app.search.ranking
        assert {r.hit.passage.id for r in ranked} == set(expected[: app.options.rerank_depth])
        assert all(r.hit.rank == expected.index(r.hit.passage.id) + 1 for r in ranked)  # ▲/▼ against dense
        assert title(app, "rerank").startswith(f"Qwen3 reranked · top {len(ranked)} of dense (tiny-bert)")

        await pilot.press("f2")  # → hybrid
        await settle(app, pilot)
        assert title(app, "bm25").startswith("hybrid (rrf k=60, tiny-bert) recall · ")
        await pilot.press("f2")  # → back to BM25
        await settle(app, pilot)
        assert row_ids(app, "bm25") == [h.passage.id for h in index.search("DataLoader workers", 100)]


async def test_embedding_progress_shows_in_the_header_and_bm25_works_meanwhile(make_app, tiny_bert):
    gate, seen = threading.Event(), []
    app = make_app(reranker=None, recall=RecallChoice.of(embedder_name="tiny-bert", initial="dense"),
                   make_dense=dense_factory(tiny_bert, gate, seen))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot, ignore=("embed",))
        while not seen:
            await pilot.pause()
        await pilot.pause()
        assert f"tiny-bert · embedding 0/{len(app.index.index)}" in header(app)
        await type_query_ignoring_embed(app, pilot, "worker seed")
        assert title(app, "bm25").startswith("dense (tiny-bert): embedding 0/")
        assert row_ids(app, "bm25") == [h.passage.id for h in app.index.index.search("worker seed", 100)]
        gate.set()
        await settle(app, pilot)
        assert "tiny-bert · ready" in header(app)
        assert title(app, "bm25").startswith("dense (tiny-bert) recall · ")  # searched again once ready


async def type_query_ignoring_embed(app, pilot, text: str) -> None:
    app.query_one("#query").focus()
    await pilot.press(*text)
    await settle(app, pilot, ignore=("embed",))


async def test_a_slow_source_searches_on_enter(make_app, tiny_bert):
    app = make_app(reranker=None, recall=RecallChoice.of(embedder_name="tiny-bert", initial="dense"),
                   make_dense=dense_factory(tiny_bert))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        app.recall.seconds["dense"] = 1.0  # as if the last dense search took a second
        await type_query(app, pilot, "pinned")
        assert "Enter searches" in pane(app, "bm25").query_one(".pane-message", Static).render().plain
        assert row_ids(app, "bm25") == []
        await pilot.press("enter")
        await settle(app, pilot)
        assert row_ids(app, "bm25") == nearest(tiny_bert, app.index.index, "pinned")


async def test_the_run_source_and_its_fallback(make_app, workspace_dir):
    from rerank_tui.session.workspace import Workspace

    workspace = Workspace.open(workspace_dir)
    workspace.queries.add([("q1", "DataLoader workers")])
    run = parse_recall_run(["q1 Q0 react.md#1 1 3.0 prod", "q1 Q0 missing#9 2 2.0 prod", "q1 Q0 pytorch/seeds.md#1 3 1.0 prod"], "prod.trec")
    recall = RecallChoice.of(run_name=run.name)
    app = make_app(workspace=workspace, recall=recall, read_run=lambda index: run_candidates(run, index))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert app.workspace.query_set().id_of("DataLoader workers") == "q1"
        await type_query(app, pilot, "DataLoader workers")
        assert row_ids(app, "bm25") == ["react.md#1", "pytorch/seeds.md#1"]
        assert title(app, "bm25") == "run prod recall · 2 hits"
        await pilot.press("enter")
        await settle(app, pilot)
        assert {r.hit.passage.id for r in app.search.ranking} == {"react.md#1", "pytorch/seeds.md#1"}
        assert "of run prod" in title(app, "rerank")
        app.query_one("#query").value = ""
        await type_query(app, pilot, "pinned memory")
        assert title(app, "bm25").startswith("run prod: no run for this query · BM25 recall · ")


async def test_the_query_set_ranks_with_the_source_and_its_snapshot_records_it(make_app, tiny_bert, workspace_dir):
    from rerank_tui.session.recall_config import describe_recall
    from rerank_tui.session.snapshots import load_snapshot
    from rerank_tui.tui.screens.dialogs import NamePrompt
    from tests.tui.test_query_set import open_query_set, seed

    app = make_app(reranker=None, recall=RecallChoice.of(embedder_name="tiny-bert", initial="dense"),
                   make_dense=dense_factory(tiny_bert))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        seed(app)
        screen = await open_query_set(app, pilot)
        assert screen.recall_name == "dense"
        index = app.index.index
        for qid, text in (("1", "DataLoader workers"), ("2", "worker seed")):
            assert [h.passage.id for h in screen.runs[qid].hits] == nearest(tiny_bert, index, text)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, NamePrompt)
        await pilot.press(*"dense-base", "enter")
        await settle(app, pilot)
        snapshot = load_snapshot(workspace_dir, "dense-base")
        recall = snapshot.config["recall"]
        assert recall["kind"] == "dense" and recall["embedder"]["dims"] == app.recall.dense.embedder.dims
        assert describe_recall(snapshot.config) == f"dense {tiny_bert.name}"  # the model folder's name
        assert [d for d, _ in snapshot.run["2"]] == nearest(tiny_bert, index, "worker seed")


async def test_the_tries_screen_scores_over_the_current_source(make_app, tiny_bert):
    from rerank_tui.session.evaluation import evaluate
    from rerank_tui.session.scoreboard import BOARD_METRICS, labeled_queries
    from rerank_tui.tui.screens.tries import TriesScreen

    app = make_app(reranker=None, recall=RecallChoice.of(embedder_name="tiny-bert", initial="dense"),
                   make_dense=dense_factory(tiny_bert))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        index = app.index.index
        first = nearest(tiny_bert, index, "worker seed")[2]
        app.workspace.labels.set("worker seed", first, 3, "")
        app.workspace.labels.flush()
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TriesScreen) and screen.recall_name == "dense"
        queries, qrels = labeled_queries(app.workspace.labels)
        dense_hits = lambda qid, text, k: app.recall.search(index, text, k, kind="dense").hits  # noqa: E731
        [want] = evaluate(index, queries, qrels, [], reranker=None, metrics=list(BOARD_METRICS), depth=100, hits_of=dense_hits)
        assert screen.bm25 == want.means()
        bm25_only = evaluate(index, queries, qrels, [], reranker=None, metrics=list(BOARD_METRICS), depth=100)[0].means()
        assert screen.bm25 != bm25_only  # the dense ranking puts the judged passage elsewhere than BM25 does
