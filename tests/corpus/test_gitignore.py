""".gitignore files in the folder walk: git's semantics, scope, hostile ignore files."""

import os
import shutil
import subprocess

import pytest

from rerank_tui.corpus import CorpusOptions, corpus_fingerprint, load_corpus
from rerank_tui.corpus.gitignore import MAX_IGNORE_FILE_BYTES, MAX_IGNORE_PATTERNS, outer_chain, repository_top
from rerank_tui.corpus.model import Skipped
from rerank_tui.corpus.walk import FileEntry, walk


def make(root, *names, text="some words"):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def make_repo(root):
    """What `git init` leaves, written by hand: enough for git and for the walk to see a repo."""
    git = root / ".git"
    for sub in ("objects", "refs/heads", "info"):
        (git / sub).mkdir(parents=True, exist_ok=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = false\n")
    return git


def rels(root, **kw):
    return [i.rel for i in walk(root, **kw) if isinstance(i, FileEntry)]


def ignored(root, **kw):
    return {i.path: i.detail for i in walk(root, **kw) if isinstance(i, Skipped) and i.reason == "gitignored"}


def reports(root):
    return {i.path: (i.reason, i.detail) for i in walk(root) if isinstance(i, Skipped)}


# -- git's semantics ------------------------------------------------------------------------


def test_patterns_negation_directories_and_subfolder_files(tmp_path):
    make_repo(tmp_path)
    make(tmp_path, "a.md", "debug.log", "keep.log", "build/out.md", "docs/build/out.md", "docs/guide.md",
         "docs/notes.tmp", "docs/sub/x.tmp", "docs/sub/important.tmp", "top.md", "docs/top.md",
         "logs/build", "src/build.md")  # fmt: skip
    (tmp_path / ".gitignore").write_text("# comment\n\n*.log\n!keep.log\nbuild/\n/top.md\n")
    (tmp_path / "docs" / ".gitignore").write_text("*.tmp\n")
    (tmp_path / "docs" / "sub" / ".gitignore").write_text("!important.tmp\n")
    assert rels(tmp_path) == [
        "a.md", "docs/guide.md", "docs/sub/important.tmp", "docs/top.md", "keep.log", "logs/build", "src/build.md",
    ]  # fmt: skip
    assert ignored(tmp_path) == {
        "build": "folder, by .gitignore: build/",  # a folder is one report, not one per file
        "debug.log": "by .gitignore: *.log",
        "docs/build": "folder, by .gitignore: build/",  # no slash inside: matches at any depth
        "docs/notes.tmp": "by docs/.gitignore: *.tmp",  # relative to the file's own folder
        "docs/sub/x.tmp": "by docs/.gitignore: *.tmp",
        "top.md": "by .gitignore: /top.md",  # anchored: only at the top
    }


def test_patterns_of_a_subfolder_file_are_relative_to_that_folder(tmp_path):
    make(tmp_path, "docs/api/gen.md", "api/gen.md", "docs/a/api/gen.md")
    (tmp_path / "docs" / ".gitignore").write_text("/api/\n")
    assert rels(tmp_path) == ["api/gen.md", "docs/a/api/gen.md"]


def test_an_ignored_folder_cannot_be_re_included_but_its_contents_can(tmp_path):
    make(tmp_path, "out/keep.md", "out/drop.md", "gen/keep.md", "gen/drop.md")
    (tmp_path / ".gitignore").write_text("out/\n!out/keep.md\ngen/*\n!gen/keep.md\n")
    assert rels(tmp_path) == ["gen/keep.md"]  # as git: a file in an excluded folder stays excluded


def test_info_exclude_applies_and_loses_to_gitignore(tmp_path):
    git = make_repo(tmp_path)
    make(tmp_path, "private.md", "draft.md", "public.md")
    (git / "info" / "exclude").write_text("private.md\ndraft.md\n")
    (tmp_path / ".gitignore").write_text("!draft.md\n")
    assert rels(tmp_path) == ["draft.md", "public.md"]
    assert ignored(tmp_path) == {"private.md": "by .git/info/exclude: private.md"}


def test_a_root_inside_a_checkout_gets_the_repository_rules(tmp_path):
    git = make_repo(tmp_path)
    make(tmp_path, "docs/guide.md", "docs/_build/html/index.html", "docs/notes.bak", "docs/mine.md")
    (tmp_path / ".gitignore").write_text("/docs/_build/\n*.bak\n")
    (git / "info" / "exclude").write_text("docs/mine.md\n")
    docs = tmp_path / "docs"
    assert repository_top(docs) == str(tmp_path)
    assert rels(docs) == ["guide.md"]
    assert ignored(docs) == {
        "_build": "folder, by ../.gitignore: /docs/_build/",
        "mine.md": "by ../.git/info/exclude: docs/mine.md",
        "notes.bak": "by ../.gitignore: *.bak",
    }


def test_a_root_the_repository_ignores_is_not_governed_by_it(tmp_path):
    # A home folder tracked as a dotfiles repository: "*" ignores everything not listed.
    make_repo(tmp_path)
    (tmp_path / ".gitignore").write_text("*\n!.bashrc\n")
    make(tmp_path, "notes/idea.md", "notes/sub/more.md")
    assert outer_chain(tmp_path / "notes") == ((), [])
    assert rels(tmp_path / "notes") == ["idea.md", "sub/more.md"]  # asked for explicitly
    assert rels(tmp_path) == []  # the repository itself: everything is ignored
    assert ignored(tmp_path) == {"notes": "folder, by .gitignore: *"}


def test_gitignore_applies_outside_a_repository_too(tmp_path):
    # Tools mark their own caches with a ".gitignore" of "*" (pytest, mypy, ruff, uv venvs).
    make(tmp_path, "notes.md", "tool-cache/v/cache/lastfailed", "out/page.md")
    (tmp_path / "tool-cache" / ".gitignore").write_text("# Created by a tool automatically.\n*\n")
    (tmp_path / ".gitignore").write_text("out/\n")
    assert repository_top(tmp_path) is None
    assert rels(tmp_path) == ["notes.md"]
    assert set(ignored(tmp_path)) == {"out", "tool-cache/v"}


def test_a_nested_repository_has_its_own_rules(tmp_path):
    make_repo(tmp_path)
    make(tmp_path, "a.txt", "vendored/a.txt", "vendored/b.md", "vendored/c.md", "vendored/secret.txt")
    (tmp_path / ".gitignore").write_text("*.txt\n")
    inner = make_repo(tmp_path / "vendored")
    (inner / "info" / "exclude").write_text("secret.txt\n")
    (tmp_path / "vendored" / ".gitignore").write_text("c.md\n")
    assert rels(tmp_path) == ["vendored/a.txt", "vendored/b.md"]  # the outer "*.txt" stops at it
    assert ignored(tmp_path) == {
        "a.txt": "by .gitignore: *.txt",
        "vendored/c.md": "by vendored/.gitignore: c.md",
        "vendored/secret.txt": "by vendored/.git/info/exclude: secret.txt",
    }


def test_a_worktree_git_file_points_to_the_exclude_file(tmp_path):
    main = make_repo(tmp_path / "main")
    (main / "info" / "exclude").write_text("local.md\n")
    (main / "worktrees" / "wt").mkdir(parents=True)
    (main / "worktrees" / "wt" / "commondir").write_text("../..\n")
    wt = tmp_path / "wt"
    make(wt, "local.md", "shared.md")
    (wt / ".git").write_text(f"gitdir: {main / 'worktrees' / 'wt'}\n")
    assert rels(wt) == ["shared.md"]


def test_gitignore_can_be_turned_off(tmp_path):
    make(tmp_path, "a.md", "b.log")
    (tmp_path / ".gitignore").write_text("*.log\n")
    assert rels(tmp_path, use_gitignore=False) == ["a.md", "b.log"]
    corpus = load_corpus(tmp_path, CorpusOptions(gitignore=False))
    assert corpus.files_read == 2 and corpus.skipped == []


def test_names_git_would_escape(tmp_path):
    make(tmp_path, "#notes.md", "!bang.md", "sp ace.md", "trail.md", "stay.md")
    (tmp_path / ".gitignore").write_text("\\#notes.md\n\\!bang.md\nsp\\ ace.md\ntrail.md   \n")
    assert rels(tmp_path) == ["stay.md"]


def test_undecodable_name_bytes_match_the_same_bytes_in_a_pattern(tmp_path):
    root = os.fsencode(str(tmp_path))
    for name in (b"caf\xe9.md", b"plain.md"):
        with open(os.path.join(root, name), "wb") as fh:
            fh.write(b"x")
    with open(os.path.join(root, b".gitignore"), "wb") as fh:
        fh.write(b"caf\xe9.md\r\n")  # Latin-1 bytes, CRLF line end
    assert rels(tmp_path) == ["plain.md"]
    assert list(ignored(tmp_path)) == ["caf%E9.md"]


# -- reports and the corpus -----------------------------------------------------------------


def test_load_reports_gitignored_by_reason_and_fingerprint_follows_gitignore(tmp_path):
    make(tmp_path, "guide.md", "site/index.html", "debug.log")
    base = corpus_fingerprint(tmp_path)
    (tmp_path / ".gitignore").write_text("site/\n*.log\n")
    corpus = load_corpus(tmp_path)
    assert [p.doc for p in corpus.passages] == ["guide.md"]
    assert corpus.skipped_by_reason() == {"gitignored": 2}
    ignoring = corpus_fingerprint(tmp_path)
    assert ignoring != base
    (tmp_path / "site" / "more.html").write_text("changes inside an ignored folder do not matter")
    assert corpus_fingerprint(tmp_path) == ignoring


def test_an_ignored_folder_is_never_listed(tmp_path, monkeypatch):
    make(tmp_path, "a.md", "vendor/pkg/x.md", "vendor/pkg/y.md")
    (tmp_path / ".gitignore").write_text("vendor/\n")
    listed = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda p: listed.append(os.fspath(p)) or real(p))
    assert rels(tmp_path) == ["a.md"]
    assert not any("vendor" in p for p in listed)


