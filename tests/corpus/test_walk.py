"""Which entries a walk yields, reports or ignores; ids from relative paths."""

import os
from urllib.parse import unquote_to_bytes

import pytest

from rerank_tui.corpus.model import Skipped
from rerank_tui.corpus.walk import FileEntry, display_path, encode_path, walk


def rels(root):
    return [i.rel for i in walk(root) if isinstance(i, FileEntry)]


def reports(root):
    return {i.path: i.reason for i in walk(root) if isinstance(i, Skipped)}


@pytest.mark.parametrize(
    "raw, encoded",
    [
        ("a/b.md", "a/b.md"),
        ("my notes.md", "my%20notes.md"),
        ("new\nline.md", "new%0Aline.md"),
        ("tab\there", "tab%09here"),
        ("100%.md", "100%25.md"),
        ("c#.md", "c%23.md"),
        ("数据/加载.md", "数据/加载.md"),
        ("zero\u200bwidth", "zero%E2%80%8Bwidth"),
        ("rtl\u202eexe.md", "rtl%E2%80%AEexe.md"),
        ("ideo\u3000space", "ideo%E3%80%80space"),
        (os.fsdecode(b"bad\xffname.txt"), "bad%FFname.txt"),
    ],
)
def test_encode_path(raw, encoded):
    assert encode_path(raw) == encoded
    assert unquote_to_bytes(encoded) == os.fsencode(raw)  # reversible to the file-name bytes
    assert not any(c.isspace() for c in encoded)
    encoded.encode("utf-8")  # valid UTF-8 (no surrogates)


def test_display_path_escapes_controls_but_keeps_spaces():
    assert display_path("/tmp/my notes") == "/tmp/my notes"
    assert display_path("/tmp/a\nb\x1b[31m") == "/tmp/a%0Ab%1B[31m"
    assert display_path(os.fsdecode(b"/tmp/\xff")) == "/tmp/%FF"


def test_sorted_depth_first_and_skip_rules(tmp_path):
    for name in ("b.md", "a/z.md", "a/b/c.md", "c.md", ".hidden.md", ".git/config", ".cache/x.md",
                 "node_modules/pkg/index.js", "__pycache__/m.pyc", "env/pyvenv.cfg", "env/lib/site.py",
                 "deep/__pycache__/x.py"):  # fmt: skip
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    assert rels(tmp_path) == ["a/b/c.md", "a/z.md", "b.md", "c.md"]
    assert reports(tmp_path) == {}  # skipped folders and hidden files are silent


def test_file_entries_carry_stat_data(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    (entry,) = walk(tmp_path)
    assert entry.size == 5 and entry.mtime_ns == os.stat(tmp_path / "a.txt").st_mtime_ns
    assert entry.name == "a.txt" and os.path.samefile(entry.path, tmp_path / "a.txt")


def test_symlink_back_to_an_ancestor_is_a_loop(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("x")
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    assert rels(tmp_path) == ["sub/a.md"]
    assert reports(tmp_path) == {"sub/up": "symlink loop"}


def test_self_referencing_link_is_a_loop(tmp_path):
    (tmp_path / "me").symlink_to(tmp_path / "me")
    assert reports(tmp_path) == {"me": "symlink loop"}


def test_a_folder_reached_twice_is_walked_once(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.md").write_text("x")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert rels(tmp_path) == ["alias/a.md"]  # first in sorted order wins; not a loop, not reported
    assert reports(tmp_path) == {}


def test_file_symlinks_are_followed(tmp_path):
    (tmp_path / "real.md").write_text("x")
    (tmp_path / "link.md").symlink_to(tmp_path / "real.md")
    assert rels(tmp_path) == ["link.md", "real.md"]


def test_dangling_link_and_fifo_are_reported(tmp_path):
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "pipe")
    assert reports(tmp_path) == {"dangling": "unreadable", "pipe": "not a regular file"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_is_reported(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.md").write_text("x")
    locked.chmod(0)
    try:
        assert reports(tmp_path) == {"locked": "unreadable"}
    finally:
        locked.chmod(0o755)


def test_non_utf8_and_odd_names_get_encoded_ids(tmp_path):
    root = os.fsencode(str(tmp_path))
    for name in (b"bad\xffname.txt", b"my notes.md", b"new\nline.md"):
        with open(os.path.join(root, name), "wb") as fh:
            fh.write(b"x")
    assert sorted(rels(tmp_path)) == ["bad%FFname.txt", "my%20notes.md", "new%0Aline.md"]


# -- folder identity without inode numbers (Windows) ---------------------------------------


class _NoInode:
    """A stat result as Windows' `DirEntry.stat()` gives it: st_ino and st_dev are 0."""

    st_ino = 0
    st_dev = 0

    def __init__(self, st):
        self._st = st

    def __getattr__(self, name):
        return getattr(self._st, name)


class _WindowsEntry:
    def __init__(self, entry):
        self._entry = entry

    def stat(self, **kwargs):
        return _NoInode(self._entry.stat(**kwargs))

    def __getattr__(self, name):
        return getattr(self._entry, name)


@pytest.fixture(params=["windows", "no inodes at all"])
def zero_inodes(request, monkeypatch):
    import rerank_tui.corpus.walk as walk_module

    real_list = walk_module._list
    monkeypatch.setattr(walk_module, "_list", lambda path: [_WindowsEntry(e) for e in real_list(path)])
    if request.param == "no inodes at all":  # a file system without file ids: os.stat has none either
        real_stat = os.stat
        monkeypatch.setattr(os, "stat", lambda *a, **k: _NoInode(real_stat(*a, **k)))
    return request.param


def build_nested(root):
    names = []
    for top in ("guide", "api", "faq"):
        for sub in ("a", "b", "c"):
            for deep in ("x", "y"):
                for n in range(3):
                    names.append(f"{top}/{sub}/{deep}/page{n}.md")
        names.append(f"{top}/index.md")
    names += ["README.md", "CHANGELOG.md"]
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    return sorted(names)


def test_every_file_is_found_when_stat_has_no_inode(tmp_path, zero_inodes):
    import rerank_tui.corpus.walk as walk_module

    expected = build_nested(tmp_path)
    assert len(expected) == 59
    assert walk_module._list(tmp_path)[0].stat().st_ino == 0  # the patch is in effect
    assert sorted(rels(tmp_path)) == expected
    assert reports(tmp_path) == {}


def test_loops_and_aliases_still_end_without_inodes(tmp_path, zero_inodes):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "a.md").write_text("x")
    (tmp_path / "sub" / "deeper" / "b.md").write_text("x")
    (tmp_path / "sub" / "deeper" / "up").symlink_to(tmp_path)
    (tmp_path / "me").symlink_to(tmp_path / "me")
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "c.md").write_text("x")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert rels(tmp_path) == ["alias/c.md", "sub/a.md", "sub/deeper/b.md"]
    assert reports(tmp_path) == {"me": "symlink loop", "sub/deeper/up": "symlink loop"}
