"""Pilot tests of the app: real BM25, real forward passes of the tiny Qwen3 reranker."""

from __future__ import annotations

import pytest
import yaml
from textual.widgets import Static, TextArea

from rerank_tui.rerank.errors import ModelNotFoundError
from rerank_tui.session.labels import LabelStore
from rerank_tui.session.ranking import document_text
from rerank_tui.tui.screens.help import HelpScreen
from rerank_tui.tui.screens.passage import PassageScreen
from rerank_tui.tui.widgets.results import ResultsPane
from tests.tui.conftest import settle


def pane(app, which: str) -> ResultsPane:
    return app.query_one(f"#{which}-pane", ResultsPane)


def row_ids(app, which: str) -> list[str]:
    return list(pane(app, which).table.hits)


def cell_text(app, which: str, row: str, column: str) -> str:
    """One part of a displayed row ("#", "Δ", "p(yes)", "BM25", "lbl", "title")."""
    table = pane(app, which).table
    part = table.cell_parts(table.rows_shown[row], app.label_of)[column].plain
    assert part in table.row_text(row).plain  # what the builder made is what is shown
    return part


async def type_query(app, pilot, text: str) -> None:
    app.query_one("#query").focus()
    await pilot.press(*text)
    await settle(app, pilot)


async def test_typing_a_query_fills_the_bm25_pane(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "worker seed")
        ids = row_ids(app, "bm25")
        assert ids[0] == "pytorch/seeds.md#1"
        assert ids == [h.passage.id for h in app.index.index.search("worker seed", 100)]
        assert "no reranker" in pane(app, "rerank").query_one(".pane-message", Static).render().plain


async def test_enter_reranks_in_score_order_with_real_scores(make_app, tiny_model_dir):
    from rerank_tui.rerank import build_reranker

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "DataLoader workers")
        await pilot.press("enter")
        await settle(app, pilot)
        ranked = app.search.ranking
        assert len(ranked) == len(app.index.index.search("DataLoader workers", 10)) > 1
        assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
        assert row_ids(app, "rerank") == [r.hit.passage.id for r in ranked]
        # The numbers are the model's: score the same documents independently.
        reference = build_reranker("transformers", str(tiny_model_dir), max_length=512, cache=False)
        hits = [r.hit for r in ranked]
        expected = reference.score("DataLoader workers", [document_text(h) for h in hits], app.search.instruction)
        assert [r.score for r in ranked] == pytest.approx(expected, abs=1e-5)
        # Movement against BM25 is shown.
        first = ranked[0]
        moved = cell_text(app, "rerank", first.hit.passage.id, "Δ")
        assert moved == ("=" if first.moved == 0 else ("▲" if first.moved > 0 else "▼") + str(abs(first.moved)))
        assert "pairs" in app.query_one("#status", Static).render().plain


async def test_label_keys_save_labels_that_load_back(make_app, workspace_dir):
    app = make_app(reranker=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "DataLoader")
        table = pane(app, "bm25").table
        table.focus()
        first, second = row_ids(app, "bm25")[:2]
        await pilot.press("3")  # labels the first row, moves to the next
        await pilot.press("1")
        labels = app.workspace.labels
        labels.flush()
        await pilot.pause()
        assert str(app.query_one("#status", Static).render()).endswith(f"labeled {second} 1 · saved")
        stored = LabelStore.load(workspace_dir / "labels.yaml")
        assert stored.get("DataLoader", first).grade == 3
        assert stored.get("DataLoader", second).grade == 1
        assert stored.queries == app.workspace.labels.queries
        assert cell_text(app, "bm25", first, "lbl") == "3"
        await pilot.press("up", "x")
        labels.flush()
        assert LabelStore.load(workspace_dir / "labels.yaml").get("DataLoader", second) is None
        await pilot.press("u")
        labels.flush()
        assert LabelStore.load(workspace_dir / "labels.yaml").get("DataLoader", second).grade == 1
        labels.compact()  # what the writer does when labeling pauses
        data = yaml.safe_load((workspace_dir / "labels.yaml").read_text(encoding="utf-8"))
        assert data["version"] == 1 and data["scale"][3] == "perfect"


