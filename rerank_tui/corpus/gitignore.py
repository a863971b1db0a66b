"""Which entries `.gitignore` files exclude, as git decides (matching by `pathspec.GitIgnoreSpec`).

Scope (see `walk`):
- `.gitignore` files at and below the corpus root always apply, repository or not: a
  `.gitignore` says "not content" (tools mark their output with one holding `*`: meson build
  folders, uv and Python 3.13 virtual environments, pytest and mypy caches), and a checkout
  copied or unpacked without its `.git` then indexes the same as the checkout.
- When the root lies inside a git checkout (a `.git` folder or file at or above it), that
  repository's `.git/info/exclude` and the `.gitignore` files between its top and the root
  apply too, unless the root is itself ignored by them (a home folder tracked as a dotfiles
  repository with `*` in its `.gitignore` must not hide `~/notes` from a user who asks for it).
- A folder below the root holding `.git` is a repository of its own: rules from above it
  stop applying, its `info/exclude` and its own `.gitignore` files start.

Semantics as git: patterns are relative to the folder of their file; in one file the last
matching pattern wins (`!` re-includes); a deeper file wins over a shallower one, and
`info/exclude` loses to every `.gitignore`; `dir/` matches folders only; an ignored folder is
not entered, so nothing below it can be re-included. Not applied: git's global
`core.excludesFile` (the index should not depend on who builds it) and `core.ignoreCase`.

A `.gitignore` that cannot be used is reported (a `Skipped` for the file itself), never fatal:
unreadable or not a regular file, over `MAX_IGNORE_FILE_BYTES` or `MAX_IGNORE_PATTERNS`, or
binary: the whole file is not applied; an invalid pattern line (e.g. a trailing backslash): that line is dropped, the rest
apply.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import cast

from pathspec import GitIgnoreSpec

from rerank_tui.corpus.sniff import binary_reason

IGNORE_FILE = ".gitignore"
MAX_IGNORE_FILE_BYTES = 4 * 2**20  # git itself refuses ones over 100 MiB; real ones are KiB
# Compiling costs about 0.15 ms a pattern and matching grows with the count: a generated
# .gitignore of 100k lines would stall the walk for tens of seconds. Real ones have hundreds.
MAX_IGNORE_PATTERNS = 10_000
_NO_SEPARATORS = ()  # paths given to pathspec already use "/" (and a "\\" in a name is a name)


@dataclass(frozen=True, slots=True)
class Problem:
    """An ignore file that is (partly) not applied, and why: the walk reports it as `Skipped`."""

    source: str  # the file, relative to the walk's root (raw, not encoded)
    reason: str  # one of SKIP_REASONS
    detail: str


@dataclass(frozen=True, slots=True)
class Rules:
    """The patterns of one ignore file, placed relative to the walk's root."""

    source: str  # the file, relative to the root: ".gitignore", "docs/.gitignore", "../.git/info/exclude"
    strip: int  # leading characters of a walk path to drop (the file's folder below the root) ...
    prefix: str  # ... then what to put in front (the root's path below the file's folder)
    spec: GitIgnoreSpec
    quick: re.Pattern | None = field(init=False, default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "quick", _any_pattern(self.spec))

    def check(self, raw_rel: str, is_dir: bool) -> tuple[bool | None, str]:
        """(True: ignored, False: re-included by `!`, None: no pattern matched), and the pattern."""
        path = self.prefix + raw_rel[self.strip :] + ("/" if is_dir else "")
        if self.quick is not None and self.quick.search(path) is None:
            return None, ""  # the common case, answered by one regex instead of one per pattern
        result = self.spec.check_file(path, _NO_SEPARATORS)
        if result.include is None or result.index is None:  # both None together: no match
            return None, ""
        return result.include, cast(str, self.spec.patterns[result.index].pattern)  # built from str lines


Chain = tuple[Rules, ...]  # outermost (lowest precedence) first
_GROUP = re.compile(r"\(\?P<\w+>")
_ANY_FOLDER = "^(?:.+/)?"