def test_silent_folders_stay_silent_when_also_gitignored(tmp_path):
    make(tmp_path, "a.md", "node_modules/x/index.js")
    (tmp_path / ".gitignore").write_text("node_modules/\n")
    assert reports(tmp_path) == {}


# -- hostile ignore files: reported, never fatal --------------------------------------------


def test_invalid_pattern_lines_are_dropped_and_reported(tmp_path):
    make(tmp_path, "a.log", "b.md", "c.tmp")
    (tmp_path / ".gitignore").write_text("*.log\nbroken\\\n[z-a]\n!\n*.tmp\n")
    assert rels(tmp_path) == ["b.md"]  # the valid lines still apply
    found = [(i.path, i.reason, i.detail) for i in walk(tmp_path) if isinstance(i, Skipped)]
    assert [(path, reason) for path, reason, _ in found] == [
        (".gitignore", "unreadable"), (".gitignore", "unreadable"), (".gitignore", "unreadable"),
        ("a.log", "gitignored"), ("c.tmp", "gitignored"),
    ]  # fmt: skip
    assert found[0][2] == "line 2: invalid pattern 'broken\\\\' not applied"
    assert [detail.split(":")[0] for _, _, detail in found[:3]] == ["line 2", "line 3", "line 4"]


@pytest.mark.parametrize(
    "content, reason",
    [(b"\x00\x01\x02garbage\x00" * 50, "binary"), (b"\x89PNG\r\n\x1a\n" + bytes(40), "binary")],
)
def test_a_binary_gitignore_is_not_applied(tmp_path, content, reason):
    make(tmp_path, "a.md")
    (tmp_path / ".gitignore").write_bytes(content)
    assert rels(tmp_path) == ["a.md"]
    assert reports(tmp_path)[".gitignore"][0] == reason