async def test_a_label_shows_in_both_panes_and_in_the_passage_view(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "DataLoader workers")
        await pilot.press("enter")
        await settle(app, pilot)
        table = pane(app, "rerank").table
        table.focus()
        top = row_ids(app, "rerank")[0]
        await pilot.press("2")
        assert cell_text(app, "rerank", top, "lbl") == "2"
        assert cell_text(app, "bm25", top, "lbl") == "2"
        await pilot.press("up", "enter")
        assert isinstance(app.screen, PassageScreen)
        await pilot.press("0")
        assert app.workspace.labels.get("DataLoader workers", top).grade == 0
        await pilot.press("escape")
        assert not isinstance(app.screen, PassageScreen)
        assert cell_text(app, "bm25", top, "lbl") == "0"


async def test_changed_passage_flags_its_label(make_app, workspace_dir):
    store = LabelStore.load(workspace_dir / "labels.yaml")
    store.set("worker seed", "pytorch/seeds.md#1", 3, "the text as it was when labeled")
    store.close()
    app = make_app(reranker=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "worker seed")
        assert cell_text(app, "bm25", "pytorch/seeds.md#1", "lbl") == "3!"


async def test_preset_save_and_switch(make_app, workspace_dir):
    app = make_app(reranker=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        editor = app.query_one("#instruction", TextArea)
        editor.text = "Prefer passages that explain the cause"
        await pilot.press("ctrl+s")
        for _ in range(len("default")):
            await pilot.press("backspace")
        await pilot.press(*"causes", "enter")
        await settle(app, pilot)
        saved = yaml.safe_load((workspace_dir / "presets.yaml").read_text(encoding="utf-8"))
        assert saved["presets"]["causes"]["instruction"] == "Prefer passages that explain the cause"
        assert "preset causes" in app.query_one("#instruction-title", Static).render().plain
        await pilot.press("ctrl+o")
        await pilot.pause()
        options = app.screen.query_one("#picker-list")
        default_index = [o.id for o in options.options].index("default")
        options.highlighted = default_index
        await pilot.press("enter")
        await settle(app, pilot)
        assert editor.text == app.workspace.presets.get("default")
        assert "preset default" in app.query_one("#instruction-title", Static).render().plain


async def test_instruction_edit_reranks_and_going_back_is_served_from_cache(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "DataLoader workers")
        await pilot.press("enter")
        await settle(app, pilot)
        original = app.search.instruction
        first = [(r.hit.passage.id, r.score) for r in app.search.ranking]
        editor = app.query_one("#instruction", TextArea)
        editor.text = "Judge strictly: only passages about Jupyter hangs are relevant"
        await settle(app, pilot)
        assert app.search.ranked_for == ("DataLoader workers", editor.text)
        assert [(r.hit.passage.id, r.score) for r in app.search.ranking] != first
        editor.text = original
        await settle(app, pilot)
        assert app.search.ranked_for == ("DataLoader workers", original)
        assert [(r.hit.passage.id, r.score) for r in app.search.ranking] == first
        status = app.query_one("#status", Static).render().plain
        assert f"{len(first)} cache hits" in status


async def test_newer_query_discards_an_older_rerank(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "DataLoader")
        await pilot.press("enter")  # rerank for "DataLoader" starts...
        await pilot.press(*" workers", "enter")  # ... and is superseded at once
        await settle(app, pilot)
        assert app.search.ranked_for[0] == "DataLoader workers"
        assert set(row_ids(app, "rerank")) <= {h.passage.id for h in app.index.index.search("DataLoader workers", 10)}


async def test_reranker_failure_is_shown_and_bm25_and_labels_keep_working(make_app, workspace_dir):
    def broken():
        raise ModelNotFoundError("model 'nope/missing' is not in the local cache", "download it first or pass a local folder")

    app = make_app(reranker=broken)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        message = pane(app, "rerank").query_one(".pane-message", Static).render().plain
        assert "Reranker failed" in message and "nope/missing" in message and "download it first" in message
        assert app.reranker_state == "failed"
        await type_query(app, pilot, "useEffect")
        await pilot.press("enter")
        await settle(app, pilot)
        assert row_ids(app, "bm25") == ["react.md#1"]
        pane(app, "bm25").table.focus()
        await pilot.press("3")
        app.workspace.labels.flush()
        assert LabelStore.load(workspace_dir / "labels.yaml").get("useEffect", "react.md#1").grade == 3


async def test_hostile_document_renders_literally(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "WARNING workers click")
        pane(app, "bm25").table.focus()
        await pilot.pause()
        assert app.query_one("#preview-head", Static).render().plain.startswith("hostile.md#1")
        body = app.query_one("#preview-body", Static).render().plain
        assert "[bold red]WARNING[/]" in body and "[link=https://evil.example]click[/link]" in body
        assert "\x1b" not in body and "\x07" not in body and "pwned" not in body


async def test_query_history_with_up_and_down(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "first query")
        await pilot.press("enter")
        query = app.query_one("#query")
        query.value = ""
        await type_query(app, pilot, "second")
        await pilot.press("enter")
        query.value = "draft"
        await pilot.press("up")
        assert query.value == "second"
        await pilot.press("up")
        assert query.value == "first query"
        await pilot.press("down", "down")
        assert query.value == "draft"
        assert app.workspace.history.recent(2) == ["second", "first query"]


async def test_help_lists_every_binding_and_a_user_keymap_applies(make_app):
    app = make_app(keymap={"rerank": "f5", "help": "f2"})
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("f2")
        assert isinstance(app.screen, HelpScreen)
        shown = app.export_screenshot()
        for binding_id in ("rerank", "label_3", "label_clear", "undo_label", "save_preset", "pick_preset", "quit"):
            assert binding_id in shown
        assert ">f5<" in shown.replace("&#160;", "")  # the remapped key is what help shows
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        app.query_one("#query").value = "useEffect"
        await settle(app, pilot)
        await pilot.press("f5")  # remapped: reranks
        await settle(app, pilot)
        assert app.search.ranked_for[0] == "useEffect"
        assert row_ids(app, "rerank") == ["react.md#1"]
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_bm25_works_while_the_model_is_still_loading(make_app):
    import threading

    release = threading.Event()

    def held():
        release.wait(30)  # the model loads until the test lets it
        raise ModelNotFoundError("never mind")

    app = make_app(reranker=held)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot, ignore=("model",))
        assert app.reranker_state == "loading"
        app.query_one("#query").focus()
        await pilot.press(*"useEffect")
        await settle(app, pilot, ignore=("model",))
        assert app.reranker_state == "loading" and not release.is_set()
        assert row_ids(app, "bm25") == ["react.md#1"]
        assert "loading the reranker" in pane(app, "rerank").query_one(".pane-message", Static).render().plain
        release.set()
        await settle(app, pilot)
        assert app.reranker_state == "failed"


