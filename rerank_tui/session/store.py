"""Reading and writing the YAML files the user owns, safely.

Writes are atomic: a temporary file in the same folder, flushed and fsynced, then renamed over
the target (and the folder fsynced), so a crash leaves either the old file or the new one,
never a truncated one. A file that fails to parse raises `WorkspaceFileError` naming the file
and line, and is never overwritten by the caller (the stores refuse to save over it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml


class WorkspaceFileError(Exception):
    """A user file that cannot be read or understood; the message names the file and line."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


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
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks (readable instructions), keys in insertion order."""


def _str_representer(dumper: yaml.SafeDumper, value: str):
    if "\n" in value and value == value.rstrip("\n ") and not any(c in value for c in "\r\t\x85\u2028\u2029"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def load_yaml(path: Path):
    """Parse a YAML file; None if it does not exist. Errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise WorkspaceFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise WorkspaceFileError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise WorkspaceFileError(path, problem, line) from None
    except yaml.YAMLError as exc:
        raise WorkspaceFileError(path, f"invalid YAML: {exc}") from None


def node_line(path: Path, *keys: str) -> int | None:
    """The line of the mapping key reached by following `keys` from the top (for messages)."""
    try:
        node = yaml.compose(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    line = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return line
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                line, node = k.start_mark.line + 1, v
                break
        else:
            return line
    return line
