"""A plain rerank server (TEI here): the app names its model and its scores, not Qwen3's p(yes)."""

from __future__ import annotations

from textual.widgets import Static

from rerank_tui.rerank import build_reranker
from tests.rerank.local_server import LocalServer
from tests.rerank.test_http_servers import fake_score, tei
from tests.tui.conftest import settle
from tests.tui.test_app import pane, row_ids, type_query


async def test_a_tei_server_is_shown_as_its_model_with_its_own_scores(make_app):
    with LocalServer(tei(model_id="BAAI/bge-reranker-base")) as server:
        app = make_app(reranker=lambda: build_reranker("http", url=server.url, cache=False))
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(app, pilot)
            await type_query(app, pilot, "DataLoader workers")
            await pilot.press("enter")
            await settle(app, pilot)
            title = pane(app, "rerank").query_one(".pane-title", Static).render().plain
            assert title.startswith("bge-reranker-base reranked · top ")
            table = pane(app, "rerank").table
            assert "score" in table.header.plain
            assert "p(yes)" not in table.header.plain
            assert "http plain" in app.query_one("#header", Static).render().plain
            ranked = app.search.ranking
            texts = {r.hit.passage.id: r.score for r in ranked}
            assert row_ids(app, "rerank") == sorted(texts, key=lambda d: -texts[d])
            # the scores are the server's own for the plain query and the passage as the reranker reads it
            from rerank_tui.session.ranking import document_text

            assert all(r.score == fake_score("DataLoader workers", document_text(r.hit)) for r in ranked)
