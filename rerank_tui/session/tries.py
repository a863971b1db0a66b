"""Every instruction that was used for a rerank ("a try"), kept in the workspace's `tries.yaml`.

    version: 1
    tries:
    - instruction: Given a web search query, retrieve relevant passages that answer the query
      preset: default          # the preset it matched when last used, if any
      first_used: 2026-11-22T03:00:00Z
      last_used: 2026-11-22T03:10:00Z
      uses: 4
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rerank_tui.session.labels import utc_now
from rerank_tui.session.store import WorkspaceFileError, atomic_write_text, dump_yaml, load_yaml


@dataclass
class Try:
    instruction: str
    first_used: str
    last_used: str
    uses: int = 1
    preset: str | None = None


class TryLog:
    def __init__(self, path: Path, tries: list[Try] | None = None, read_only: bool = False) -> None:
        self.path = Path(path)
        self.tries = tries or []
        self.read_only = read_only

    @classmethod
    def load(cls, path: Path) -> TryLog:
        data = load_yaml(path)
        if data is None:
            return cls(path)
        items = data.get("tries") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise WorkspaceFileError(path, "expected `tries:` followed by a list", 1)
        tries = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("instruction"), str):
                raise WorkspaceFileError(path, "every try needs an `instruction` string")
            tries.append(
                Try(
                    item["instruction"],
                    str(item.get("first_used", "")),
                    str(item.get("last_used", "")),
                    int(item.get("uses", 1) or 1),
                    item.get("preset"),
                )
            )
        return cls(path, tries)

    def record(self, instruction: str, preset: str | None = None) -> Try:
        """Note a use of `instruction` (new, or one more use of a known one) and save."""
        now = utc_now()
        for t in self.tries:
            if t.instruction == instruction:
                t.last_used, t.uses = now, t.uses + 1
                t.preset = preset or t.preset
                break
        else:
            t = Try(instruction, now, now, 1, preset)
            self.tries.append(t)
        if not self.read_only:
            atomic_write_text(self.path, self.to_yaml())
        return t

    def to_yaml(self) -> str:
        items = []
        for t in self.tries:
            item = {"instruction": t.instruction}
            if t.preset:
                item["preset"] = t.preset
            item |= {"first_used": t.first_used, "last_used": t.last_used, "uses": t.uses}
            items.append(item)
        return dump_yaml({"version": 1, "tries": items})
