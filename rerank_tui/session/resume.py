"""Where the user left off, so a restart comes back to it: the last query and preset.

    # state.yaml
    version: 1
    last:
      query: pytorch dataloader num_workers 0
      preset: domain-expert
"""

from __future__ import annotations

from rerank_tui.session.store import YamlDocument
from rerank_tui.session.workspace_file import WorkspaceFile

_KEYS = ("query", "preset")


class ResumeState(WorkspaceFile[dict[str, str]]):
    SECTION = "last"

    @classmethod
    def empty(cls) -> dict[str, str]:
        return {}

    @classmethod
    def parse(cls, document: YamlDocument, section) -> dict[str, str]:
        if section is None:
            return {}
        if not isinstance(section, dict):
            raise document.error("`last` must be a mapping with `query` and `preset`", "last")
        state = {}
        for key in _KEYS:
            value = section.get(key)
            if value is not None and not isinstance(value, str):
                raise document.error(f"`{key}` must be text, not {value!r}", "last", key)
            if value:
                state[key] = value
        return state

    def to_section(self, state: dict[str, str]):
        return {k: state[k] for k in _KEYS if state.get(k)}

    @property
    def query(self) -> str:
        return self.state.get("query", "")

    @property
    def preset(self) -> str | None:
        return self.state.get("preset")

    def remember(self, **values: str | None) -> None:
        """Set `query` and/or `preset` (None or "" forgets it); written only when it changes."""
        wanted = {**self.state, **{k: v or "" for k, v in values.items() if k in _KEYS}}
        wanted = {k: v for k, v in wanted.items() if v}
        if wanted != self.state and not self.read_only:
            self.update(lambda state: {k: v for k, v in {**state, **{k: v or "" for k, v in values.items()}}.items() if v})
