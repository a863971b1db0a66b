"""The query-set screen and the judging flow, with real BM25 and real tiny-Qwen3 forward passes."""

from __future__ import annotations

import ir_measures
import pytest
from textual.widgets import Input, Static

from rerank_tui.session.metrics import per_query
from rerank_tui.session.snapshots import list_snapshots, load_snapshot
from rerank_tui.tui.screens.compare import PairScreen
from rerank_tui.tui.screens.dialogs import NamePrompt, Picker
from rerank_tui.tui.screens.passage import PassageScreen
from rerank_tui.tui.screens.query_set import MEAN_KEY, QuerySetScreen
from rerank_tui.tui.widgets.preview import Preview
from rerank_tui.tui.widgets.ranked_list import RankedList
from rerank_tui.tui.widgets.results import ResultsPane
from tests.tui.conftest import settle

QUERIES = [("1", "DataLoader workers"), ("2", "worker seed"), ("3", "useEffect cleanup")]


def pane(app, which: str) -> ResultsPane:
    return app.screen_stack[0].query_one(f"#{which}-pane", ResultsPane)


def shown_ids(screen: QuerySetScreen) -> list[str]:
    table = screen.query_one(RankedList)
    return [key for key in table.keys if key != MEAN_KEY]


async def open_query_set(app, pilot) -> QuerySetScreen:
    await pilot.press("ctrl+e")
    await settle(app, pilot)
    assert isinstance(app.screen, QuerySetScreen)
    return app.screen


def seed(app, labels: dict[str, dict[str, int]] | None = None) -> None:
    """The query set and a few labels, as an import would leave them."""
    app.workspace.queries.add(QUERIES)
    for query, grades in (labels or {}).items():
        for doc, grade in grades.items():
            app.workspace.labels.set(query, doc, grade, "")
    app.workspace.labels.flush()


