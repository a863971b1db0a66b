"""The LLM judge in the app: f6 in the query set judges the pools (tiny random Qwen3, real
forward passes), suggestions show as a dim `2?`, `a` accepts one, `A` all of a query (one
undo), a label key corrects, f4 says which labels the metrics count, f7 shows agreement."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from rerank_tui.session.label_sources import ACCEPTED, HUMAN, MetricLabels, source_of
from rerank_tui.tui.screens.agreement import AgreementScreen
from rerank_tui.tui.screens.query_set import QuerySetScreen
from rerank_tui.tui.widgets.results import ResultsPane
from tests.tui.conftest import settle

QUERIES = [("1", "DataLoader workers"), ("2", "worker seed")]

pytestmark = pytest.mark.slow


def tiny_judge_factory(tiny_model_dir, built: list):
    def make(scale):
        from rerank_tui.judge.transformers_judge import TransformersJudge
        from rerank_tui.rerank.checkpoint import resolve

        judge = TransformersJudge(resolve(str(tiny_model_dir)), grades=tuple(scale), names=dict(scale.names), batch_size=4)
        built.append(judge)
        return judge

    return make


def table(app, which: str):
    return app.screen_stack[0].query_one(f"#{which}-pane", ResultsPane).table


async def judged_app(make_app, tiny_model_dir, pilot_size=(120, 40)):
    built: list = []
    app = make_app(make_judge=tiny_judge_factory(tiny_model_dir, built))
    return app, built


async def test_judge_the_pools_then_accept_correct_and_undo(make_app, tiny_model_dir):
    app, built = await judged_app(make_app, tiny_model_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        first = app.index.index.search("DataLoader workers", 1)[0]
        app.workspace.queries.add(QUERIES)
        app.workspace.labels.set("DataLoader workers", first.passage.id, 3, first.passage.text)
        app.workspace.labels.flush()
        await pilot.press("ctrl+e")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QuerySetScreen) and not screen.pending
        assert "labels: human (f4)" in screen.query_one("#qs-sort", Static).render().plain

        await pilot.press("f6")
        await settle(app, pilot)
        status = screen.query_one("#qs-status", Static).render().plain
        assert status.startswith("judged") and "judged" in status, status
        assert len(built) == 1  # built once, on first use
        store = app.workspace.suggestions
        from rerank_tui.session.judge_pool import pool_texts

        for entry in screen.query_set.entries:
            pool = pool_texts(screen.runs[entry.id])
            labeled = app.workspace.labels.for_query(entry.text)
            assert set(store.for_query(entry.text)) == {doc for doc, _ in pool if doc not in labeled}
            # each grade is the judge's own forward pass over the same pair
            docs = [(doc, text) for doc, text in pool if doc not in labeled]
            for (doc, _), dist in zip(docs, built[0].judge(entry.text, [t for _, t in docs])):
                assert store.get(entry.text, doc).grade == dist.argmax

        await pilot.press("f6")  # again: everything is cached, nothing new is judged
        await settle(app, pilot)
        assert " 0 judged" in screen.query_one("#qs-status", Static).render().plain

        await pilot.press("f7")
        await settle(app, pilot)
        assert isinstance(app.screen, AgreementScreen)
        assert any("snapshot" in line for line in app.screen.lines)
        await pilot.press("escape")
        assert app.screen is screen

        await pilot.press(*"DataLoader")
        await pilot.press("enter")  # opens the query, both lists filled
        await settle(app, pilot)
        query = "DataLoader workers"
        assert app.search.query == query
        bm25 = table(app, "bm25")
        suggested = [doc for doc in bm25.hits if app.workspace.labels.get(query, doc) is None and store.get(query, doc)]
        assert suggested
        doc = suggested[0]
        cell = bm25.cell_parts(bm25.hits[doc], app.label_of)["lbl"]
        assert cell.plain == f"{store.get(query, doc).grade}?" and "dim" in str(cell.style)
        labeled_cell = bm25.cell_parts(bm25.hits[first.passage.id], app.label_of)["lbl"]
        assert labeled_cell.plain == "3"  # a person's label wins over any suggestion

        bm25.focus()
        bm25.move_cursor(row=bm25.get_row_index(doc), animate=False)
        await pilot.press("a")
        label = app.workspace.labels.get(query, doc)
        assert label is not None and label.grade == store.get(query, doc).grade and source_of(label) == ACCEPTED
        assert label.extra["judge"] == built[0].identity and label.extra["prompt"] == built[0].prompt.sha1
        assert bm25.cell_parts(bm25.hits[doc], app.label_of)["lbl"].plain == str(label.grade)  # no "?" once accepted

        bm25.move_cursor(row=bm25.get_row_index(doc), animate=False)
        other = (label.grade + 1) % 4
        await pilot.press(str(other))  # a person corrects it: a human label, provenance gone
        label = app.workspace.labels.get(query, doc)
        assert label.grade == other and source_of(label) == HUMAN and "judge" not in label.extra

        before = app.workspace.labels.for_query(query)
        await pilot.press("A")
        after = app.workspace.labels.for_query(query)
        new = set(after) - set(before)
        assert new and all(source_of(after[d]) == ACCEPTED for d in new)
        await pilot.press("u")  # one step takes every one of them back
        assert app.workspace.labels.for_query(query) == before


async def test_f4_says_which_labels_the_metrics_count(make_app, tiny_model_dir):
    from rerank_tui.session.judge_pool import suggestion_of

    app, built = await judged_app(make_app, tiny_model_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        query = "DataLoader workers"
        hits = app.index.index.search(query, 3)
        app.workspace.labels.set(query, hits[1].passage.id, 1, hits[1].passage.text)
        judge = app.get_judge()  # a real judgment of the top hit, stored as `rerank-tui judge` stores it
        dist = judge.judge(query, [hits[0].passage.text])[0]
        app.workspace.suggestions.add_many([suggestion_of(query, hits[0].passage.id, hits[0].passage.text, dist,
                                                          judge.identity, judge.prompt.sha1)])
        app.query_one("#query").value = query
        await settle(app, pilot)
        line = lambda: app.screen_stack[0].query_one("#metrics", Static).render().plain  # noqa: E731
        assert not line().startswith("labels") and "1 labeled" in line()
        await pilot.press("f4")
        assert app.metric_labels is MetricLabels.HUMAN_ACCEPTED and line().startswith("labels h+accepted")
        await pilot.press("f4")
        assert app.metric_labels is MetricLabels.ALL and line().startswith("labels h+acc+suggested") and "2 labeled" in line()
        await pilot.press("ctrl+b")  # the tries board counts the same labels, and says so
        await settle(app, pilot)
        from rerank_tui.tui.screens.tries import TriesScreen

        assert isinstance(app.screen, TriesScreen)
        assert "labels: human + accepted + suggested" in app.screen.query_one(".dialog-title", Static).render().plain
        assert app.screen.labels[query].keys() == {hits[0].passage.id, hits[1].passage.id}
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("f4")
        assert app.metric_labels is MetricLabels.HUMAN and "1 labeled" in line()


async def test_a_corrupt_suggestions_file_is_reported_and_left_as_it_is(make_app, workspace_dir):
    workspace_dir.mkdir(parents=True, exist_ok=True)
    bad = workspace_dir / "suggestions.jsonl"
    data = b'{"rerank-tui suggestions": 1, "id": "x"}\n{"query": "q", "doc": \n'
    bad.write_bytes(data)
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any("suggestions.jsonl" in m and "not shown" in m and ":2" in m for m in messages), messages
        assert app.workspace.suggestions.read_only
    assert bad.read_bytes() == data


async def test_suggestions_another_process_wrote_show_once_the_query_set_opens(make_app, tiny_model_dir, workspace_dir):
    from rerank_tui.session.judge_pool import suggestion_of
    from rerank_tui.session.suggestions import SuggestionStore, suggestions_path

    app, built = await judged_app(make_app, tiny_model_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        query = "DataLoader workers"
        app.workspace.queries.add(QUERIES)
        app.query_one("#query").value = query
        await settle(app, pilot)
        hit = app.index.index.search(query, 1)[0]
        bm25 = table(app, "bm25")
        assert bm25.cell_parts(bm25.hits[hit.passage.id], app.label_of)["lbl"].plain == "·"
        judge = app.get_judge()
        other = SuggestionStore.load(suggestions_path(workspace_dir))  # `rerank-tui judge` in another terminal
        other.add_many([suggestion_of(query, hit.passage.id, hit.passage.text, judge.judge(query, [hit.passage.text])[0],
                                      judge.identity, judge.prompt.sha1)])
        await pilot.press("ctrl+e")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert bm25.cell_parts(bm25.hits[hit.passage.id], app.label_of)["lbl"].plain.endswith("?")
