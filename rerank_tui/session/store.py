"""Reading and writing the files the user owns, safely, also with two writers.

- Writes are atomic: a temporary file in the same folder, flushed and fsynced, then renamed over
  the target (and the folder fsynced), so a crash leaves either the old file or the new one,
  never a truncated one. Temp files an interrupted save left behind are removed at the next open.
- Every change is made under an advisory lock (`filelock`, a hidden `.NAME.lock` beside the
  file): two app instances, or `import` while the app is open, read-merge-write in turn.
- A file that fails to parse raises `WorkspaceFileError` naming the file and line, and is never
  overwritten by the caller (the stores turn read-only).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from filelock import FileLock, Timeout

from rerank_tui.session import safe_yaml

LOCK_TIMEOUT_S = 10.0


class WorkspaceFileError(Exception):
    """A user file that cannot be read, understood or written; the message names the file and line."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


class WorkspaceBusy(WorkspaceFileError):
    """Another writer held the file's lock too long; nothing is wrong with the file."""


# -- atomic writes and the lock -----------------------------------------------------------------


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def file_lock(path: Path) -> FileLock:
    """The advisory lock every writer of `path` holds while it reads, merges and writes."""
    path = Path(path)
    return FileLock(str(path.parent / f".{path.name}.lock"), timeout=LOCK_TIMEOUT_S)


class locked:
    """`with locked(path):` — the file's lock, or a `WorkspaceFileError` when it stays busy."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = file_lock(self.path)

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            raise WorkspaceBusy(
                self.path, f"busy: another rerank-tui held its lock for over {LOCK_TIMEOUT_S:g} s; not saved"
            ) from None
        except OSError as exc:
            raise WorkspaceFileError(self.path, f"cannot lock: {exc.strerror or exc}") from None
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()


def remove_stray_temps(path: Path) -> list[Path]:
    """Delete temp files an interrupted save of `path` left behind (call with its lock held)."""
    path = Path(path)
    removed = []
    for stray in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            stray.unlink()
            removed.append(stray)
        except OSError:
            pass
    return removed


@dataclass(frozen=True)
class Signature:
    """What tells whether another writer replaced a file since we read it."""

    inode: int
    size: int
    mtime_ns: int


def signature(path: Path) -> Signature | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return Signature(st.st_ino, st.st_size, st.st_mtime_ns)


# -- YAML ---------------------------------------------------------------------------------------


def dump_yaml(data) -> str:
    return safe_yaml.dump(data)


@dataclass
class YamlDocument:
    """A parsed user file: the data, and the text kept to find lines only when there is an error."""

    path: Path
    text: str
    data: object

    def error(self, message: str, *keys: str | int) -> WorkspaceFileError:
        """An error at the node reached by `keys` (mapping keys / list indexes from the top)."""
        return WorkspaceFileError(self.path, message, safe_yaml.node_line(self.text, *keys) if keys else 1)


def read_text(path: Path) -> str | None:
    """The file as UTF-8 text; None if it does not exist. Errors name the file (and byte)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise WorkspaceFileError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise WorkspaceFileError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise WorkspaceFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})", line) from None


def parse_yaml(path: Path, text: str) -> YamlDocument:
    try:
        data = safe_yaml.parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise WorkspaceFileError(path, problem, line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise WorkspaceFileError(path, f"character U+{code:04X} is not allowed in YAML (a binary file?)", line) from None
    except RecursionError:
        raise WorkspaceFileError(path, f"nested too deeply (at most {safe_yaml.MAX_DEPTH} levels)") from None
    except yaml.YAMLError as exc:
        raise WorkspaceFileError(path, f"invalid YAML: {exc}") from None
    return YamlDocument(Path(path), text, data)


def read_yaml(path: Path) -> YamlDocument | None:
    """Read and parse a user file; None if it does not exist."""
    text = read_text(path)
    return None if text is None else parse_yaml(path, text)


def load_yaml(path: Path):
    """The data of a user file; None if it does not exist or holds nothing."""
    document = read_yaml(path)
    return None if document is None else document.data