async def test_without_queries_the_screen_says_how_to_get_some(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = await open_query_set(app, pilot)
        assert "no queries yet" in screen.query_one("#qs-status", Static).render().plain
        await pilot.press("escape")
        assert not isinstance(app.screen, QuerySetScreen)


async def test_rows_sort_filter_and_enter_opens_the_query_with_both_lists(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        top_seed = app.index.index.search("worker seed", 1)[0].passage.id
        loader = app.index.index.search("DataLoader workers", 2)[1].passage.id
        seed(app, {"worker seed": {top_seed: 3}, "DataLoader workers": {loader: 2}})
        screen = await open_query_set(app, pilot)
        rows = {r.entry.id: r for r in screen.scored.rows}
        assert set(rows) == {"1", "2", "3"} and not screen.pending
        # The numbers are ir-measures' on the run the main screen would show.
        run = screen.runs["2"]
        expected = per_query({"2": {top_seed: 3}}, {"2": run.run(app.options.rerank_depth)}, ["nDCG@10"])["nDCG@10"]["2"]
        assert rows["2"].reranked == pytest.approx(expected)
        assert rows["2"].judged == 1 and rows["3"].judged == 0 and rows["3"].recall is None
        assert rows["3"].overlap is not None  # unjudged: overlap still says something
        table = screen.query_one(RankedList)
        mean = table.line_text(table.get_row_index(MEAN_KEY)).plain
        parts = screen._mean_cells()
        assert mean.startswith("mean") and parts["judged"].plain == "2"  # labels in all
        assert f" {parts['judged'].plain} " in mean and parts["BM25"].plain in mean
        # Δ worst first: judged queries by delta, the unjudged one last.
        deltas = [rows[q].delta for q in shown_ids(screen) if rows[q].delta is not None]
        assert deltas == sorted(deltas) and shown_ids(screen)[-1] == "3"
        await pilot.press("tab")  # most holes first
        assert screen.sort == "holes"
        holes = [rows[q].holes for q in shown_ids(screen)]
        assert holes == sorted(holes, reverse=True)
        await pilot.press("tab")
        assert screen.sort == "text" and shown_ids(screen) == ["1", "3", "2"]  # DataLoader, useEffect, worker (case-folded)
        await pilot.press("shift+tab")
        assert screen.sort == "holes"
        await pilot.press(*"seed")  # typing filters
        assert shown_ids(screen) == ["2"]
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, QuerySetScreen)
        assert app.search.query == "worker seed" and app.search.typed == "worker seed"
        assert [h.passage.id for h in app.search.hits] == [h.passage.id for h in run.hits]
        ranked = app.search.current_ranking()
        assert ranked is not None and [r.hit.passage.id for r in ranked] == [r.hit.passage.id for r in run.ranking]
        assert list(pane(app, "rerank").table.hits) == [r.hit.passage.id for r in ranked]


async def test_escape_clears_the_filter_first(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        seed(app)
        screen = await open_query_set(app, pilot)
        await pilot.press(*"zzz")
        assert shown_ids(screen) == []
        await pilot.press("escape")
        assert screen.query_one("#qs-filter", Input).value == "" and len(shown_ids(screen)) == 3
        await pilot.press("escape")
        assert not isinstance(app.screen, QuerySetScreen)


async def test_arrows_move_the_rows_from_the_filter_and_a_click_opens(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        seed(app)
        screen = await open_query_set(app, pilot)
        table = screen.query_one(RankedList)
        filter_input = screen.query_one("#qs-filter", Input)
        assert app.focused is filter_input and not table.can_focus
        assert table.header.plain.split()[:2] == ["id", "query"] and table.keys[0] == MEAN_KEY
        first, second = shown_ids(screen)[:2]
        assert table.cursor_row == 1 and screen.current_row().entry.id == first  # the top query, not the mean
        await pilot.press("down")
        assert screen.current_row().entry.id == second and app.focused is filter_input
        await pilot.press("up", "up", "up")
        assert table.cursor_row == 1  # the mean row is not a query
        await pilot.press("pagedown")
        assert table.cursor_row == table.row_count - 1
        detail = screen.query_one("#qs-detail", Static).render().plain
        assert screen.current_row().entry.text in detail
        lines = [table.render_line(y).text for y in range(table.row_count + 1)]
        assert lines[1].lstrip().startswith("mean") and first in lines[2]
        await pilot.click(RankedList, offset=(20, 3))  # line 3: the second query
        await pilot.pause()
        assert screen.current_row().entry.id == second and app.screen is screen
        await pilot.click(RankedList, offset=(20, 3))  # a click on the highlighted query opens it
        await settle(app, pilot)
        assert not isinstance(app.screen, QuerySetScreen)
        assert app.search.query == dict(QUERIES)[second]


async def test_with_no_rerank_the_screen_shows_bm25_and_says_the_reranker_is_off(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        first = app.index.index.search("worker seed", 1)[0].passage.id
        seed(app, {"worker seed": {first: 2}})
        screen = await open_query_set(app, pilot)
        assert "reranker is off" in screen.query_one("#qs-status", Static).render().plain
        row = next(r for r in screen.scored.rows if r.entry.id == "2")
        assert row.recall == 1.0 and row.reranked is None and not screen.pending


async def test_compare_with_a_preset_and_judge_side_by_side(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        first = app.index.index.search("DataLoader workers", 1)[0].passage.id
        seed(app, {"DataLoader workers": {first: 1}})
        screen = await open_query_set(app, pilot)
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        assert isinstance(app.screen, Picker)
        names = [value for value, _ in app.screen.items]
        assert "preset domain-expert" in names
        option_list = app.screen.query_one("#picker-list")
        option_list.highlighted = names.index("preset domain-expert")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen and screen.other is not None and screen.sort == "other"
        row = next(r for r in screen.scored.rows if r.entry.id == "1")
        assert row.other is not None and row.other_delta is not None
        assert "B−A" in screen.query_one(RankedList).header.plain
        # The compared side's ranking is the model's for that instruction.
        from rerank_tui.session.ranking import rerank_hits

        hits = screen.runs["1"].hits[: app.options.rerank_depth]
        direct, _ = rerank_hits(app.reranker, "DataLoader workers", hits, app.workspace.presets.get("domain-expert"))
        assert [r.hit.passage.id for r in screen.other_rankings["1"]] == [r.hit.passage.id for r in direct]
        # Side by side: both rankings, and the label keys label this query.
        screen.query_one(RankedList).move_cursor(row=1 + shown_ids(screen).index("1"))
        await pilot.press("ctrl+y")
        await settle(app, pilot)
        pair = app.screen
        assert isinstance(pair, PairScreen) and pair.label_query == "DataLoader workers"
        left, right = (p.table for p in pair.panes())
        assert list(right.hits) == [r.hit.passage.id for r in direct]
        assert "nDCG@10" in pair.query_one("#pair-left .pane-title", Static).render().plain
        right.focus()
        target = right.current_hit.passage.id
        await pilot.press("2")
        assert app.workspace.labels.get("DataLoader workers", target).grade == 2
        assert app.search.query != "DataLoader workers"  # not the main screen's query
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen
        row = next(r for r in screen.scored.rows if r.entry.id == "1")
        assert row.judged == len(app.workspace.labels.for_query("DataLoader workers"))


async def test_a_snapshot_from_the_screen_is_the_run_shown_and_reads_back_in_ir_measures(make_app, workspace_dir):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        first = app.index.index.search("worker seed", 1)[0].passage.id
        seed(app, {"worker seed": {first: 3}})
        screen = await open_query_set(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, NamePrompt)
        await pilot.press(*"base", "enter")
        await settle(app, pilot)
        [info] = list_snapshots(workspace_dir)
        assert info.name == "base" and info.queries == 3
        snapshot = load_snapshot(workspace_dir, "base")
        assert list(snapshot.queries) == ["1", "2", "3"]
        assert snapshot.config["instruction"] == app.search.instruction and snapshot.config["rerank_depth"] == app.options.rerank_depth
        assert [d for d, _ in snapshot.run["2"]] == [d for d, _ in screen.runs["2"].run(app.options.rerank_depth)]
        trec = workspace_dir / "snapshots" / "base.trec"
        [value] = ir_measures.calc_aggregate([ir_measures.nDCG @ 10], [ir_measures.Qrel("2", first, 3)], ir_measures.read_trec_run(str(trec))).values()
        row = next(r for r in screen.scored.rows if r.entry.id == "2")
        assert value == pytest.approx(row.reranked)
        assert "snapshot base" in screen.sides  # offered for comparing at once


async def test_next_unjudged_walks_both_panes_and_rate_the_rest_undoes_as_one(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one("#query").focus()
        await pilot.press(*"DataLoader workers", "enter")
        await settle(app, pilot)
        from rerank_tui.session.judging import judging_pool, next_unjudged

        pool = judging_pool(app.search.hits, app.search.current_ranking())
        order = [i.hit.passage.id for i in pool]
        pane(app, "bm25").table.focus()
        await pilot.pause()
        start = app.focused.current_hit.passage.id
        await pilot.press("n")  # the pool's next after the highlighted one, in whichever pane
        expected = order[(order.index(start) + 1) % len(order)]
        assert app.focused.current_hit.passage.id == expected
        assert app.focused is pane(app, next(i.pane for i in pool if i.hit.passage.id == expected)).table
        await pilot.press("3")  # labels it (the cursor moves down); n finds the next unlabeled one
        await pilot.press("n")
        labeled = set(app.workspace.labels.for_query("DataLoader workers"))
        assert labeled == {expected}
        after = next_unjudged(pool, labeled, app.focused.current_hit.passage.id)
        assert app.focused.current_hit.passage.id not in labeled and after is not None
        await pilot.press("R")
        labels = app.workspace.labels.for_query("DataLoader workers")
        assert set(labels) == {i.hit.passage.id for i in pool}
        assert sorted(label.grade for label in labels.values()) == [0] * (len(pool) - 1) + [3]
        await pilot.press("u")  # one step takes the whole "rest" back
        assert set(app.workspace.labels.for_query("DataLoader workers")) == labeled


async def test_the_cursor_goes_to_rank_one_when_the_query_changes(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one("#query").focus()
        await pilot.press(*"DataLoader")
        await settle(app, pilot)
        table = pane(app, "bm25").table
        table.focus()
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        app.query_one("#query").focus()
        await pilot.press("end", *" worker")
        await settle(app, pilot)
        assert table.cursor_row == 0 and app.search.query == "DataLoader worker"


async def test_passage_view_steps_with_j_k_and_escape_shows_that_hit_in_the_preview(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one("#query").focus()
        await pilot.press(*"DataLoader worker")
        await settle(app, pilot)
        table = pane(app, "bm25").table
        table.focus()
        ids = list(table.hits)
        await pilot.press("enter")
        assert isinstance(app.screen, PassageScreen) and app.screen.hit.passage.id == ids[0]
        await pilot.press("j", "j", "k")
        assert app.screen.hit.passage.id == ids[1]
        await pilot.press("2")  # label keys work here
        assert app.workspace.labels.get("DataLoader worker", ids[1]).grade == 2
        await pilot.press("escape")
        await settle(app, pilot)
        assert table.current_hit.passage.id == ids[1]
        head = app.query_one(Preview).query_one("#preview-head", Static).render().plain
        assert ids[1] in head and "label 2" in head


async def test_a_query_reranked_before_shows_its_ranking_from_the_cache_at_once(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        query_box = app.query_one("#query")
        query_box.focus()
        await pilot.press(*"worker seed", "enter")
        await settle(app, pilot)
        first = [r.hit.passage.id for r in app.search.ranking]
        await pilot.press("ctrl+u", *"react")
        await settle(app, pilot)
        assert app.search.current_ranking() is None
        await pilot.press("ctrl+u", *"worker seed")  # no Enter
        await settle(app, pilot)
        ranked = app.search.current_ranking()
        assert ranked is not None and [r.hit.passage.id for r in ranked] == first
        assert "score cache" in app.query_one("#status", Static).render().plain


async def test_a_note_joins_the_set_and_shows_in_the_screen(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one("#query").focus()
        await pilot.press(*"worker seed", "enter")
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NamePrompt)
        await pilot.press(*"seeds repeat across workers", "enter")
        entry = app.workspace.queries.by_text("worker seed")
        assert entry is not None and entry.note == "seeds repeat across workers"
        screen = await open_query_set(app, pilot)
        assert "seeds repeat across workers" in screen.query_one("#qs-detail", Static).render().plain


async def test_a_restart_comes_back_to_the_last_query_and_preset(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.apply_preset("code-focused")
        app.query_one("#query").focus()
        await pilot.press(*"worker seed", "enter")
        await settle(app, pilot)
    app.workspace.close()
    again = make_app(reranker=None)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(again, pilot)
        assert again.search.preset == "code-focused"
        assert again.search.query == "worker seed" and again.search.hits


async def test_leaving_the_screen_cancels_its_ranking(make_app, tiny_model_dir):
    """The model pass stops at its next check once the screen is gone (a held model: it scores
    only when released, with the real tiny model)."""
    import threading

    from textual.worker import WorkerState

    from rerank_tui.rerank import build_reranker
    from rerank_tui.rerank.base import BaseReranker

    release, started = threading.Event(), threading.Event()

    class Held(BaseReranker):
        def __init__(self):
            super().__init__()
            self.inner = build_reranker("transformers", str(tiny_model_dir), max_length=512, cache=False)
            self.identity, self.max_length = self.inner.identity, self.inner.max_length

        def _score(self, query, documents, instruction, call):
            started.set()
            while not release.wait(0.02):
                call.check()  # raises RerankCancelled once the worker is cancelled
            return self.inner.score(query, documents, instruction)

    app = make_app(reranker=Held)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        seed(app)
        await pilot.press("ctrl+e")
        for _ in range(200):
            await pilot.pause()
            if started.is_set():
                break
        assert started.is_set(), "the screen asked the model"
        [worker] = [w for w in app.workers if w.name == "qs-rank"]
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, QuerySetScreen)
        assert worker.state == WorkerState.CANCELLED
        release.set()


def _labels_on_every_query(app) -> dict[str, dict[str, int]]:
    """Labels on all three queries: BM25's top hit relevant, its second (where there is one) less so."""
    labels = {}
    for _, text in QUERIES:
        hits = app.index.index.search(text, 10)
        labels[text] = {hits[0].passage.id: 3, **({hits[1].passage.id: 1} if len(hits) > 1 else {})}
    return labels


async def _compare_with(app, pilot, screen: QuerySetScreen, name: str) -> None:
    await pilot.press("ctrl+b")
    await settle(app, pilot)
    assert isinstance(app.screen, Picker)
    names = [value for value, _ in app.screen.items]
    assert name in names, names
    app.screen.query_one("#picker-list").highlighted = names.index(name)
    await pilot.press("enter")
    await settle(app, pilot)
    assert app.screen is screen and screen.other is not None and screen.other.name == name


def _assert_b_column(screen: QuerySetScreen, expected: dict[str, float]) -> None:
    """B's column is `expected` (query id → nDCG@10 of B's run), shown in each row, and the
    head's "(N better, M worse than A)" counts what the rows say."""
    rows = {r.entry.id: r for r in screen.scored.rows}
    table = screen.query_one(RankedList)
    for qid, value in expected.items():
        row = rows[qid]
        assert row.other == pytest.approx(value), qid
        assert row.other_delta == pytest.approx(value - row.reranked), qid
        cell = screen._cells(row)["B"].plain
        assert cell == f"{value:.3f}" and cell in table.line_text(table.get_row_index(qid)).plain
    better = sum(1 for q, v in expected.items() if v - rows[q].reranked > 1e-9)
    worse = sum(1 for q, v in expected.items() if v - rows[q].reranked < -1e-9)
    head = screen.query_one("#qs-head", Static).render().plain
    assert f"({better} better, {worse} worse than A)" in head, head
    assert (screen.scored.means.other_better, screen.scored.means.other_worse) == (better, worse)
    mean = screen._mean_cells()["B"].plain
    assert mean == f"{sum(expected.values()) / len(expected):.3f}"


async def test_compare_with_a_try_b_is_the_models_ranking_for_its_instruction(make_app):
    from rerank_tui.session.query_set_scores import QueryRun
    from rerank_tui.session.ranking import rerank_hits

    tried = "Judge whether the passage says how numpy seeds behave in DataLoader workers."
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        labels = _labels_on_every_query(app)
        seed(app, labels)
        app.workspace.tries.record(tried)  # an instruction tried before: "try 1" on the board
        screen = await open_query_set(app, pilot)
        await _compare_with(app, pilot, screen, "try 1")
        assert screen.other.instruction == tried and not screen.other_pending
        depth = app.options.rerank_depth
        expected = {}
        for qid, text in QUERIES:
            hits = screen.runs[qid].hits
            direct, _ = rerank_hits(app.reranker, text, hits[:depth], tried)
            assert [r.hit.passage.id for r in screen.other_rankings[qid]] == [r.hit.passage.id for r in direct]
            run = QueryRun(screen.runs[qid].entry, hits, direct).run(depth)
            qrels = {qid: labels[text]}
            expected[qid] = per_query(qrels, {qid: run}, ["nDCG@10"])["nDCG@10"][qid]
        _assert_b_column(screen, expected)


async def test_compare_with_a_snapshot_b_is_its_run_and_side_by_side_shows_its_order(make_app, workspace_dir):
    from rerank_tui.session.snapshots import save_snapshot

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        labels = _labels_on_every_query(app)
        seed(app, labels)
        everything = [h.passage.id for h in app.index.index.search("DataLoader workers worker seed useEffect cleanup", 20)]
        # Frozen runs unlike A's: query 1 ideal (labels first), query 2 without its labeled
        # passages (nDCG 0: worse than A), query 3 with its labeled passages last.
        frozen = {}
        for qid, text in QUERIES:
            relevant = sorted(labels[text], key=lambda d: -labels[text][d])
            rest = [d for d in everything if d not in labels[text]]
            order = {"1": relevant + rest, "2": rest, "3": rest + relevant[::-1]}[qid]
            frozen[qid] = [(doc, 1.0 - i / 100) for i, doc in enumerate(order)]
        save_snapshot(workspace_dir, "frozen", {"instruction": "elsewhere"}, dict(QUERIES), frozen)
        screen = await open_query_set(app, pilot)
        await _compare_with(app, pilot, screen, "snapshot frozen")
        assert not screen.other_rankings  # a snapshot is read, not reranked
        expected = {
            qid: per_query({qid: labels[text]}, {qid: frozen[qid]}, ["nDCG@10"])["nDCG@10"][qid] for qid, text in QUERIES
        }
        assert expected["2"] == 0.0 and screen.scored.means.other_worse >= 1
        _assert_b_column(screen, expected)
        # Side by side: B is the snapshot's order, looked up in the index (SideList.from_run).
        screen.query_one(RankedList).move_cursor(row=1 + shown_ids(screen).index("3"))
        await pilot.press("ctrl+y")
        await settle(app, pilot)
        pair = app.screen
        assert isinstance(pair, PairScreen) and pair.label_query == "useEffect cleanup"
        left, right = (p.table for p in pair.panes())
        assert list(right.hits) == [doc for doc, _ in frozen["3"]]
        assert list(left.hits) == [r.hit.passage.id for r in screen.runs["3"].ranking]
        title = pair.query_one("#pair-right .pane-title", Static).render().plain
        assert "snapshot frozen" in title and f"nDCG@10 {expected['3']:.3f}" in title


async def test_ranking_shows_its_progress_and_says_what_came_from_the_score_cache(make_app, tiny_model_dir, monkeypatch):
    """A held model (it scores only when the gate opens; the real tiny model behind the score
    cache): while it waits, #qs-status shows how far the worker is; at the end, how many
    queries came from the score cache and how many from the model."""
    import threading

    from rerank_tui.rerank import build_reranker
    from rerank_tui.rerank.base import BaseReranker
    from rerank_tui.rerank.score_cache import CachedReranker, ScoreCache
    from rerank_tui.tui.screens import query_set as query_set_module

    gate, started = threading.Event(), threading.Event()
    gate.set()

    class Held(BaseReranker):
        def __init__(self):
            super().__init__()
            self.inner = build_reranker("transformers", str(tiny_model_dir), max_length=512, cache=False)
            self.identity, self.max_length = self.inner.identity, self.inner.max_length

        def _score(self, query, documents, instruction, call):
            started.set()
            while not gate.wait(0.02):
                call.check()
            return self.inner.score(query, documents, instruction)

    def status(screen) -> str:
        return screen.query_one("#qs-status", Static).render().plain

    async def open_held(pilot) -> QuerySetScreen:
        gate.clear()
        started.clear()
        await pilot.press("ctrl+e")
        for _ in range(400):
            await pilot.pause()
            if started.is_set():
                break
        assert started.is_set(), "the screen asked the model"
        await pilot.pause()
        assert isinstance(app.screen, QuerySetScreen)
        return app.screen

    app = make_app(reranker=lambda: CachedReranker(Held(), ScoreCache()))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.workspace.queries.add(QUERIES[:1])
        screen = await open_query_set(app, pilot)  # the gate is open: query 1 is scored and cached
        assert status(screen) == "1 queries ranked · 0 from the score cache, 1 by the model"
        await pilot.press("escape")
        await settle(app, pilot)
        # Every batch handed over at once: the worker's hand-over progress while the model waits.
        monkeypatch.setattr(query_set_module, "POST_EVERY_S", 0.0)
        app.workspace.queries.add(QUERIES[1:])
        screen = await open_held(pilot)
        assert status(screen) == "ranking… 3/3 searched · 1 reranked · 2 waiting for the model"
        assert screen.pending == {"2", "3"} and screen.runs["1"].from_cache
        gate.set()
        await settle(app, pilot)
        assert status(screen) == "3 queries ranked · 1 from the score cache, 2 by the model"
        assert not screen.pending and all(r.ranking is not None for r in screen.runs.values())
        await pilot.press("escape")
        await settle(app, pilot)
        # Rows held back, progress said every time: the first pass's "score cache first" line.
        monkeypatch.setattr(query_set_module, "POST_EVERY_S", 1e9)
        monkeypatch.setattr(query_set_module, "PROGRESS_EVERY_S", 0.0)
        app.workspace.queries.add([("4", "pinned memory GPU")])
        screen = await open_held(pilot)
        assert status(screen) == "ranking… 4/4 · score cache first"
        gate.set()
        await settle(app, pilot)
        assert status(screen) == "4 queries ranked · 3 from the score cache, 1 by the model"


async def test_a_note_edited_on_the_screen_is_saved_shown_and_cleared_when_empty(make_app, workspace_dir):
    import yaml

    def notes_on_disk() -> dict[str, str | None]:
        data = yaml.safe_load((workspace_dir / "queries.yaml").read_text(encoding="utf-8"))
        return {q["id"]: q.get("note") for q in data["queries"]}

    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        seed(app)
        screen = await open_query_set(app, pilot)
        table = screen.query_one(RankedList)
        while screen.current_row().entry.id != "2":  # the keys move the cursor (the filter has the focus)
            await pilot.press("down")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NamePrompt) and app.screen.value == ""
        await pilot.press(*"numpy seeds repeat across workers", "enter")
        await settle(app, pilot)
        assert app.screen is screen
        assert notes_on_disk()["2"] == "numpy seeds repeat across workers"
        assert app.workspace.queries.by_text("worker seed").note == "numpy seeds repeat across workers"
        row = screen.current_row()
        assert row.entry.id == "2" and row.entry.note == "numpy seeds repeat across workers"  # the cursor stayed
        assert "note: numpy seeds repeat across workers" in screen.query_one("#qs-detail", Static).render().plain
        line = table.line_text(table.get_row_index("2")).plain
        assert "✎ worker seed" in line
        assert not any("✎" in table.line_text(table.get_row_index(q)).plain for q in ("1", "3"))
        # Reopened: the note is there to edit; emptied, it is gone.
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NamePrompt) and app.screen.value == "numpy seeds repeat across workers"
        await pilot.press("ctrl+u")  # everything before the cursor (at the end)
        assert app.screen.query_one("#name-input", Input).value == ""
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen
        assert not notes_on_disk()["2"]
        assert not app.workspace.queries.by_text("worker seed").note
        assert "note:" not in screen.query_one("#qs-detail", Static).render().plain
        assert "✎" not in table.line_text(table.get_row_index("2")).plain


async def test_an_empty_note_on_the_main_screen_adds_the_query_and_clears_its_note(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one("#query").focus()
        await pilot.press(*"worker seed", "enter")
        await settle(app, pilot)
        await pilot.press("ctrl+n", "enter")  # "the query joins the set; empty: no note"
        await settle(app, pilot)
        entry = app.workspace.queries.by_text("worker seed")
        assert entry is not None and not entry.note
        app.workspace.queries.set_note("worker seed", "an information need")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NamePrompt) and app.screen.value == "an information need"
        await pilot.press("ctrl+u", "enter")
        await settle(app, pilot)
        assert not app.workspace.queries.by_text("worker seed").note
