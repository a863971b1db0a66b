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

from dataclasses import dataclass, replace

from rerank_tui.session.labels import utc_now
from rerank_tui.session.store import YamlDocument
from rerank_tui.session.workspace_file import WorkspaceFile


@dataclass(frozen=True)
class Try:
    instruction: str
    first_used: str
    last_used: str
    uses: int = 1
    preset: str | None = None


class TryLog(WorkspaceFile[list[Try]]):
    SECTION = "tries"

    @classmethod
    def empty(cls) -> list[Try]:
        return []

    @classmethod
    def parse(cls, document: YamlDocument, section) -> list[Try]:
        if section is None:
            return []
        if not isinstance(section, list):
            raise document.error("expected `tries:` followed by a list", "tries")
        tries = []
        for number, item in enumerate(section):
            where = ("tries", number)
            if not isinstance(item, dict) or not isinstance(item.get("instruction"), str):
                raise document.error("every try needs an `instruction` string", *where)
            uses = item.get("uses", 1)
            if isinstance(uses, bool) or not isinstance(uses, int) or uses < 0:
                raise document.error(f"`uses` must be a whole number, not {uses!r}", *where)
            preset = item.get("preset")
            if preset is not None and not isinstance(preset, str):
                raise document.error(f"`preset` must be a name, not {preset!r}", *where)
            tries.append(
                Try(item["instruction"], _text(item.get("first_used")), _text(item.get("last_used")), uses or 1, preset)
            )
        return tries

    def to_section(self, state: list[Try]):
        items = []
        for t in state:
            item = {"instruction": t.instruction}
            if t.preset:
                item["preset"] = t.preset
            items.append(item | {"first_used": t.first_used, "last_used": t.last_used, "uses": t.uses})
        return items

    @property
    def tries(self) -> list[Try]:
        return self.state

    def record(self, instruction: str, preset: str | None = None) -> Try:
        """Note a use of `instruction` (new, or one more use of a known one) and save."""
        now = utc_now()

        def change(tries: list[Try]) -> list[Try]:
            for i, t in enumerate(tries):
                if t.instruction == instruction:
                    used = replace(t, last_used=now, uses=t.uses + 1, preset=preset or t.preset)
                    return [*tries[:i], used, *tries[i + 1 :]]
            return [*tries, Try(instruction, now, now, 1, preset)]

        tries = self.update(change)
        return next(t for t in tries if t.instruction == instruction)


def _text(value) -> str:
    return "" if value is None else str(value)