def test_readme_key_table_names_every_binding():
    from pathlib import Path

    from rerank_tui.tui.bindings import APP_BINDINGS, RESULTS_BINDINGS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    from rerank_tui.tui.bindings import PASSAGE_BINDINGS, QUERY_SET_BINDINGS

    digits = {f"label_{d}" for d in range(1, 10)}  # the table says `label_0` … `label_9`
    from rerank_tui.tui.bindings import SCRATCH_BINDINGS

    bindings = APP_BINDINGS + RESULTS_BINDINGS + PASSAGE_BINDINGS[:3] + QUERY_SET_BINDINGS + SCRATCH_BINDINGS
    missing = [b.id for b in bindings if f"`{b.id}`" not in readme and b.id not in digits]
    assert not missing


async def test_command_palette_lists_presets_and_switches(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Preset: chinese")
        await settle(app, pilot)  # the palette searches in a worker
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.search.instruction == app.workspace.presets.get("chinese")
        assert "preset chinese" in app.query_one("#instruction-title", Static).render().plain


async def test_picker_renames_and_deletes_presets(make_app, workspace_dir):
    app = make_app(reranker=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)

        async def pick(name: str, key: str) -> None:
            await pilot.press("ctrl+o")
            await pilot.pause()
            options = app.screen.query_one("#picker-list")
            options.highlighted = [o.id for o in options.options].index(name)
            await pilot.press(key)
            await pilot.pause()

        await pick("code-focused", "d")
        await pilot.press("y")  # deleting asks first
        await pilot.pause()
        assert "code-focused" not in yaml.safe_load((workspace_dir / "presets.yaml").read_text())["presets"]
        await pick("chinese", "r")
        for _ in range(len("chinese")):
            await pilot.press("backspace")
        await pilot.press(*"zh", "enter")
        await pilot.pause()
        names = list(yaml.safe_load((workspace_dir / "presets.yaml").read_text())["presets"])
        assert names == ["default", "domain-expert", "zh"]


async def test_a_corrupt_labels_file_is_reported_and_never_overwritten(make_app, workspace_dir):
    workspace_dir.mkdir(parents=True)
    broken = "version: 1\nqueries:\n  q:\n    - doc: a#1\n      grade: 9\n"
    (workspace_dir / "labels.yaml").write_text(broken)
    from textual.notifications import Notify

    app = make_app(reranker=None)
    messages = []
    async with app.run_test(size=(100, 30), notifications=True, message_hook=messages.append) as pilot:
        await settle(app, pilot)
        assert any("labels.yaml:4" in m.notification.message for m in messages if isinstance(m, Notify))
        await type_query(app, pilot, "useEffect")
        pane(app, "bm25").table.focus()
        await pilot.press("3")
        assert (workspace_dir / "labels.yaml").read_text() == broken
        assert any("NOT saved" in m.notification.message for m in messages if isinstance(m, Notify))


async def test_live_metrics_follow_labels_and_reranks(make_app):
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "DataLoader workers")
        line = app.query_one("#metrics", Static).render().plain
        assert "label hits" in line
        pane(app, "bm25").table.focus()
        await pilot.press("down", "3")
        await settle(app, pilot)
        (labeled,) = app.workspace.labels.for_query("DataLoader workers")
        bm25_rank = row_ids(app, "bm25").index(labeled) + 1
        line = app.query_one("#metrics", Static).render().plain
        assert "1 labeled" in line and f"RR@10 {1 / bm25_rank:.3f}" in line
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        new_rank = [r.hit.passage.id for r in app.search.ranking].index(labeled) + 1
        line = app.query_one("#metrics", Static).render().plain
        assert f"RR@10 {1 / bm25_rank:.3f}→{1 / new_rank:.3f}" in line


