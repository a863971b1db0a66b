"""The folder of files the user owns (default `.rerank-tui/` in the working directory)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rerank_tui.session.history import QueryHistory
from rerank_tui.session.labels import LabelStore
from rerank_tui.session.presets import PresetStore
from rerank_tui.session.query_set import QuerySet, QuerySetFile
from rerank_tui.session.resume import ResumeState
from rerank_tui.session.store import WorkspaceFileError, locked, remove_stray_temps
from rerank_tui.session.tries import TryLog

if TYPE_CHECKING:
    from rerank_tui.session.suggestions import SuggestionStore

DEFAULT_WORKSPACE = ".rerank-tui"


@dataclass
class Workspace:
    """Labels, presets, query history, tries and the query set, each loaded independently.

    A file that fails to load is reported in `problems` and replaced by an empty *read-only*
    stand-in: the app keeps working, and the broken file is never overwritten.
    """

    root: Path
    labels: LabelStore
    presets: PresetStore
    history: QueryHistory
    tries: TryLog
    queries: QuerySetFile
    resume: ResumeState
    problems: list[WorkspaceFileError] = field(default_factory=list)
    _suggestions: SuggestionStore | None = field(default=None, repr=False)
    _suggestions_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, root: str | Path = DEFAULT_WORKSPACE) -> Workspace:
        root = Path(root)
        problems: list[WorkspaceFileError] = []

        def load(store_class, name):
            path = root / name
            try:
                if root.is_dir() and store_class is not LabelStore:
                    with locked(path):
                        remove_stray_temps(path)
                return store_class.load(path)
            except WorkspaceFileError as exc:
                problems.append(exc)
                return store_class.read_only_stand_in(path)

        return cls(
            root,
            load(LabelStore, "labels.yaml"),
            load(PresetStore, "presets.yaml"),
            load(QueryHistory, "history.yaml"),
            load(TryLog, "tries.yaml"),
            load(QuerySetFile, "queries.yaml"),
            load(ResumeState, "state.yaml"),
            problems,
        )

    def query_set(self) -> QuerySet:
        """queries.yaml's queries, then every labeled query it does not list (see query_set.py)."""
        return QuerySet.of(self.queries, (q for q, labels in self.labels.queries.items() if labels))

    @property
    def suggestions(self) -> SuggestionStore:
        """The judge's suggested grades (suggestions.jsonl), read on first use: the first frame
        never waits for them. A file that fails to load is reported in `problems` and stands
        in read-only and empty, like the other files."""
        with self._suggestions_lock:
            if self._suggestions is None:
                from rerank_tui.session.suggestions import SuggestionStore, suggestions_path

                path = suggestions_path(self.root)
                try:
                    self._suggestions = SuggestionStore.load(path)
                except WorkspaceFileError as exc:
                    self.problems.append(exc)
                    self._suggestions = SuggestionStore.read_only_stand_in(path)
            return self._suggestions

    @property
    def loaded_suggestions(self) -> SuggestionStore | None:
        """The suggestions when they have been read (None before: never waits for the file)."""
        return self._suggestions

    def close(self) -> None:
        """Finish pending label writes (quick: a few appends at most)."""
        self.labels.close()
