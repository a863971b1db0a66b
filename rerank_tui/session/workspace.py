"""The folder of files the user owns (default `.rerank-tui/` in the working directory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rerank_tui.session.history import QueryHistory
from rerank_tui.session.labels import LabelStore
from rerank_tui.session.presets import BUILTIN_PRESETS, PresetStore
from rerank_tui.session.store import WorkspaceFileError
from rerank_tui.session.tries import TryLog

DEFAULT_WORKSPACE = ".rerank-tui"


@dataclass
class Workspace:
    """Labels, presets, query history and tries, each loaded independently.

    A file that fails to load is reported in `problems` and replaced by an empty *read-only*
    stand-in: the app keeps working, and the broken file is never overwritten.
    """

    root: Path
    labels: LabelStore
    presets: PresetStore
    history: QueryHistory
    tries: TryLog
    problems: list[WorkspaceFileError] = field(default_factory=list)

    @classmethod
    def open(cls, root: str | Path = DEFAULT_WORKSPACE) -> Workspace:
        root = Path(root)
        problems: list[WorkspaceFileError] = []

        def load(loader, path, fallback):
            try:
                return loader(path)
            except WorkspaceFileError as exc:
                problems.append(exc)
                return fallback(path)

        labels = load(LabelStore.load, root / "labels.yaml", lambda p: LabelStore(p, read_only=True))
        presets = load(
            PresetStore.load, root / "presets.yaml", lambda p: PresetStore(p, BUILTIN_PRESETS, False, read_only=True)
        )
        history = load(QueryHistory.load, root / "history.yaml", lambda p: QueryHistory(p, read_only=True))
        tries = load(TryLog.load, root / "tries.yaml", lambda p: TryLog(p, read_only=True))
        return cls(root, labels, presets, history, tries, problems)