async def test_tries_are_scored_over_labeled_queries_and_compared(make_app, workspace_dir):
    from rerank_tui.tui.screens.tries import CompareScreen, TriesScreen

    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "DataLoader workers")
        await pilot.press("enter")
        await settle(app, pilot)
        pane(app, "rerank").table.focus()
        await pilot.press("3", "0")
        editor = app.query_one("#instruction", TextArea)
        editor.text = "Only passages about pinned memory are relevant"
        await settle(app, pilot)
        tries = yaml.safe_load((workspace_dir / "tries.yaml").read_text(encoding="utf-8"))["tries"]
        assert [t["instruction"] for t in tries] == [app.workspace.presets.get("default"), editor.text]

        await pilot.press("ctrl+b")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TriesScreen)
        scored = [e for e in screen.entries if e.means]
        assert len(scored) == len(screen.entries) >= 5  # 4 presets + 1 try
        assert [e.means["nDCG@10"] for e in scored] == sorted((e.means["nDCG@10"] for e in scored), reverse=True)
        assert set(screen.bm25) == {"nDCG@10", "AP@10", "RR@10", "P@5"}

        table = screen.query_one("#tries-table")
        names = [e.name for e in screen.entries]
        table.move_cursor(row=names.index("default") + 1)  # row 0 is bm25
        await pilot.press("space")
        table.move_cursor(row=names.index("try 1") + 1)
        await pilot.press("space", "c")
        await settle(app, pilot)
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        a, b = compare.query_one("#compare-a"), compare.query_one("#compare-b")
        assert a.row_count == b.row_count == len(app.search.ranking)
        assert "common" in compare.query_one("#compare-summary").render().plain
        await pilot.press("escape")
        assert app.screen is screen
        table.move_cursor(row=names.index("try 1") + 1)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.search.instruction == "Only passages about pinned memory are relevant"


