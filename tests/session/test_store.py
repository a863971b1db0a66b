import os

import pytest

from rerank_tui.session.safe_yaml import node_line
from rerank_tui.session.store import WorkspaceFileError, atomic_write_text, dump_yaml, load_yaml


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "f.yaml"
    atomic_write_text(target, "one\n")
    atomic_write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert os.listdir(target.parent) == ["f.yaml"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.yaml"
    atomic_write_text(target, "precious\n")

    def boom(*a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "half")
    assert target.read_text() == "precious\n"
    assert os.listdir(tmp_path) == ["f.yaml"]


def test_multiline_strings_are_block_scalars_and_round_trip(tmp_path):
    text = dump_yaml({"instruction": "line one\nline two", "plain": "x: y"})
    assert "instruction: |-\n  line one\n  line two" in text
    path = tmp_path / "a.yaml"
    path.write_text(text)
    assert load_yaml(path) == {"instruction": "line one\nline two", "plain": "x: y"}


def test_parse_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nqueries:\n  a: [1, 2\n  b: 3\n")
    with pytest.raises(WorkspaceFileError) as info:
        load_yaml(path)
    assert info.value.line is not None and info.value.line >= 3
    assert str(path) in str(info.value)


def test_missing_file_is_none_and_node_line_finds_keys(tmp_path):
    assert load_yaml(tmp_path / "nope.yaml") is None
    text = "version: 1\nqueries:\n  first: []\n  second:\n  - a\n  - b\n"
    assert node_line(text, "queries", "second") == 4
    assert node_line(text, "queries", "second", 1) == 6
