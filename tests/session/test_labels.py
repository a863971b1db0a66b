import pytest

from rerank_tui.session.labels import LabelStore, text_sha1
from rerank_tui.session.store import WorkspaceFileError


def test_set_saves_immediately_and_loads_back_equal(tmp_path):
    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    store.set("dataloader hangs", "pytorch/a.md#2", 3, "passage text")
    store.set("dataloader hangs", "pytorch/b.md#1", 0, "other text")
    store.set("中文 查询", "zh/x.md#1", 2, "中文")
    again = LabelStore.load(path)
    assert again.queries == store.queries
    label = again.get("dataloader hangs", "pytorch/a.md#2")
    assert label.grade == 3 and label.text_sha1 == text_sha1("passage text") and label.at.endswith("Z")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("version: 1\n") and "中文 查询" in text


def test_clear_and_undo(tmp_path):
    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    store.set("q", "d#1", 1, "t")
    store.set("q", "d#1", 3, "t")
    store.clear("q", "d#1")
    assert LabelStore.load(path).get("q", "d#1") is None
    assert store.undo() == ("q", "d#1")
    assert LabelStore.load(path).get("q", "d#1").grade == 3
    store.undo()
    assert LabelStore.load(path).get("q", "d#1").grade == 1
    store.undo()
    assert LabelStore.load(path).get("q", "d#1") is None
    assert store.undo() is None


def test_changed_passage_text_is_flagged_stale(tmp_path):
    store = LabelStore.load(tmp_path / "l.yaml")
    label = store.set("q", "d#1", 2, "old text")
    assert not label.is_stale("old text")
    assert label.is_stale("new text")


def test_invalid_grade_is_refused():
    store = LabelStore("unused.yaml")
    with pytest.raises(ValueError):
        store.set("q", "d", 4, "t")


def test_unknown_keys_survive_a_round_trip(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text(
        "version: 1\nowner: ana\nqueries:\n  q:\n    - doc: d#1\n      grade: 2\n      note: check the table\n"
    )
    store = LabelStore.load(path)
    store.set("q", "d#2", 1, "t")
    reloaded = path.read_text()
    assert "note: check the table" in reloaded and "owner: ana" in reloaded


@pytest.mark.parametrize(
    "content, line",
    [
        ("version: 1\nqueries:\n  q:\n    - doc: d#1\n      grade: 7\n", 3),
        ("version: 1\nqueries:\n  q:\n    - {doc: d#1, grade: 1\n", 5),
        ("version: 1\nqueries:\n  q: not-a-list\n", 3),
        ("version: 2\nqueries: {}\n", 1),
    ],
)
def test_corrupt_file_is_reported_with_its_line_and_left_untouched(tmp_path, content, line):
    path = tmp_path / "labels.yaml"
    path.write_text(content)
    with pytest.raises(WorkspaceFileError) as info:
        LabelStore.load(path)
    assert info.value.line == line
    assert path.read_text() == content