def _any_pattern(spec: GitIgnoreSpec) -> re.Pattern | None:
    """One regex that matches a path wherever any of the spec's patterns does.

    pathspec's pure-Python backend tries every pattern in turn (about 20 µs a path for GitHub's
    Python template); most paths match no pattern, and this alternation says so in C. The spec
    itself still decides whenever something matches. None when it cannot be built (pattern
    internals unlike pathspec 0.12-1.x's `re.Pattern` regexes): every path then goes to the spec.
    """
    try:
        # pathspec types `regex` Optional; it is None only with `include` None (a None would raise below).
        parts = [_GROUP.sub("(?:", p.regex.pattern) for p in spec.patterns if p.include is not None]  # type: ignore[union-attr]
    except (AttributeError, TypeError):
        return None
    # Most patterns have no inner slash: "^(?:.+/)?NAME...", i.e. NAME at the start or after a
    # "/". Said once for all of them, the regex engine tries them at those places only.
    anywhere: list[str] = []
    alternatives: list[str] = []
    for part in parts:
        rest = part[len(_ANY_FOLDER) :]
        if part.startswith(_ANY_FOLDER) and not _top_level_bar(rest):
            anywhere.append(f"(?:{rest})")
        else:
            alternatives.append(f"(?:{part})")
    if anywhere:
        alternatives.append("(?:^|(?<=/))(?:" + "|".join(anywhere) + ")")
    try:
        return re.compile("|".join(alternatives) or "(?!)")
    except (AttributeError, re.error, TypeError, RecursionError, OverflowError):
        return None


def _top_level_bar(regex: str) -> bool:
    """Whether `regex` has a "|" outside any group (then its prefix cannot be factored out)."""
    depth, in_class, escaped = 0, False, False
    for char in regex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def match(chain: Chain, raw_rel: str, is_dir: bool) -> str | None:
    """Why the walk path `raw_rel` ("/"-separated, relative to the root) is ignored, or None."""
    for rules in reversed(chain):  # the deepest file with an opinion decides
        ignored, pattern = rules.check(raw_rel, is_dir)
        if ignored is not None:
            return f"{rules.source}: {pattern}" if ignored else None
    return None


def load(path: str, source: str, *, missing_ok: bool = False) -> tuple[GitIgnoreSpec | None, list[Problem]]:
    """Compile one ignore file: (None, []) when it has no patterns, (None, [why]) when unusable."""

    def problem(reason: str, detail: str) -> list[Problem]:
        return [Problem(source, reason, f"not applied: {detail}")]

    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None, [] if missing_ok else problem("unreadable", "dangling symbolic link")
    except OSError as exc:
        return None, problem("unreadable", exc.strerror or str(exc))
    if not stat.S_ISREG(st.st_mode):  # never open a FIFO: it would block the walk
        return None, problem("not a regular file", "a folder" if stat.S_ISDIR(st.st_mode) else "a special file")
    if st.st_size > MAX_IGNORE_FILE_BYTES:
        return None, problem("too large", f"{st.st_size} bytes, limit {MAX_IGNORE_FILE_BYTES}")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_IGNORE_FILE_BYTES + 1)
    except OSError as exc:
        return None, problem("unreadable", exc.strerror or str(exc))
    if len(data) > MAX_IGNORE_FILE_BYTES:
        return None, problem("too large", f"over {MAX_IGNORE_FILE_BYTES} bytes")
    why = binary_reason(data)
    if why is not None:
        return None, problem("binary", why)
    # Git reads bytes; file names reach the walk as os.fsdecode gives them (undecodable bytes as
    # lone surrogates), so decoding the same way lets such a pattern match such a name.
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    lines = [(n, line.removesuffix("\r")) for n, line in enumerate(text.split("\n"), start=1)]
    patterns = [line for _, line in lines if line and not line.startswith("#")]
    if not patterns:
        return None, []
    if len(patterns) > MAX_IGNORE_PATTERNS:
        return None, problem("too large", f"{len(patterns)} patterns, limit {MAX_IGNORE_PATTERNS}")
    try:
        return GitIgnoreSpec.from_lines(patterns), []
    except Exception:  # noqa: BLE001 - pathspec raises ValueError subclasses, re.error for some ranges
        pass
    good: list[str] = []
    problems: list[Problem] = []
    for number, line in lines:
        if not line or line.startswith("#"):
            continue
        try:
            GitIgnoreSpec.from_lines([line])
        except Exception:  # noqa: BLE001
            problems.append(Problem(source, "unreadable", f"line {number}: invalid pattern {line!r} not applied"))
        else:
            good.append(line)
    return (GitIgnoreSpec.from_lines(good) if good else None), problems


