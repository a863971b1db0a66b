import json

import pytest

from rerank_tui.session.label_journal import journal_path
from rerank_tui.session.labels import LabelStore, Saved, text_sha1
from rerank_tui.session.store import WorkspaceFileError


def test_closing_a_small_store_folds_its_journal_into_labels_yaml(tmp_path):
    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    store.set("q", "d#1", 2, "t")
    store.close()
    assert "d#1" in path.read_text() and len(journal_path(path).read_text().splitlines()) == 1


def test_set_saves_through_the_journal_and_loads_back_equal(tmp_path):
    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    store.set("dataloader hangs", "pytorch/a.md#2", 3, "passage text")
    store.set("dataloader hangs", "pytorch/b.md#1", 0, "other text")
    store.set("中文 查询", "zh/x.md#1", 2, "中文")
    store.flush()
    assert journal_path(path).exists()
    again = LabelStore.load(path)
    assert again.queries == store.queries
    label = again.get("dataloader hangs", "pytorch/a.md#2")
    assert label.grade == 3 and label.text_sha1 == text_sha1("passage text") and label.at.endswith("Z")
    store.compact()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("version: 1\n") and "中文 查询" in text
    assert len(journal_path(path).read_text().splitlines()) == 1  # only the new journal's header
    assert LabelStore.load(path).queries == store.queries
    store.close()


def test_on_saved_hears_each_change_after_it_is_on_disk(tmp_path):
    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    heard: list[Saved] = []

    def on_saved(saved: Saved) -> None:
        # When the writer reports, another process already reads the label back.
        heard.append(saved)
        assert all(LabelStore.load(path).get(c.query, c.doc) == c.label for c in saved.changes)

    store.on_saved = on_saved
    for grade in (0, 1, 2, 3):
        store.set("q", f"d#{grade}", grade, "t")
    store.flush()
    assert [c.doc for s in heard for c in s.changes] == ["d#0", "d#1", "d#2", "d#3"]
    assert all(s.error is None for s in heard)
    store.close()


def test_clear_and_undo(tmp_path):
    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)

    def on_disk():
        store.flush()
        return LabelStore.load(path).get("q", "d#1")

    store.set("q", "d#1", 1, "t")
    store.set("q", "d#1", 3, "t")
    store.clear("q", "d#1")
    assert on_disk() is None
    assert store.undo() == ("q", "d#1")
    assert on_disk().grade == 3
    store.undo()
    assert on_disk().grade == 1
    store.undo()
    assert on_disk() is None
    assert store.undo() is None
    store.close()


def test_changed_passage_text_is_flagged_stale(tmp_path):
    store = LabelStore.load(tmp_path / "l.yaml")
    label = store.set("q", "d#1", 2, "old text")
    assert not label.is_stale("old text")
    assert label.is_stale("new text")
    store.close()


def test_invalid_grade_is_refused():
    store = LabelStore("unused.yaml")
    for grade in (4, -1, True):
        with pytest.raises(ValueError):
            store.set("q", "d", grade, "t")


