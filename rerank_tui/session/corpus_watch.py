"""Notice the corpus changing on disk while the app runs.

`watchfiles` (Rust `notify`: inotify, FSEvents, ReadDirectoryChangesW; polling where none
works) reports changed paths in batches: an editor's save (write a temporary file, rename it
over the old one) or a `git checkout` of a hundred files arrives as one batch after
`debounce_ms` of quiet. Paths the corpus walk ignores are dropped here, so the app's own
workspace (`./.rerank-tui/` when the corpus is `.`), `.git/` and editor swap files never cause
a refresh; a `.gitignore` is kept, since it decides which files are documents. For a JSONL file
its folder is watched and only the file itself counts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__"})  # as corpus/walk.py skips them
DEBOUNCE_MS = 300


def counts(path: Path, root: Path) -> bool:
    """Whether a change at `path` can change the corpus under `root` (a folder)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if not parts:
        return False
    *folders, name = parts
    if any(p.startswith(".") or p in SKIPPED_FOLDERS for p in folders):
        return False
    return name == ".gitignore" or not name.startswith(".") and not name.endswith("~")


def corpus_changes(source: str | Path, stop: threading.Event, *, debounce_ms: int = DEBOUNCE_MS,
                   force_polling: bool | None = None) -> Iterator[set[Path]]:
    """Batches of changed paths under `source` (a folder, or a JSONL file), until `stop` is set.

    Paths are absolute, resolved through the corpus root; a deleted file is reported too.
    """
    from watchfiles import watch  # imported when the app watches, not at start

    source = Path(source).resolve()
    single = source if source.is_file() else None
    root = source.parent if single is not None else source
    for changes in watch(root, watch_filter=None, debounce=debounce_ms, stop_event=stop, raise_interrupt=False,
                         rust_timeout=1000, yield_on_timeout=False, force_polling=force_polling,
                         ignore_permission_denied=True):
        paths = {Path(p) for _, p in changes}
        if single is not None:
            paths = {p for p in paths if p == single}
        else:
            paths = {p for p in paths if counts(p, root)}
        if paths:
            yield paths


def describe_refresh(result) -> str:
    """What a refresh (`recall.refresh.RefreshResult`) did, for the header:
    "1 file changed, 2 added · +14 −9 passages · 0.31 s", or "rebuilt (why) · 2.4 s"."""
    if result.full_rebuild:
        return f"rebuilt ({result.reason}) · {result.seconds:.1f} s"
    parts = []
    for files, what in ((result.files_changed, "changed"), (result.files_added, "added"), (result.files_removed, "removed")):
        if files:
            parts.append(f"{len(files)} {what}")
    files = sum(len(f) for f in (result.files_changed, result.files_added, result.files_removed))
    head = f"{files} file{'s' if files != 1 else ''}: " + ", ".join(parts)
    return f"{head} · +{result.passages_added} −{result.passages_removed} passages · {result.seconds:.2f} s"
