"""Preset changes in the app: overwriting and deleting ask first, and all of them can be undone."""

from __future__ import annotations

import yaml
from textual.notifications import Notify
from textual.widgets import OptionList, Static, TextArea

from rerank_tui.session.presets import BUILTIN_PRESETS
from rerank_tui.tui.screens.dialogs import Confirm, NamePrompt, Picker
from tests.tui.conftest import settle


def saved_presets(workspace_dir) -> dict[str, str] | None:
    path = workspace_dir / "presets.yaml"
    if not path.exists():
        return None
    return {n: p["instruction"] for n, p in yaml.safe_load(path.read_text(encoding="utf-8"))["presets"].items()}


def notes(messages) -> list[str]:
    return [m.notification.message for m in messages if isinstance(m, Notify)]


async def open_picker(app, pilot, highlight: str | None = None) -> OptionList:
    await pilot.press("ctrl+o")
    await pilot.pause()
    assert isinstance(app.screen, Picker)
    options = app.screen.query_one("#picker-list", OptionList)
    if highlight is not None:
        options.highlighted = [o.id for o in options.options].index(highlight)
    return options


async def test_saving_over_an_existing_preset_asks_and_can_be_undone(make_app, workspace_dir):
    app = make_app(reranker=None)
    messages = []
    async with app.run_test(size=(120, 40), notifications=True, message_hook=messages.append) as pilot:
        await settle(app, pilot)
        app.query_one("#instruction", TextArea).text = "Prefer passages that explain the cause"
        await pilot.pause()

        await pilot.press("ctrl+s")  # the prompt offers the current preset's name: default
        await pilot.pause()
        assert isinstance(app.screen, NamePrompt)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        shown = app.screen.query_one("#confirm-detail", Static).render().plain
        assert BUILTIN_PRESETS["default"] in shown  # what would be replaced
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, Confirm)
        assert saved_presets(workspace_dir) is None  # nothing written

        await pilot.press("ctrl+s", "enter")
        await pilot.pause()
        await pilot.press("escape")  # Escape cancels too
        await pilot.pause()
        assert saved_presets(workspace_dir) is None

        await pilot.press("ctrl+s", "enter")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert saved_presets(workspace_dir)["default"] == "Prefer passages that explain the cause"
        assert "preset default" in app.query_one("#instruction-title", Static).render().plain
        assert any("saved preset 'default'" in m and "ctrl+o, then u undoes" in m for m in notes(messages))

        await open_picker(app, pilot)
        await pilot.press("u")
        await settle(app, pilot)
        assert saved_presets(workspace_dir) == BUILTIN_PRESETS
        assert "modified" in app.query_one("#instruction-title", Static).render().plain
        assert any("undid saving preset 'default'" in m for m in notes(messages))


async def test_a_new_name_saves_at_once_and_enter_confirms_an_overwrite(make_app, workspace_dir):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        editor = app.query_one("#instruction", TextArea)
        editor.text = "first wording"
        await pilot.press("ctrl+s", *["backspace"] * len("default"), *"mine", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, Confirm)  # a new name: nothing to ask
        assert saved_presets(workspace_dir)["mine"] == "first wording"

        await pilot.press("ctrl+s", "enter")  # the same text under the same name: nothing to ask either
        await pilot.pause()
        assert not isinstance(app.screen, Confirm)

        editor.text = "second wording"
        await pilot.press("ctrl+s", "enter")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("enter")
        await pilot.pause()
        assert saved_presets(workspace_dir)["mine"] == "second wording"


async def test_deleting_from_the_picker_asks_and_undo_puts_it_back_in_its_place(make_app, workspace_dir):
    app = make_app(reranker=None)
    messages = []
    async with app.run_test(size=(120, 40), notifications=True, message_hook=messages.append) as pilot:
        await settle(app, pilot)
        await open_picker(app, pilot, highlight="code-focused")
        assert "u undoes" in app.screen.query_one(".dialog-hint", Static).render().plain
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert BUILTIN_PRESETS["code-focused"] in app.screen.query_one("#confirm-detail", Static).render().plain
        await pilot.press("escape")
        await pilot.pause()
        assert saved_presets(workspace_dir) is None

        await open_picker(app, pilot, highlight="code-focused")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert list(saved_presets(workspace_dir)) == ["default", "domain-expert", "chinese"]
        assert any("deleted preset 'code-focused'" in m and "ctrl+o, then u undoes" in m for m in notes(messages))

        await open_picker(app, pilot)
        await pilot.press("u")
        await pilot.pause()
        assert list(saved_presets(workspace_dir)) == list(BUILTIN_PRESETS)  # back where it was
        assert saved_presets(workspace_dir)["code-focused"] == BUILTIN_PRESETS["code-focused"]

        await open_picker(app, pilot)
        await pilot.press("u")
        await pilot.pause()
        assert "no preset change to undo" in notes(messages)


async def test_deleting_the_current_preset_asks_and_rename_can_be_undone(make_app, workspace_dir):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.apply_preset("chinese")
        await app.run_action("delete_preset")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await pilot.pause()
        assert app.search.preset == "chinese" and saved_presets(workspace_dir) is None
        await app.run_action("delete_preset")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.search.preset is None and "chinese" not in saved_presets(workspace_dir)
        await app.run_action("undo_preset")
        await pilot.pause()
        assert app.search.preset == "chinese" and list(saved_presets(workspace_dir)) == list(BUILTIN_PRESETS)

        await open_picker(app, pilot, highlight="domain-expert")
        await pilot.press("r", *["backspace"] * len("domain-expert"), *"expert", "enter")
        await pilot.pause()
        assert list(saved_presets(workspace_dir)) == ["default", "expert", "code-focused", "chinese"]
        await open_picker(app, pilot)
        await pilot.press("u")
        await pilot.pause()
        assert list(saved_presets(workspace_dir)) == list(BUILTIN_PRESETS)


async def test_the_picker_opens_on_the_current_preset(make_app):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.apply_preset("code-focused")
        options = await open_picker(app, pilot)
        assert options.get_option_at_index(options.highlighted).id == "code-focused"
        await pilot.press("enter")  # Enter picks what is highlighted: the current preset stays
        await settle(app, pilot)
        assert app.search.preset == "code-focused"


async def test_the_palette_undoes_a_preset_change(make_app, workspace_dir):
    app = make_app(reranker=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.search.instruction = "palette wording"
        app.search.save_preset("from-palette")
        assert "from-palette" in saved_presets(workspace_dir)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Undo the last preset change")
        await settle(app, pilot)  # the palette searches in a worker
        await pilot.press("enter")
        await settle(app, pilot)
        assert saved_presets(workspace_dir) == BUILTIN_PRESETS