def test_unknown_keys_survive_a_round_trip(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text(
        "version: 1\nowner: ana\nqueries:\n  q:\n    - doc: d#1\n      grade: 2\n      note: check the table\n"
    )
    store = LabelStore.load(path)
    store.set("q", "d#2", 1, "t")
    store.set("q", "d#1", 3, "t")
    store.flush()
    store.compact()
    reloaded = path.read_text()
    assert "note: check the table" in reloaded and "owner: ana" in reloaded
    assert LabelStore.load(path).get("q", "d#1").grade == 3
    store.close()


def test_a_torn_last_journal_line_is_dropped_and_the_rest_kept(tmp_path):
    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    store.set("q", "d#1", 2, "t")
    store.flush()
    store._writer.close()  # the writer stops, as if killed: no compaction
    with open(journal_path(path), "a") as fh:
        fh.write('{"query": "q", "doc": "d#2", "gra')  # killed mid-write: never reported saved
    again = LabelStore.load(path)
    assert set(again.for_query("q")) == {"d#1"}
    again.set("q", "d#3", 1, "t")
    again.close()
    assert set(LabelStore.load(path).for_query("q")) == {"d#1", "d#3"}


def test_a_corrupt_journal_line_is_reported_with_its_line(tmp_path):
    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    store.set("q", "d#1", 2, "t")
    store.close()
    journal = journal_path(path)
    bad_line = len(journal.read_text().splitlines()) + 1
    journal.write_text(journal.read_text() + json.dumps({"query": "q", "doc": "d#2", "grade": 9}) + "\n")
    before = journal.read_bytes()
    with pytest.raises(WorkspaceFileError) as info:
        LabelStore.load(path)
    assert info.value.line == bad_line and info.value.path == journal
    assert journal.read_bytes() == before


def test_failed_write_is_reported_and_not_kept_in_memory(tmp_path, monkeypatch):
    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    heard = []
    store.on_saved = heard.append
    import os

    real_fsync = os.fsync

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    store.set("q", "d#1", 2, "t")
    with pytest.raises(OSError):
        store.flush()
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert heard and heard[0].error is not None
    assert store.get("q", "d#1") is None and store.undo() is None
    store.close()


@pytest.mark.parametrize(
    "content, line",
    [
        ("version: 1\nqueries:\n  q:\n    - doc: d#1\n      grade: 7\n", 4),
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


def test_the_file_is_dumped_in_chunks_that_read_back_exactly(tmp_path, monkeypatch):
    import yaml

    from rerank_tui.session import label_file
    from rerank_tui.session.labels import Label

    monkeypatch.setattr(label_file, "DUMP_CHUNK", 3)
    tricky = ["plain", "two\nlines", "  leading spaces\nand more", "x" * 300, "key: with colon", "- dash", "中文 查询", "'quoted'", "tab\there", "trailing\n"]
    store = LabelStore(tmp_path / "labels.yaml")
    store.queries = {q: {f"d{i}#1": Label(f"d{i}#1", i % 4, "abc", "2026-11-22T03:00:00Z", {"note": q})} for i, q in enumerate(tricky)}
    store.queries["empty"] = {}
    text = store.to_yaml()
    data = yaml.safe_load(text)
    assert list(data["queries"]) == tricky + ["empty"]
    assert data["queries"]["two\nlines"][0] == {"doc": "d1#1", "grade": 1, "text_sha1": "abc", "at": "2026-11-22T03:00:00Z", "note": "two\nlines"}
    store.save()
    assert LabelStore.load(tmp_path / "labels.yaml").queries == store.queries


def test_an_unexpected_error_in_the_writer_is_reported_and_the_writer_lives_on(tmp_path, monkeypatch):
    store = LabelStore.load(tmp_path / "labels.yaml")
    real_append = store.journal.append

    def broken(entries):
        raise RuntimeError("a bug")

    monkeypatch.setattr(store.journal, "append", broken)
    store.set("q", "d#1", 2, "t")
    with pytest.raises(RuntimeError):
        store.flush()
    monkeypatch.setattr(store.journal, "append", real_append)
    store.set("q", "d#2", 1, "t")
    store.flush()
    assert set(LabelStore.load(tmp_path / "labels.yaml").for_query("q")) == {"d#2"}
    store.close()


# -- the workspace's scale ----------------------------------------------------------------------

CRANFIELD_SCALE = "version: 1\nscale: {1: a, 2: b, 3: c, 4: d}\nqueries:\n  q:\n    - doc: d#1\n      grade: 4\n"


def test_the_files_scale_is_the_stores(tmp_path):
    from rerank_tui.session.labels import Scale

    path = tmp_path / "labels.yaml"
    path.write_text(CRANFIELD_SCALE)
    store = LabelStore.load(path)
    assert store.scale == Scale(1, 4, {1: "a", 2: "b", 3: "c", 4: "d"})
    assert store.get("q", "d#1").grade == 4
    store.set("q", "d#2", 4, "t")
    store.set("q", "d#3", 1, "t")
    for grade in (0, 5, True):
        with pytest.raises(ValueError, match="scale 1–4"):
            store.set("q", "d#4", grade, "t")
    store.flush()
    replayed = LabelStore.load(path)  # labels.yaml + the journal's lines, on the file's scale
    assert replayed.scale == store.scale and replayed.queries == store.queries
    store.close()  # folds the journal in
    saved = LabelStore.load(path)
    assert saved.scale == store.scale and saved.queries == store.queries
    assert "scale:\n  1: a\n  2: b\n  3: c\n  4: d\n" in path.read_text()


def test_a_store_without_a_scale_has_the_default_and_writes_it(tmp_path):
    from rerank_tui.session.labels import DEFAULT_SCALE

    path = tmp_path / "labels.yaml"
    path.write_text("version: 1\nqueries:\n  q:\n    - doc: d#1\n      grade: 3\n")
    store = LabelStore.load(path)
    assert store.scale == DEFAULT_SCALE and store.scale.name(3) == "perfect"
    store.save()
    assert "scale:\n  0: irrelevant\n  1: related\n  2: relevant\n  3: perfect\n" in path.read_text()


def test_a_scale_read_from_the_cache_is_the_files(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text(CRANFIELD_SCALE)
    LabelStore.load(path)  # parses and caches
    from rerank_tui.session import parse_cache

    assert parse_cache.get(path, CRANFIELD_SCALE)["scale"][:2] == [1, 4]
    again = LabelStore.load(path)  # from the cache
    assert again.scale.text == "1–4" and again.scale.name(2) == "b"
    with pytest.raises(ValueError):
        again.set("q", "d#2", 0, "t")


def test_an_old_cache_entry_without_a_scale_is_parsed_again(tmp_path):
    from rerank_tui.session import parse_cache
    from rerank_tui.session.label_file import parse_labels_file

    path = tmp_path / "labels.yaml"
    parse_cache.put(path, CRANFIELD_SCALE, {"queries": {}, "extra": {}})  # as written before scales
    queries, _, scale = parse_labels_file(path, CRANFIELD_SCALE)
    assert scale.text == "1–4" and queries["q"]["d#1"].grade == 4


def test_a_journal_line_off_the_files_scale_is_refused_with_its_line(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text(CRANFIELD_SCALE)
    store = LabelStore.load(path)
    store.set("q", "d#2", 4, "t")
    store.flush()
    store._writer.close()  # no compaction: the line stays in the journal
    journal = journal_path(path)
    journal.write_text(journal.read_text() + json.dumps({"query": "q", "doc": "d#3", "grade": 0}) + "\n")
    with pytest.raises(WorkspaceFileError, match="scale 1–4") as info:
        LabelStore.load(path)
    assert info.value.line == 3 and info.value.path == journal


@pytest.mark.parametrize(
    "content, line, message",
    [
        (CRANFIELD_SCALE.replace("grade: 4", "grade: 5"), 5, "grade 5 is not on this file's scale 1–4"),
        (CRANFIELD_SCALE.replace("grade: 4", "grade: 0"), 5, "grade 0 is not on this file's scale 1–4"),
        ("version: 1\nqueries: {}\nscale: {0: a, 1: b, 3: d}\n", 3, "grade 2 is missing"),
        ("version: 1\nscale:\n  a: x\n  b: y\nqueries: {}\n", 2, "not a whole number"),
        ("version: 1\nscale: {'1': x, '2': y}\nqueries: {}\n", 2, "not a whole number"),
        ("version: 1\n\nscale: {1: only}\nqueries: {}\n", 3, "at least 2 grades"),
        ("version: 1\nscale: [0, 1, 2]\nqueries: {}\n", 2, "expected a mapping"),
        ("version: 1\nscale: {0: no, 1: yes}\nqueries: {}\n", 2, "must be text (quote it)"),
    ],
)
def test_a_label_or_scale_that_does_not_fit_is_an_error_at_its_line(tmp_path, content, line, message):
    path = tmp_path / "labels.yaml"
    path.write_text(content)
    with pytest.raises(WorkspaceFileError) as info:
        LabelStore.load(path)
    assert info.value.line == line and message in str(info.value)
    assert path.read_text() == content


def test_a_scale_written_as_a_range_reads(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text("version: 1\nscale: 0-10\nqueries:\n  q:\n    - {doc: d#1, grade: 10}\n")
    store = LabelStore.load(path)
    assert store.scale.grades == tuple(range(11)) and store.get("q", "d#1").grade == 10


def test_set_scale_refuses_when_labels_fall_outside(tmp_path):
    from rerank_tui.session.labels import Scale

    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    store.set("q", "d#1", 0, "t")
    store.set("q", "d#2", 3, "t")
    with pytest.raises(ValueError, match=r"grade 0, which is not on 1–4"):
        store.set_scale(Scale(1, 4))
    assert store.scale.text == "0–3"
    store.clear("q", "d#1")
    store.set_scale(Scale(1, 4))
    assert store.scale.text == "1–4" and LabelStore.load(path).scale == Scale(1, 4)
    store.set("q", "d#3", 4, "t")
    store.close()
    assert LabelStore.load(path).get("q", "d#3").grade == 4


def test_a_scale_set_by_another_writer_is_taken_in(tmp_path):
    from rerank_tui.session.labels import Scale

    path = tmp_path / "labels.yaml"
    app = LabelStore.load(path)
    app.set("q", "d#1", 2, "t")
    app.flush()
    other = LabelStore.load(path)
    other.set_scale(Scale(0, 10))
    app.set("q", "d#2", 3, "t")
    app.flush()  # the writer catches up: labels.yaml and its scale
    assert app.scale == Scale(0, 10)
    app.set("q", "d#3", 10, "t")
    app.close()
    back = LabelStore.load(path)
    assert back.scale == Scale(0, 10) and {d: lab.grade for d, lab in back.for_query("q").items()} == {"d#1": 2, "d#2": 3, "d#3": 10}


def test_a_grade_given_on_a_scale_another_writer_then_narrowed_is_not_saved(tmp_path):
    from rerank_tui.session.labels import Scale

    path = tmp_path / "labels.yaml"
    app = LabelStore.load(path)
    app.set("q", "d#1", 2, "t")
    app.flush()
    LabelStore.load(path).set_scale(Scale(1, 4))
    app.set("q", "d#2", 0, "t")  # on the scale the app last read
    with pytest.raises(ValueError, match="no longer on the labels' scale, now 1–4"):
        app.flush()
    assert app.get("q", "d#2") is None and app.scale == Scale(1, 4)
    app.close()
    back = LabelStore.load(path)  # the files still read
    assert set(back.for_query("q")) == {"d#1"} and back.scale == Scale(1, 4)


def test_merge_takes_the_scale_it_is_given(tmp_path):
    from rerank_tui.session.labels import Label, Scale

    path = tmp_path / "labels.yaml"
    store = LabelStore.load(path)
    cranfield = {"q": {"d#1": Label("d#1", 1), "d#2": Label("d#2", 4)}}
    with pytest.raises(ValueError, match="grade 4 is not on the scale 0–3; nothing written"):
        store.merge(cranfield)
    assert not path.exists() and len(store) == 0
    store.merge(cranfield, scale=Scale(1, 4))
    assert store.scale == Scale(1, 4)
    back = LabelStore.load(path)
    assert back.scale == Scale(1, 4) and back.get("q", "d#2").grade == 4
    before = path.read_text()
    with pytest.raises(ValueError, match="grade 0 is not on the scale 1–4"):
        store.merge({"q2": {"d#9": Label("d#9", 0)}})
    with pytest.raises(ValueError, match="grade 4, which is not on the scale 0–3"):  # a label already there
        store.merge({"q2": {"d#9": Label("d#9", 0)}}, scale=Scale(0, 3))
    assert path.read_text() == before and store.scale == Scale(1, 4) and "q2" not in store.queries
    store.merge({"q": {"d#2": Label("d#2", 0)}}, scale=Scale(0, 4))  # replaces the label off 0–3… on 0–4
    store.merge({"q3": {"d#1": Label("d#1", 3)}}, replace=True, scale=Scale(0, 3))
    back = LabelStore.load(path)
    assert back.scale.text == "0–3" and list(back.queries) == ["q3"]


def test_a_replacing_merge_drops_a_journal_on_another_scale(tmp_path):
    from rerank_tui.session.labels import Label, Scale

    path = tmp_path / "labels.yaml"
    path.write_text(CRANFIELD_SCALE)
    app = LabelStore.load(path)
    app.set("q", "d#2", 4, "t")
    app.flush()
    app._writer.close()  # the line stays in the journal
    importer = LabelStore(path)  # as `import --replace` makes it: the files are not read
    with pytest.raises(ValueError, match="grade 7 is not on the scale 0–3; nothing written"):
        importer.merge({"r": {"d#1": Label("d#1", 7)}}, replace=True)
    assert LabelStore.load(path).get("q", "d#2").grade == 4  # nothing changed
    importer.merge({"r": {"d#1": Label("d#1", 0)}}, replace=True, scale=Scale(0, 3))
    back = LabelStore.load(path)
    assert back.scale.text == "0–3" and list(back.queries) == ["r"]