# -- repositories ---------------------------------------------------------------------------


def repository_top(folder: str) -> str | None:
    """The nearest folder at or above `folder` holding `.git` (a folder, or a worktree's file)."""
    here = os.path.abspath(folder)
    while True:
        if os.path.lexists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def git_dir(top: str) -> str | None:
    """The repository's common git folder (where `info/exclude` lives), or None."""
    dotgit = os.path.join(top, ".git")
    try:
        if os.path.isdir(dotgit):
            found = dotgit
        else:  # a linked worktree or a submodule: the file says "gitdir: <path>"
            with open(dotgit, "rb") as fh:
                line = fh.read(4096).decode("utf-8", "surrogateescape").strip()
            if not line.startswith("gitdir:"):
                return None
            found = os.path.join(top, line[len("gitdir:") :].strip())
        common = os.path.join(found, "commondir")  # a linked worktree shares the main exclude
        if os.path.isfile(common):
            with open(common, "rb") as fh:
                found = os.path.join(found, fh.read(4096).decode("utf-8", "surrogateescape").strip())
        return found
    except (OSError, ValueError):
        return None


def exclude_file(top: str) -> str | None:
    found = git_dir(top)
    return None if found is None else os.path.join(found, "info", "exclude")


def outer_chain(root: str) -> tuple[Chain, list[Problem]]:
    """The rules reaching `root` from the repository it lies in: `info/exclude` and the
    `.gitignore` files from the repository's top down to the root's parent. Empty outside a
    repository, and when the root lies in a folder those rules ignore."""
    root = os.path.abspath(root)
    top = repository_top(root)
    if top is None:
        return (), []
    below = os.path.relpath(root, top).replace(os.sep, "/")
    parts = [] if below == "." else below.split("/")
    below = "".join(part + "/" for part in parts)  # the root's path below the top
    loaded: list[tuple[str, str, GitIgnoreSpec]] = []  # (folder below the top, source, spec)
    problems: list[Problem] = []
    exclude = exclude_file(top)
    if exclude is not None:
        spec, found = load(exclude, relative(exclude, root), missing_ok=True)
        problems += found
        if spec is not None:
            loaded.append(("", relative(exclude, root), spec))
    here = ""
    folder = top
    for part in parts:
        path = os.path.join(folder, IGNORE_FILE)
        if os.path.lexists(path):
            source = relative(path, root)
            spec, found = load(path, source)
            problems += found
            if spec is not None:
                loaded.append((here, source, spec))
        chain = tuple(Rules(source, 0, here[len(at) :], spec) for at, source, spec in loaded)
        if match(chain, part, True) is not None:  # the root lies in an ignored folder:
            return (), []  # asked for explicitly, it is not governed by the repository's rules
        here += part + "/"
        folder = os.path.join(folder, part)
    return tuple(Rules(source, 0, below[len(at) :], spec) for at, source, spec in loaded), problems


def relative(path: str, root: str) -> str:
    """`path` relative to `root`, "/"-separated (unchanged when on another drive)."""
    try:
        return os.path.relpath(path, root).replace(os.sep, "/")
    except ValueError:  # another drive (Windows)
        return path
