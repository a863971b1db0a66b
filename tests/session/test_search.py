"""The search state, driven without a UI."""

import pytest

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall.index import Hit
from rerank_tui.rerank.base import RerankStats
from rerank_tui.session.presets import BUILTIN_PRESETS
from rerank_tui.session.ranking import RerankedHit
from rerank_tui.session.search import SearchError, SearchState
from rerank_tui.session.workspace import Workspace


def hit(doc: str, rank: int) -> Hit:
    return Hit(rank, 1.0 / rank, rank - 1, Passage(id=doc, doc=doc.split("#")[0], title="", text=f"text of {doc}"))


@pytest.fixture
def state(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    yield SearchState.start(workspace)
    workspace.close()


def test_starts_with_the_default_preset_or_what_was_given(tmp_path):
    workspace = Workspace.open(tmp_path)
    assert (SearchState.start(workspace).instruction, SearchState.start(workspace).preset) == (BUILTIN_PRESETS["default"], "default")
    given = SearchState.start(workspace, instruction=BUILTIN_PRESETS["chinese"])
    assert given.preset == "chinese"
    assert SearchState.start(workspace, preset="code-focused").instruction == BUILTIN_PRESETS["code-focused"]


def test_hits_for_a_query_typed_over_are_dropped(state):
    state.typed = "data"
    assert not state.accept_hits("dat", [hit("a#1", 1)])
    assert state.accept_hits("data", [hit("a#1", 1)]) and state.query == "data"


def test_a_ranking_is_current_only_for_its_query_and_is_dropped_when_the_query_changes(state):
    state.typed = "data"
    state.accept_hits("data", [hit("a#1", 1), hit("b#1", 2)])
    ranking = [RerankedHit(hit("b#1", 2), 0.9, 1), RerankedHit(hit("a#1", 1), 0.1, 2)]
    assert not state.accept_ranking("dat", state.instruction, ranking, RerankStats())
    assert state.accept_ranking("data", state.instruction, ranking, RerankStats())
    assert state.current_ranking() == ranking and not state.ranking_is_stale
    state.instruction = "something else"
    assert state.ranking_is_stale
    state.typed = "data loader"
    state.accept_hits("data loader", [hit("a#1", 1)])
    assert state.ranked_for is None and state.current_ranking() is None


def test_labels_apply_to_the_shown_query_and_undo(state):
    with pytest.raises(SearchError):
        state.label(hit("a#1", 1), 3)  # no query yet
    state.typed = "data"
    state.accept_hits("data", [hit("a#1", 1)])
    change = state.label(hit("a#1", 1), 3)
    assert change.message == "labeled a#1 3" and state.label_of("a#1").grade == 3
    assert state.clear_label(hit("a#1", 1)).label is None and state.label_of("a#1") is None
    assert state.clear_label(hit("a#1", 1)) is None  # nothing to clear
    undone = state.undo_label()
    assert undone.doc == "a#1" and undone.label.grade == 3 and state.label_of("a#1").grade == 3


def test_preset_operations_return_what_changed_or_raise_one_error(state):
    state.instruction = "Prefer passages with code"
    assert "saved preset 'mine'" in state.save_preset("mine")
    assert state.preset == "mine" and state.instruction_title() == "Instruction · preset mine"
    state.instruction = "Prefer passages with code, strictly"
    assert state.instruction_title().endswith("modified (ctrl+s saves)")
    assert state.rename_preset("mine", "ours").startswith("renamed") and state.preset == "ours"
    with pytest.raises(SearchError, match="exists"):
        state.rename_preset("ours", "default")
    assert state.apply_preset("chinese") == BUILTIN_PRESETS["chinese"] and state.preset == "chinese"
    state.delete_preset("chinese")
    assert state.preset is None
    with pytest.raises(SearchError, match="no preset"):
        state.delete_preset("chinese")
    with pytest.raises(SearchError, match="no preset"):
        state.apply_preset("nope")


def test_a_read_only_file_is_an_error_not_a_silent_skip(tmp_path):
    (tmp_path / "presets.yaml").write_text("presets: [broken\n")
    workspace = Workspace.open(tmp_path)
    state = SearchState.start(workspace)
    with pytest.raises(SearchError, match="NOT saved"):
        state.save_preset("x")
    assert (tmp_path / "presets.yaml").read_text() == "presets: [broken\n"
