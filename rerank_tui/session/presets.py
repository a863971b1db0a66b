"""Named reranker instructions, saved to the workspace's `presets.yaml`.

    version: 1
    presets:
      default:
        instruction: Given a web search query, retrieve relevant passages that answer the query

Until the user saves a preset the file is not written; the app offers the built-in examples
below (the same as `configs/presets.yaml` in the repository, kept equal by a test).
"""

from __future__ import annotations

from pathlib import Path

from rerank_tui.rerank.prompt import DEFAULT_INSTRUCTION
from rerank_tui.session.store import WorkspaceFileError, atomic_write_text, dump_yaml, load_yaml, node_line

FORMAT_VERSION = 1

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


class PresetStore:
    def __init__(self, path: Path, presets: dict[str, str], from_file: bool, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only  # set when the file failed to load: never overwrite it
        self.presets = dict(presets)
        self.from_file = from_file  # False: built-ins shown, nothing written yet

    @classmethod
    def load(cls, path: Path) -> PresetStore:
        path = Path(path)
        data = load_yaml(path)
        if data is None:
            return cls(path, BUILTIN_PRESETS, from_file=False)
        if not isinstance(data, dict) or not isinstance(data.get("presets", {}), dict):
            raise WorkspaceFileError(path, "expected `version` and a `presets` mapping", 1)
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise WorkspaceFileError(path, f"unsupported version {version!r}", node_line(path, "version"))
        presets: dict[str, str] = {}
        for name, body in (data.get("presets") or {}).items():
            instruction = body.get("instruction") if isinstance(body, dict) else None
            if not isinstance(instruction, str):
                raise WorkspaceFileError(
                    path, f"preset {name!r} needs an `instruction` string", node_line(path, "presets", str(name))
                )
            presets[str(name)] = instruction
        return cls(path, presets, from_file=True)

    def names(self) -> list[str]:
        return list(self.presets)

    def get(self, name: str) -> str | None:
        return self.presets.get(name)

    def name_of(self, instruction: str) -> str | None:
        """The first preset whose instruction is exactly this text."""
        return next((n for n, text in self.presets.items() if text == instruction), None)

    def save(self, name: str, instruction: str) -> None:
        name = _check_name(name)
        if not instruction.strip():
            raise ValueError("an instruction cannot be empty")
        self._commit({**self.presets, name: instruction})

    def rename(self, old: str, new: str) -> None:
        new = _check_name(new)
        if old not in self.presets:
            raise KeyError(old)
        if new != old and new in self.presets:
            raise ValueError(f"a preset named {new!r} exists")
        self._commit({(new if k == old else k): v for k, v in self.presets.items()})

    def delete(self, name: str) -> None:
        if name not in self.presets:
            raise KeyError(name)
        self._commit({k: v for k, v in self.presets.items() if k != name})

    def to_yaml(self, presets: dict[str, str] | None = None) -> str:
        presets = self.presets if presets is None else presets
        return dump_yaml({"version": FORMAT_VERSION, "presets": {n: {"instruction": t} for n, t in presets.items()}})

    def _commit(self, presets: dict[str, str]) -> None:
        if self.read_only:
            raise WorkspaceFileError(self.path, "not saved: this file failed to load; fix or move it first")
        atomic_write_text(self.path, self.to_yaml(presets))
        self.presets = presets
        self.from_file = True


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or any(c in name for c in "\n\r\t") or len(name) > 80:
        raise ValueError("a preset name is one line of 1–80 characters")
    return name
