"""Recent queries, most recent last, saved to the workspace's `history.yaml`."""

from __future__ import annotations

from pathlib import Path

from rerank_tui.session.store import WorkspaceFileError, atomic_write_text, dump_yaml, load_yaml

MAX_ENTRIES = 500


class QueryHistory:
    def __init__(self, path: Path, entries: list[str] | None = None, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.entries: list[str] = entries or []

    @classmethod
    def load(cls, path: Path) -> QueryHistory:
        data = load_yaml(path)
        if data is None:
            return cls(path)
        queries = data.get("queries") if isinstance(data, dict) else None
        if not isinstance(queries, list):
            raise WorkspaceFileError(path, "expected `queries:` followed by a list", 1)
        return cls(path, [str(q) for q in queries if str(q).strip()][-MAX_ENTRIES:])

    def add(self, query: str) -> None:
        """Remember `query` as the most recent one (moved to the end if already known) and save."""
        query = query.strip()
        if not query or (self.entries and self.entries[-1] == query):
            return
        self.entries = [q for q in self.entries if q != query][-(MAX_ENTRIES - 1) :] + [query]
        if not self.read_only:
            atomic_write_text(self.path, dump_yaml({"version": 1, "queries": self.entries}))

    def recent(self, n: int = 50) -> list[str]:
        """Most recent first."""
        return self.entries[::-1][:n]
