import pytest

from rerank_tui.session.presets import PresetStore
from rerank_tui.session.scoreboard import board_entries
from rerank_tui.session.store import WorkspaceFileError
from rerank_tui.session.tries import TryLog


def test_tries_are_recorded_once_per_instruction_and_saved(tmp_path):
    log = TryLog.load(tmp_path / "tries.yaml")
    log.record("first instruction", "default")
    log.record("second\nwith two lines")
    log.record("first instruction", "default")
    again = TryLog.load(tmp_path / "tries.yaml")
    assert [(t.instruction, t.uses, t.preset) for t in again.tries] == [
        ("first instruction", 2, "default"),
        ("second\nwith two lines", 1, None),
    ]
    assert again.tries[0].first_used <= again.tries[0].last_used


def test_a_broken_tries_file_is_an_error(tmp_path):
    (tmp_path / "tries.yaml").write_text("version: 1\ntries: nope\n")
    with pytest.raises(WorkspaceFileError):
        TryLog.load(tmp_path / "tries.yaml")


def test_board_lists_presets_then_other_tries(tmp_path):
    presets = PresetStore.load(tmp_path / "presets.yaml")
    log = TryLog(tmp_path / "tries.yaml")
    log.record(presets.get("default"))
    log.record("my own wording")
    entries = board_entries(presets, log)
    assert [e.name for e in entries][: len(presets.names())] == presets.names()
    assert entries[-1].name == "try 1" and entries[-1].instruction == "my own wording"
    assert entries[0].uses == 1  # the preset inherits its try's use count
