"""Named reranker instructions, saved to the workspace's `presets.yaml`.

    version: 1
    presets:
      default:
        instruction: Given a web search query, retrieve relevant passages that answer the query

Until the user saves a preset the file is not written; the app offers the built-in examples
below (the same as `configs/presets.yaml` in the repository, kept equal by a test).

The file is the user's to edit: a save (add, rename, delete, undo) keeps their comments above
and beside each preset, blank lines, the order and the quoting of the presets it does not
change (WorkspaceFile's round trip), under the file's lock, merged onto what is there now.
"""

from __future__ import annotations

from rerank_tui.rerank.prompt import DEFAULT_INSTRUCTION
from rerank_tui.session.store import YamlDocument
from rerank_tui.session.workspace_file import WorkspaceFile

ANY = object()  # `expect=ANY`: whatever the preset holds now

BUILTIN_PRESETS: dict[str, str] = {
    "default": DEFAULT_INSTRUCTION,
    "domain-expert": (
        "Judge as a domain expert: the passage must directly answer the question with specific, "
        "correct facts; background, definitions or passages that only mention the topic are not relevant"
    ),
    "code-focused": (
        "Given a programming question, retrieve passages with correct, runnable code or exact "
        "configuration that solves it; prefer concrete commands, parameters and error explanations over general prose"
    ),
    "chinese": "给定一个中文搜索问题，检索能够直接回答该问题的段落；只提到相关词语但没有给出答案的段落不相关",
}


class PresetStore(WorkspaceFile[dict[str, str]]):
    SECTION = "presets"

    @classmethod
    def empty(cls) -> dict[str, str]:
        return dict(BUILTIN_PRESETS)  # until the user saves one

    @classmethod
    def parse(cls, document: YamlDocument, section) -> dict[str, str]:
        if section is None:
            return {}
        if not isinstance(section, dict):
            raise document.error("`presets` must map each name to an `instruction`", "presets")
        presets: dict[str, str] = {}
        for name, body in section.items():
            instruction = body.get("instruction") if isinstance(body, dict) else None
            if not isinstance(name, str) or not isinstance(instruction, str):
                raise document.error(f"preset {name!r} needs an `instruction` string", "presets", str(name))
            presets[name] = instruction
        return presets

    def to_section(self, state: dict[str, str]):
        return {n: {"instruction": t} for n, t in state.items()}

    @property
    def presets(self) -> dict[str, str]:
        return self.state

    def names(self) -> list[str]:
        return list(self.state)

    def get(self, name: str) -> str | None:
        return self.state.get(name)

    def name_of(self, instruction: str) -> str | None:
        """The first preset whose instruction is exactly this text."""
        return next((n for n, text in self.state.items() if text == instruction), None)

    # Each change is read-merge-write under the file's lock (WorkspaceFile.update) and returns
    # what it replaced, read under that lock, so an undo knows exactly what to put back.
    # `expect` (for undo): the text the preset must have at that moment (None: it must not
    # exist); otherwise ValueError, so an undo never overwrites what another writer saved since.

    def save(self, name: str, instruction: str, *, at: int | None = None, expect=ANY) -> str | None:
        """Save `name` (a new name goes last, or at position `at`); return the text it replaced
        (None: the name is new)."""
        name = _check_name(name)
        if not instruction.strip():
            raise ValueError("an instruction cannot be empty")
        replaced: list[str | None] = [None]

        def change(presets: dict[str, str]) -> dict[str, str]:
            _check_expected(presets, name, expect)
            replaced[0] = presets.get(name)
            if name in presets or at is None:
                return {**presets, name: instruction}
            items = list(presets.items())
            items.insert(max(0, min(at, len(items))), (name, instruction))
            return dict(items)

        self.update(change)
        return replaced[0]

    def rename(self, old: str, new: str, *, expect=ANY) -> str:
        """Rename `old` (keeping its place); return its instruction."""
        new = _check_name(new)

        def change(presets: dict[str, str]) -> dict[str, str]:
            if old not in presets:
                raise KeyError(old)
            if new != old and new in presets:
                raise ValueError(f"a preset named {new!r} exists")
            _check_expected(presets, old, expect)
            return {(new if k == old else k): v for k, v in presets.items()}

        return self.update(change)[new]

    def delete(self, name: str, *, expect=ANY) -> tuple[str, int]:
        """Delete `name`; return its instruction and where it was in the order."""
        removed: list[tuple[str, int]] = []

        def change(presets: dict[str, str]) -> dict[str, str]:
            if name not in presets:
                raise KeyError(name)
            _check_expected(presets, name, expect)
            removed[:] = [(presets[name], list(presets).index(name))]
            return {k: v for k, v in presets.items() if k != name}

        self.update(change)
        return removed[0]


def _check_expected(presets: dict[str, str], name: str, expect) -> None:
    if expect is not ANY and presets.get(name) != expect:
        what = "was saved" if expect is None else "was deleted" if name not in presets else "was changed"
        raise ValueError(f"preset {name!r} {what} since (in another window?); left as it is")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or any(c in name for c in "\n\r\t") or len(name) > 80:
        raise ValueError("a preset name is one line of 1–80 characters")
    return name
