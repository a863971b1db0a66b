from pathlib import Path

import pytest
import yaml

from rerank_tui.session.presets import BUILTIN_PRESETS, PresetStore
from rerank_tui.session.store import WorkspaceFileError

REPO = Path(__file__).resolve().parents[2]


def test_builtins_until_the_user_saves(tmp_path):
    path = tmp_path / "presets.yaml"
    store = PresetStore.load(path)
    assert store.names() == list(BUILTIN_PRESETS) and not path.exists()
    store.save("mine", "Prefer passages with\nrunnable code")
    again = PresetStore.load(path)
    assert again.get("mine") == "Prefer passages with\nrunnable code"
    assert again.get("default") == BUILTIN_PRESETS["default"]
    assert "instruction: |-" in path.read_text()


def test_rename_delete_and_lookup_by_text(tmp_path):
    store = PresetStore.load(tmp_path / "p.yaml")
    store.save("a", "text a")
    store.rename("a", "b")
    assert PresetStore.load(store.path).get("b") == "text a"
    assert store.name_of("text a") == "b"
    store.delete("b")
    assert "b" not in PresetStore.load(store.path).names()
    with pytest.raises(ValueError):
        store.rename("default", "chinese")
    with pytest.raises(ValueError):
        store.save("   ", "x")


def test_a_broken_preset_names_its_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\npresets:\n  good:\n    instruction: x\n  bad:\n    instr: y\n")
    with pytest.raises(WorkspaceFileError) as info:
        PresetStore.load(path)
    assert info.value.line == 5
    assert path.read_text().endswith("instr: y\n")


def test_configs_example_matches_the_builtins():
    data = yaml.safe_load((REPO / "configs" / "presets.yaml").read_text(encoding="utf-8"))
    assert {n: p["instruction"] for n, p in data["presets"].items()} == BUILTIN_PRESETS


# -- changes return what they replaced; `expect` guards an undo --------------------------------


def test_changes_say_what_they_replaced_and_a_restore_keeps_the_place(tmp_path):
    store = PresetStore.load(tmp_path / "p.yaml")
    assert store.save("mine", "one") is None
    assert store.save("mine", "two") == "one"
    assert store.delete("domain-expert") == (BUILTIN_PRESETS["domain-expert"], 1)
    store.save("domain-expert", BUILTIN_PRESETS["domain-expert"], at=1, expect=None)
    assert PresetStore.load(store.path).names() == [*BUILTIN_PRESETS, "mine"]
    assert store.rename("mine", "ours") == "two"


def test_expect_refuses_to_undo_over_another_writers_change(tmp_path):
    ours = PresetStore.load(tmp_path / "p.yaml")
    ours.save("mine", "ours")
    theirs = PresetStore.load(tmp_path / "p.yaml")
    theirs.save("mine", "theirs")
    before = (tmp_path / "p.yaml").read_text()
    with pytest.raises(ValueError, match="changed since"):
        ours.delete("mine", expect="ours")  # reads theirs under the lock first
    with pytest.raises(ValueError, match="saved since"):
        ours.save("mine", "ours", expect=None)
    assert (tmp_path / "p.yaml").read_text() == before


# -- undo in the search state ----------------------------------------------------------------


@pytest.fixture
def search(tmp_path):
    from rerank_tui.session.search import SearchState
    from rerank_tui.session.workspace import Workspace

    workspace = Workspace.open(tmp_path / "ws")
    yield SearchState.start(workspace)
    workspace.close()


def on_disk(search) -> dict[str, str]:
    return PresetStore.load(search.workspace.presets.path).presets


def test_undo_takes_back_a_new_preset_an_overwrite_a_rename_and_a_delete(search):
    search.instruction = "my own wording"
    search.save_preset("mine")
    assert search.overwrites("mine") is None and search.overwrites("nope") is None
    search.instruction = "better wording"
    assert search.overwrites("mine") == "my own wording"
    assert "over its previous instruction" in search.save_preset("mine")
    search.rename_preset("mine", "ours")
    search.delete_preset("code-focused")
    assert list(on_disk(search)) == ["default", "domain-expert", "chinese", "ours"]

    assert "deleting preset 'code-focused'" in search.undo_preset()
    assert list(on_disk(search)) == ["default", "domain-expert", "code-focused", "chinese", "ours"]  # in its place
    assert on_disk(search)["code-focused"] == BUILTIN_PRESETS["code-focused"]
    assert "renaming" in search.undo_preset() and search.preset == "mine"
    assert "previous instruction is back" in search.undo_preset()
    assert on_disk(search)["mine"] == "my own wording"
    assert search.instruction_title() == "Instruction · preset mine · modified (ctrl+s saves)"
    assert "gone again" in search.undo_preset()
    assert on_disk(search) == BUILTIN_PRESETS and search.preset == "default"  # as before the first save
    assert search.undo_preset() is None


def test_undoing_a_delete_of_the_current_preset_makes_it_current_again(search):
    search.delete_preset("default")
    assert search.preset is None
    search.undo_preset()
    assert search.preset == "default" and list(on_disk(search)) == list(BUILTIN_PRESETS)


def test_undo_keeps_what_another_writer_saved_and_never_overwrites_their_change(search):
    from rerank_tui.session.search import SearchError

    search.instruction = "mine"
    search.save_preset("mine")
    other = PresetStore.load(search.workspace.presets.path)
    other.save("theirs", "their wording")
    search.undo_preset()  # read-merge-write: their preset stays
    assert on_disk(search) == {**BUILTIN_PRESETS, "theirs": "their wording"}

    search.instruction = "ours again"
    search.save_preset("theirs")  # overwrites theirs (the app asked first)
    other.save("theirs", "they changed it again")
    with pytest.raises(SearchError, match="NOT undone.*changed since"):
        search.undo_preset()
    assert on_disk(search)["theirs"] == "they changed it again"
    assert search.undo_preset() is None  # the undo that cannot apply is dropped
