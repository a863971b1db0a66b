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