def test_oversized_gitignore_is_not_read(tmp_path):
    make(tmp_path, "a.md")
    with open(tmp_path / ".gitignore", "wb") as fh:
        fh.truncate(MAX_IGNORE_FILE_BYTES + 1)
    assert rels(tmp_path) == ["a.md"]
    assert reports(tmp_path) == {".gitignore": ("too large", f"not applied: {MAX_IGNORE_FILE_BYTES + 1} bytes, limit {MAX_IGNORE_FILE_BYTES}")}


def test_a_gitignore_with_too_many_patterns_is_not_compiled(tmp_path):
    make(tmp_path, "a.md", "file1.txt")
    (tmp_path / ".gitignore").write_text("".join(f"file{i}.txt\n" for i in range(MAX_IGNORE_PATTERNS + 1)))
    assert rels(tmp_path) == ["a.md", "file1.txt"]
    assert reports(tmp_path) == {".gitignore": ("too large", f"not applied: {MAX_IGNORE_PATTERNS + 1} patterns, limit {MAX_IGNORE_PATTERNS}")}


def test_fifo_folder_and_dangling_gitignores_do_not_block(tmp_path):
    make(tmp_path, "pipe/a.md", "dir/a.md", "dangling/a.md")
    os.mkfifo(tmp_path / "pipe" / ".gitignore")  # opening it would block the walk forever
    (tmp_path / "dir" / ".gitignore").mkdir()
    (tmp_path / "dangling" / ".gitignore").symlink_to(tmp_path / "nowhere")
    assert rels(tmp_path) == ["dangling/a.md", "dir/a.md", "pipe/a.md"]
    assert {k: v[0] for k, v in reports(tmp_path).items()} == {
        "pipe/.gitignore": "not a regular file",
        "dir/.gitignore": "not a regular file",
        "dangling/.gitignore": "unreadable",
    }