async def test_a_server_started_after_the_app_is_used_at_the_next_enter(make_app, tiny_model_dir):
    """`vllm serve` is usually started after the app: Enter tries the reranker again."""
    import json

    from rerank_tui.rerank import build_reranker
    from tests.rerank.local_server import LocalServer, free_port, json_answer
    from tests.rerank.reference import Reference

    ref = Reference(tiny_model_dir)

    def handle(method, path, headers, body):
        if path == "/v1/models":
            return json_answer({"object": "list", "data": [{"id": "tiny", "object": "model"}]})
        request = json.loads(body)
        scores = [ref.score_ids(ref.tokenizer(request["query"] + d, add_special_tokens=False)["input_ids"]) for d in request["documents"]]
        return json_answer({"results": [{"index": i, "relevance_score": s} for i, s in enumerate(scores)]})

    port = free_port()
    app = make_app(reranker=lambda: build_reranker("http", url=f"http://127.0.0.1:{port}", timeout=1.5, cache=False))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(app, pilot)
        assert app.reranker_state == "failed"
        assert "cannot reach" in pane(app, "rerank").query_one(".pane-message", Static).render().plain
        with LocalServer(handle, port=port):
            await type_query(app, pilot, "DataLoader workers")
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.reranker_state == "ready"
            assert row_ids(app, "rerank") and set(row_ids(app, "rerank")) <= set(row_ids(app, "bm25"))


async def test_a_stale_server_request_does_not_hold_up_the_new_query(make_app, tiny_model_dir):
    import asyncio
    import json
    import threading

    from rerank_tui.rerank import build_reranker
    from tests.rerank.local_server import LocalServer, json_answer
    from tests.rerank.reference import Reference

    ref = Reference(tiny_model_dir)
    arrived, release, gave_up = threading.Event(), threading.Event(), []

    def handle(method, path, headers, body):
        if path == "/v1/models":
            return json_answer({"object": "list", "data": [{"id": "tiny", "object": "model"}]})
        request = json.loads(body)
        if "DataLoader" in request["query"]:
            arrived.set()
            if not release.wait(20):  # the first query's request stalls until the test lets it go
                gave_up.append(True)
        scores = [ref.score_ids(ref.tokenizer(request["query"] + d, add_special_tokens=False)["input_ids"]) for d in request["documents"]]
        return json_answer({"results": [{"index": i, "relevance_score": s} for i, s in enumerate(scores)]})

    with LocalServer(handle) as server:
        app = make_app(reranker=lambda: build_reranker("http", url=server.url, timeout=30, cache=False))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            await type_query(app, pilot, "DataLoader workers")
            await pilot.press("enter")
            assert await asyncio.to_thread(arrived.wait, 20)
            app.query_one("#query").value = ""
            await pilot.press(*"useEffect", "enter")
            await settle(app, pilot)  # the stale request's worker was cancelled: only the new one counts
            assert app.search.ranked_for and app.search.ranked_for[0] == "useEffect"
            assert not gave_up  # it was answered while the stale request was still out there
            release.set()
            await settle(app, pilot)
            assert app.search.ranked_for[0] == "useEffect" and row_ids(app, "rerank") == ["react.md#1"]


async def test_remapped_label_keys_work_in_the_panes_and_in_the_passage_view(make_app):
    app = make_app(reranker=None, keymap={"label_3": "p", "label_1": "r"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await type_query(app, pilot, "useEffect")
        pane(app, "bm25").table.focus()
        await pilot.press("3")  # remapped away: no longer a label key
        assert app.search.label_of("react.md#1") is None
        await pilot.press("p")  # label_3, remapped
        assert app.search.label_of("react.md#1").grade == 3
        await pilot.press("home", "enter")
        assert isinstance(app.screen, PassageScreen)
        await pilot.press("r")  # label_1, remapped, in the passage view
        assert app.search.label_of("react.md#1").grade == 1
        await pilot.press("delete")  # label_clear's second key, there too
        assert app.search.label_of("react.md#1") is None
        await pilot.press("ctrl+z")  # and undo's
        assert app.search.label_of("react.md#1").grade == 1
        await pilot.press("p")
        assert app.search.label_of("react.md#1").grade == 3



def test_the_palette_offers_bindings_with_the_users_keys():
    from rerank_tui.tui.commands import binding_commands

    titles = dict(binding_commands({"undo_label": "U", "rerank": "f5"}))
    assert "Undo the last label change (U)" in titles and titles["Undo the last label change (U)"] == "undo_label"
    assert "Rerank the BM25 hits now (also Enter in the query box) (f5)" in titles
    assert "This help (f1,?)" in dict(binding_commands({}))
