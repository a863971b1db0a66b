"""Walk a folder: which entries become candidate files, which are reported, which are ignored.

Rules (shared by loading and fingerprinting, so both see the same files):

- Hidden entries (name starting with ".") are ignored silently, files and folders alike; so are
  `node_modules`, `__pycache__` and virtual environments (any folder holding `pyvenv.cfg`).
- `.gitignore` files are honoured as git does (see `gitignore` for the scope: always at and
  below the root, plus the enclosing repository's when the root lies in a checkout). An ignored
  entry is reported as "gitignored", once: an ignored folder is one report and is not entered,
  so a `build/` of 100k files costs one check. A broken `.gitignore` is reported, never fatal.
- Symlinks are followed. Each real directory is entered at most once: a link back to an
  enclosing folder is reported as "symlink loop"; a second way into a folder already walked
  elsewhere is ignored (its files appear once, under the first path in sorted order). A folder
  is known by (st_dev, st_ino) from `os.stat`, or by its resolved path where the file system
  gives no inode number (on Windows `DirEntry.stat()` always reports st_ino 0).
  A dangling link is "unreadable"; FIFOs, sockets and devices are "not a regular file" and are
  never opened.
- Entries are visited depth-first, sorted by name, so passage order is deterministic.

Relative paths are turned into ids with `encode_path`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Hashable, Iterator
from dataclasses import dataclass

from rerank_tui.corpus import gitignore
from rerank_tui.corpus.gitignore import Chain, Problem, Rules
from rerank_tui.corpus.model import Skipped

IGNORED_DIR_NAMES = frozenset({"node_modules", "__pycache__"})

# Characters that must not appear raw in an id: whitespace (Unicode-wide), C0/C1 controls,
# invisible format characters (zero-width, bidi controls, BOM), "%" (the escape itself), "#"
# (the passage separator), and lone surrogates standing for undecodable file-name bytes.
_NEEDS_ESCAPE = re.compile(
    "[\\s\x00-\x1f\x7f-\x9f%#\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the raw byte code - 0xDC00
        return f"%{code - 0xDC00:02X}"
    return "".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))


def encode_path(relative: str) -> str:
    """Make a relative path (as `os.fsdecode` gives it) safe as an id and for display.

    Whitespace, control and invisible format characters, "%" and "#" become `%XX` of their
    UTF-8 bytes; a file-name byte that is not UTF-8 becomes `%XX` of the raw byte. Every other
    character (Chinese names included) stays readable, and separators are "/". The result is
    one token (TREC files), valid UTF-8 (YAML/JSON), and reversible: `my notes.md` →
    `my%20notes.md`, a newline → `%0A`, byte 0xFF → `%FF`, `100%.md` → `100%25.md`.
    """
    if os.sep != "/":
        relative = relative.replace(os.sep, "/")
    if not _NEEDS_ESCAPE.search(relative):
        return relative
    return _NEEDS_ESCAPE.sub(_escape, relative)


def display_path(path: str | os.PathLike) -> str:
    """A path for a one-line message: controls and undecodable bytes escaped, spaces kept."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    return _CONTROL.sub(_escape, text)


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A regular file found by the walk (not read yet)."""

    rel: str  # encoded relative path: the passage id prefix
    path: str  # what to open (may hold surrogate-escaped bytes)
    name: str  # the raw file name
    size: int
    mtime_ns: int


def _is_ignored_dir(entry: os.DirEntry) -> bool:
    return entry.name in IGNORED_DIR_NAMES or os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))


def _list(path: str) -> list[os.DirEntry]:
    with os.scandir(path) as it:
        return sorted(it, key=lambda e: e.name)


def _describe(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _dir_key(path: str, st: os.stat_result) -> Hashable:
    """What identifies a real folder: (st_dev, st_ino), else its resolved path.

    `DirEntry.stat()` on Windows leaves st_ino (and st_dev) 0; `os.stat` then has the real file
    index. Some file systems have none at all: the resolved path stands in (a link back to an
    ancestor resolves to the ancestor's path, so loops still end).
    """
    if st.st_ino:
        return (st.st_dev, st.st_ino)
    try:
        st = os.stat(path)
    except OSError:
        pass
    else:
        if st.st_ino:
            return (st.st_dev, st.st_ino)
    return os.path.normcase(os.path.realpath(path))


def _reports(problems: list[Problem]) -> Iterator[Skipped]:
    for p in problems:
        yield Skipped(encode_path(p.source), p.reason, display_path(p.detail))


def _enter(path: str, raw_prefix: str, children: list[os.DirEntry], chain: Chain, *, nested: bool):
    """The rules for a folder's children: its own `.gitignore` added to the chain (a generator:
    yields reports of ignore files it cannot use, returns the chain)."""
    names = {e.name for e in children if e.name.startswith(".")}
    if nested and ".git" in names:  # a repository of its own: the rules from above stop here
        chain = ()
        exclude = gitignore.exclude_file(path)
        if exclude is not None:
            source = raw_prefix + gitignore.relative(exclude, path)
            spec, problems = gitignore.load(exclude, source, missing_ok=True)
            yield from _reports(problems)
            if spec is not None:
                chain = (Rules(source, len(raw_prefix), "", spec),)
    if gitignore.IGNORE_FILE in names:
        source = raw_prefix + gitignore.IGNORE_FILE
        spec, problems = gitignore.load(os.path.join(path, gitignore.IGNORE_FILE), source)
        yield from _reports(problems)
        if spec is not None:
            chain = (*chain, Rules(source, len(raw_prefix), "", spec))
    return chain


def walk(root: str | os.PathLike, *, use_gitignore: bool = True) -> Iterator[FileEntry | Skipped]:
    """Yield candidate files and reported entries below `root`, depth-first, sorted by name."""
    root = os.fspath(root)
    top = _dir_key(root, os.stat(root))
    try:
        entries = _list(root)
    except OSError as exc:
        yield Skipped(".", "unreadable", exc.strerror or str(exc))
        return
    chain: Chain = ()
    if use_gitignore:
        chain, problems = gitignore.outer_chain(root)
        yield from _reports(problems)
        chain = yield from _enter(root, "", entries, chain, nested=False)
    visited = {top}
    ancestors = {top}
    stack: list[tuple[Iterator[os.DirEntry], str, Hashable, Chain]] = [(iter(entries), "", top, chain)]
    while stack:
        it, prefix, key, chain = stack[-1]
        entry = next(it, None)
        if entry is None:
            stack.pop()
            ancestors.discard(key)
            continue
        name = entry.name
        if name.startswith("."):
            continue
        raw_rel = prefix + name
        if chain:
            try:
                is_dir = entry.is_dir()  # no system call but for symlinks
            except OSError:
                is_dir = False
            if not (is_dir and name in IGNORED_DIR_NAMES):  # those stay silent
                why = gitignore.match(chain, raw_rel, is_dir)
                if why is not None:
                    detail = ("folder, " if is_dir else "") + "by " + display_path(why)
                    yield Skipped(encode_path(raw_rel), "gitignored", detail)
                    continue
        try:
            st = entry.stat()  # follows symlinks
        except OSError as exc:
            rel = encode_path(raw_rel)
            if exc.errno == errno.ELOOP:
                yield Skipped(rel, "symlink loop", exc.strerror or "too many levels of symbolic links")
            elif exc.errno == errno.ENOENT and entry.is_symlink():
                yield Skipped(rel, "unreadable", "dangling symbolic link")
            else:
                yield Skipped(rel, "unreadable", exc.strerror or str(exc))
            continue
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            if _is_ignored_dir(entry):
                continue
            dir_key = _dir_key(entry.path, st)
            if dir_key in ancestors:
                yield Skipped(encode_path(raw_rel), "symlink loop", "links back to an enclosing folder")
                continue
            if dir_key in visited:
                continue
            visited.add(dir_key)
            try:
                children = _list(entry.path)
            except OSError as exc:
                yield Skipped(encode_path(raw_rel), "unreadable", exc.strerror or str(exc))
                continue
            child_chain = chain
            if use_gitignore:
                child_chain = yield from _enter(entry.path, raw_rel + "/", children, chain, nested=True)
            ancestors.add(dir_key)
            stack.append((iter(children), raw_rel + "/", dir_key, child_chain))
        elif stat.S_ISREG(mode):
            yield FileEntry(encode_path(raw_rel), entry.path, name, st.st_size, st.st_mtime_ns)
        else:
            yield Skipped(encode_path(raw_rel), "not a regular file", _describe(mode))
