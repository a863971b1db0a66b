"""Recent queries, most recent last, saved to the workspace's `history.yaml`."""

from __future__ import annotations

from rerank_tui.session.store import YamlDocument
from rerank_tui.session.workspace_file import WorkspaceFile

MAX_ENTRIES = 500


class QueryHistory(WorkspaceFile[list[str]]):
    SECTION = "queries"

    @classmethod
    def empty(cls) -> list[str]:
        return []

    @classmethod
    def parse(cls, document: YamlDocument, section) -> list[str]:
        if section is None:
            return []
        if not isinstance(section, list):
            raise document.error("expected `queries:` followed by a list", "queries")
        for number, query in enumerate(section):
            if not isinstance(query, (str, int, float)) or isinstance(query, bool):
                raise document.error(f"query {number + 1} is not text", "queries", number)
        return [str(q) for q in section if str(q).strip()][-MAX_ENTRIES:]

    def to_section(self, state: list[str]):
        return state

    @property
    def entries(self) -> list[str]:
        return self.state

    def add(self, query: str) -> None:
        """Remember `query` as the most recent one (moved to the end if already known) and save."""
        query = query.strip()
        if not query or (self.state and self.state[-1] == query):
            return
        self.update(lambda entries: [q for q in entries if q != query][-(MAX_ENTRIES - 1) :] + [query])

    def recent(self, n: int = 50) -> list[str]:
        """Most recent first."""
        return self.state[::-1][:n]
