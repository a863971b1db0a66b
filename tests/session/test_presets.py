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


# -- a presets.yaml edited by hand keeps what the user wrote (round_trip, ruamel.yaml) ---------

HAND_EDITED = """\
# Presets for the docs search; keep the instructions short.
version: 1
presets:
  # what we ship
  default:
    instruction: Given a web search query, retrieve relevant passages   # as in the paper
  # reviewed by Ana
  'python-expert':
    instruction: "Judge as a senior Python engineer"

  # for the API reference
  api:
    instruction: |-
      Prefer reference pages
      over tutorials
owner: docs-team   # not the app's: kept
"""


def _saved(tmp_path, change):
    path = tmp_path / "presets.yaml"
    path.write_text(HAND_EDITED, encoding="utf-8")
    store = PresetStore.load(path)
    change(store)
    text = path.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["owner"] == "docs-team"  # and it still reads with the safe loader
    assert PresetStore.load(path).presets == store.presets
    return text


def test_adding_a_preset_keeps_comments_blank_lines_order_and_quoting(tmp_path):
    text = _saved(tmp_path, lambda s: s.save("new", "one line\nand another"))
    assert text.startswith(HAND_EDITED.split("owner:")[0].rstrip("\n"))  # everything above, byte for byte
    assert "  new:\n    instruction: |-\n      one line\n      and another\nowner: docs-team   # not the app's: kept\n" in text


def test_deleting_a_preset_takes_its_comment_along_and_leaves_the_others(tmp_path):
    text = _saved(tmp_path, lambda s: s.delete("python-expert"))
    assert "reviewed by Ana" not in text and "senior Python" not in text
    assert "  # what we ship\n  default:\n" in text and "# as in the paper\n" in text
    assert "\n\n  # for the API reference\n  api:\n    instruction: |-\n" in text
    text = _saved(tmp_path, lambda s: s.delete("default"))
    assert "what we ship" not in text and "as in the paper" not in text
    assert "presets:\n  # reviewed by Ana\n  'python-expert':\n" in text


def test_renaming_a_preset_keeps_its_place_and_its_comments(tmp_path):
    text = _saved(tmp_path, lambda s: s.rename("python-expert", "py"))
    assert "  # reviewed by Ana\n  py:\n    instruction: \"Judge as a senior Python engineer\"\n\n  # for the API" in text
    assert PresetStore.load(tmp_path / "presets.yaml").names() == ["default", "py", "api"]


def test_changing_one_instruction_rewrites_that_value_only(tmp_path):
    text = _saved(tmp_path, lambda s: s.save("api", "Prefer reference pages"))
    assert text.replace("Prefer reference pages\n", "", 1) != HAND_EDITED
    assert text.split("  # for the API reference")[0] == HAND_EDITED.split("  # for the API reference")[0]
    assert "  api:\n    instruction: |-\n      Prefer reference pages\nowner:" in text  # the value keeps its style


def test_a_preset_saved_at_the_top_keeps_the_comment_of_the_first_one_on_it(tmp_path):
    text = _saved(tmp_path, lambda s: s.save("top", "first", at=0))
    assert "presets:\n  top:\n    instruction: first\n  # what we ship\n  default:\n" in text


def test_a_file_the_app_wrote_keeps_the_plain_fast_dump(tmp_path, monkeypatch):
    from rerank_tui.session import round_trip

    store = PresetStore.load(tmp_path / "presets.yaml")
    store.save("a", "x")  # written by the app: no hand edits to keep
    monkeypatch.setattr(round_trip, "kept_text", lambda *a: pytest.fail("round trip for a file nobody edited"))
    store.save("b", "y")
    assert PresetStore.load(store.path).names()[-2:] == ["a", "b"]


def test_a_round_trip_that_would_change_the_content_falls_back_to_the_plain_dump(tmp_path, monkeypatch):
    from rerank_tui.session import round_trip

    monkeypatch.setattr(round_trip, "round_trip_text", lambda *a: "version: 1\npresets: {}\n")  # a broken round trip
    text = _saved(tmp_path, lambda s: s.save("new", "x"))
    assert "# what we ship" not in text  # the comments are lost, never a preset
    assert PresetStore.load(tmp_path / "presets.yaml").get("new") == "x"


def test_another_writers_edit_and_comment_survive_our_save(tmp_path):
    path = tmp_path / "presets.yaml"
    path.write_text(HAND_EDITED, encoding="utf-8")
    ours = PresetStore.load(path)
    theirs = PresetStore.load(path)
    theirs.save("theirs", "their instruction")
    path.write_text(path.read_text().replace("  theirs:\n", "  # added by the other window\n  theirs:\n"))
    ours.save("ours", "our instruction")  # read-merge-write under the lock: onto their file
    text = path.read_text()
    assert "# added by the other window\n  theirs:\n" in text and "  ours:\n" in text and "# reviewed by Ana" in text
    assert PresetStore.load(path).names() == ["default", "python-expert", "api", "theirs", "ours"]


def test_ruamel_is_imported_on_the_first_save_of_an_edited_file_only():
    import subprocess
    import sys

    code = "import sys, rerank_tui.tui.app, rerank_tui.session.presets; print('ruamel' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