def test_unreadable_gitignore_is_reported(tmp_path, monkeypatch):
    make(tmp_path, "a.md", "b.log")
    (tmp_path / ".gitignore").write_text("*.log\n")
    real_open = open

    def denied(path, *args, **kwargs):
        if os.fspath(path).endswith(".gitignore"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("rerank_tui.corpus.gitignore.open", denied, raising=False)
    assert rels(tmp_path) == ["a.md", "b.log"]
    assert reports(tmp_path) == {".gitignore": ("unreadable", "not applied: Permission denied")}


def test_empty_and_comment_only_gitignores_are_fine(tmp_path):
    make(tmp_path, "a.md", "sub/b.md")
    (tmp_path / ".gitignore").write_text("")
    (tmp_path / "sub" / ".gitignore").write_bytes(b"\xef\xbb\xbf# only a comment\r\n\r\n")
    assert rels(tmp_path) == ["a.md", "sub/b.md"]
    assert reports(tmp_path) == {}


# -- git itself as the oracle ---------------------------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("below", ["", "docs", "src"])
def test_same_files_as_git_ls_files(tmp_path, below):
    root = tmp_path / "repo"
    git = make_repo(root)
    names = ["README.md", "a.log", "keep.log", "build/x.md", "src/build/y.md", "src/main.py",
             "src/gen/a.py", "src/gen/keep.py", "docs/api/x.md", "docs/guide/api/y.md",
             "docs/_build/z.html", "docs/notes.tmp", "docs/deep/er/notes.tmp", "docs/deep/er/keep.tmp",
             "data/raw/x.csv", "data/raw/.keep", "data/clean.csv", "lib/a.txt", "lib/b/a.txt",
             "x/y/z/doc.md", "x/doc.md", "one.bak", "two.bak~", "space name.md", "foo/bar/baz.md"]  # fmt: skip
    make(root, *names)
    (root / ".gitignore").write_text(
        "*.log\n!keep.log\nbuild/\nsrc/gen/*\n!src/gen/keep.py\n/docs/_build\n*.bak\n"
        "data/raw/\n**/z/\nfoo/**/baz.md\nlib/*.txt\n"
    )
    (root / "docs" / ".gitignore").write_text("/api/\n*.tmp\n")
    (root / "docs" / "deep" / "er").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "deep" / "er" / ".gitignore").write_text("!keep.tmp\n")
    (git / "info" / "exclude").write_text("two.bak~\n")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}  # fmt: skip
    out = subprocess.run(
        ["git", "-c", "core.quotePath=false", "ls-files", "--others", "--exclude-standard", "-z"],
        cwd=root / below, env=env, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    from_git = sorted(p for p in out.split("\0") if p and not p.split("/")[-1].startswith("."))
    assert from_git  # the oracle saw files at all
    ours = sorted(os.path.relpath(i.path, root / below) for i in walk(root / below) if isinstance(i, FileEntry))
    assert ours == from_git


def test_the_one_regex_shortcut_never_hides_a_match():
    from pathspec import GitIgnoreSpec

    from rerank_tui.corpus.gitignore import Rules

    patterns = ["*.log", "!keep.log", "build/", "/top", "docs/_build/", "**/gen/**", "a/**/b", "*.py[cod]",
                "[ab]?c", "x\\ y", "\\#h", "dir/*.md", "**/", "foo/**", "*~", "lib", "/site", "n*/x/"]  # fmt: skip
    spec = GitIgnoreSpec.from_lines(patterns)
    rules = Rules(".gitignore", 0, "", spec)
    assert rules.quick is not None
    names = ["a.log", "keep.log", "build", "top", "docs", "_build", "gen", "a", "b", "x.pyc", "abc", "bbc",
             "x y", "#h", "dir", "r.md", "foo", "q~", "lib", "site", "n1", "x", "plain.md"]  # fmt: skip
    paths = [n for n in names] + [f"{m}/{n}" for m in names for n in names]
    paths += [f"{m}/{n}/{o}" for m in ("a", "docs", "n1", "dir") for n in names for o in ("b", "x", "r.md")]
    checked = 0
    for path in paths:
        for is_dir in (False, True):
            p = path + ("/" if is_dir else "")
            if spec.check_file(p).include is not None:
                checked += 1
                assert rules.quick.search(p), p
            assert rules.check(path, is_dir) == (
                (spec.check_file(p).include, spec.patterns[spec.check_file(p).index].pattern)
                if spec.check_file(p).include is not None
                else (None, "")
            )
    assert checked > 100
