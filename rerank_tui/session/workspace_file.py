"""The base of the small workspace files (presets, history, tries): one set of rules for all.

- Loading: a missing or empty file is an empty state; anything else must be a mapping with an
  optional `version: 1`. Every problem is a `WorkspaceFileError` with the file and line.
- Every change is read-merge-write under the file's lock: when another writer replaced the file
  since we read it, it is read again and the change applied to what is there now, so nobody's
  edit is lost. Top-level keys this app does not know are kept.
- A file that failed to load (or to reload) makes the store read-only: it is never written over.
- A file the user edited by hand (its text is not what the plain dump of its data would be)
  keeps what they wrote: comments above and beside each entry, blank lines, key order,
  indentation and the quoting of what did not change (`round_trip`, ruamel.yaml, imported on
  the first such save only). A file only this app wrote (history, tries) keeps the fast plain
  dump. The kept text is read back with the safe loader and must hold exactly the new data,
  else the plain dump is written: a surprise can cost comments, never content.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from rerank_tui.session.store import (
    Signature,
    WorkspaceFileError,
    YamlDocument,
    atomic_write_text,
    dump_yaml,
    locked,
    read_yaml,
    signature,
)

FORMAT_VERSION = 1
S = TypeVar("S")


class WorkspaceFile(Generic[S]):
    SECTION = ""  # the top-level key holding the state (`presets`, `queries`, `tries`)

    def __init__(self, path: Path, state: S | None = None, *, read_only: bool = False, from_file: bool = False) -> None:
        self.path = Path(path)
        self.state: S = self.empty() if state is None else state
        self.read_only = read_only  # set when the file failed to load: never overwrite it
        self.from_file = from_file  # False: nothing read from or written to the file yet
        self._extra: dict = {}
        self._signature: Signature | None = None
        self._text: str | None = None  # the file as last read or written (None: no file)
        self._data: object = None  # its parsed data, to tell a hand-edited text from the plain dump
        self._plain: bool | None = None  # the text is the plain dump of its data (None: not known yet)

    # -- what each file defines ---------------------------------------------------------------

    @classmethod
    def empty(cls) -> S:
        raise NotImplementedError

    @classmethod
    def parse(cls, document: YamlDocument, section) -> S:
        """The state from the section's raw data; raise `document.error(...)` on bad content."""
        raise NotImplementedError

    def to_section(self, state: S):
        raise NotImplementedError

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path):
        store = cls(path)
        store.state, store.from_file = store._read()
        return store

    @classmethod
    def read_only_stand_in(cls, path: Path):
        return cls(path, read_only=True)

    def _read(self) -> tuple[S, bool]:
        signature_before = signature(self.path)
        document = read_yaml(self.path)
        self._text, self._data, self._plain = (document.text, document.data, None) if document is not None else (None, None, True)
        if document is None or document.data is None:
            self._extra, self._signature = {}, signature_before
            return self.empty(), document is not None
        data = document.data
        if not isinstance(data, dict):
            raise document.error(f"expected a mapping with `version` and `{self.SECTION}`")
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise document.error(f"unsupported version {version!r} (this app reads {FORMAT_VERSION})", "version")
        state = self.parse(document, data.get(self.SECTION))
        self._extra = {k: v for k, v in data.items() if k not in ("version", self.SECTION)}
        self._signature = signature_before
        return state, True

    # -- changing --------------------------------------------------------------------------

    def update(self, change: Callable[[S], S]) -> S:
        """Apply `change` (old state → new state, without mutating the old) and save it."""
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        with locked(self.path):
            if signature(self.path) != self._signature:
                try:
                    self.state, _ = self._read()  # another writer saved since: merge onto theirs
                except WorkspaceFileError:
                    self.read_only = True
                    raise
            new = change(self.state)
            data = {"version": FORMAT_VERSION, self.SECTION: self.to_section(new)} | self._extra
            text, plain = self._render(data)
            atomic_write_text(self.path, text)
            self._signature = signature(self.path)
            self._text, self._data, self._plain = text, data, plain
            self.state, self.from_file = new, True
        return new

    def _render(self, data: dict) -> tuple[str, bool]:
        """(the text to write, whether it is the plain dump): the file as the user wrote it,
        changed to hold `data`, when they edited it by hand; else the plain dump."""
        plain_text = dump_yaml(data)
        if self._text is None or not self._text.strip():
            return plain_text, True
        if self._plain is None:
            self._plain = self._text == dump_yaml(self._data)
        if self._plain:
            return plain_text, True
        from rerank_tui.session.round_trip import MAX_ROUND_TRIP_CHARS, kept_text

        if len(plain_text) > MAX_ROUND_TRIP_CHARS:  # thousands of entries: too slow to keep (about 1 ms each)
            return plain_text, True
        kept = kept_text(self._text, data, self.SECTION)
        return (kept, False) if kept is not None else (plain_text, True)

    def to_yaml(self) -> str:
        return dump_yaml({"version": FORMAT_VERSION, self.SECTION: self.to_section(self.state)} | self._extra)
