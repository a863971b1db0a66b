"""The state of one search — what the app shows and every operation on it, without a UI.

Three texts are easy to confuse, so each has one name here:
- `typed`: what the query box holds now (BM25 runs for it as you type);
- `query`: the query whose BM25 hits are shown; labels, live metrics and reranks apply to it;
- `ranked_for`: the (query, instruction) the reranked list was ranked for.
Results from workers are offered with `accept_hits` / `accept_ranking`, which say whether
they are still current (a stale result is dropped, never shown). Label and preset operations
return what changed, or raise `SearchError` with a message to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rerank_tui.recall.index import Hit
from rerank_tui.rerank.base import RerankStats
from rerank_tui.session.labels import Label
from rerank_tui.session.ranking import RerankedHit
from rerank_tui.session.store import WorkspaceFileError
from rerank_tui.session.workspace import Workspace


class SearchError(Exception):
    """An operation that did not happen; the message says why (for a notification)."""


@dataclass
class LabelChange:
    """What a label operation changed, for the status line."""

    query: str
    doc: str
    label: Label | None  # the label now (None: none)
    message: str


@dataclass
class SearchState:
    workspace: Workspace
    instruction: str = ""
    preset: str | None = None
    typed: str = ""
    query: str = ""
    hits: list[Hit] = field(default_factory=list)
    ranking: list[RerankedHit] = field(default_factory=list)
    ranked_for: tuple[str, str] | None = None
    stats: RerankStats | None = None

    @classmethod
    def start(cls, workspace: Workspace, instruction: str | None = None, preset: str | None = None) -> SearchState:
        """The initial instruction: the one given, else the preset given, else `default`."""
        presets = workspace.presets
        if instruction is not None:
            return cls(workspace, instruction, presets.name_of(instruction))
        name = preset if preset in presets.presets else ("default" if "default" in presets.presets else None)
        return cls(workspace, (presets.get(name) or "") if name else "", name)

    # -- results from workers ----------------------------------------------------------------

    def accept_hits(self, query: str, hits: list[Hit]) -> bool:
        """Show `hits` for `query` unless the user typed on since. A ranking of another query
        is dropped. True when accepted."""
        if query != self.typed:
            return False
        self.query, self.hits = query, hits
        if self.ranked_for is not None and self.ranked_for[0] != query:
            self.clear_ranking()
        return True

    def accept_ranking(self, query: str, instruction: str, ranking: list[RerankedHit], stats: RerankStats) -> bool:
        """Show a ranking unless its query is no longer the one typed. True when accepted
        (its instruction may have been edited since: see `ranking_is_stale`)."""
        if query != self.typed:
            return False
        self.ranking, self.ranked_for, self.stats = ranking, (query, instruction), stats
        return True

    def clear_ranking(self) -> None:
        self.ranking, self.ranked_for, self.stats = [], None, None

    @property
    def ranking_is_stale(self) -> bool:
        """A ranking is shown, but the instruction was edited since."""
        return self.ranked_for is not None and self.ranked_for[1] != self.instruction

    def current_ranking(self) -> list[RerankedHit] | None:
        """The ranking of the shown query, if there is one."""
        return self.ranking if self.ranked_for and self.ranked_for[0] == self.query else None

    def record_try(self) -> None:
        """Note the instruction of the ranking just shown in tries.yaml (read-only: skipped)."""
        tries = self.workspace.tries
        if self.ranked_for is None or tries.read_only:
            return
        instruction = self.ranked_for[1]
        self._guard("try not recorded", lambda: tries.record(instruction, self.workspace.presets.name_of(instruction)))

    def remember_query(self, query: str) -> None:
        history = self.workspace.history
        if query.strip() and not history.read_only:
            self._guard("query history not saved", lambda: history.add(query))

    # -- labels of the shown query -------------------------------------------------------------

    def label_of(self, doc: str) -> Label | None:
        return self.workspace.labels.get(self.query, doc)

    def label(self, hit: Hit, grade: int) -> LabelChange:
        if not self.query.strip():
            raise SearchError("type a query first: labels belong to a query")
        label = self._guard("label NOT saved", lambda: self.workspace.labels.set(self.query, hit.passage.id, grade, hit.passage.text))
        return LabelChange(self.query, hit.passage.id, label, f"labeled {hit.passage.id} {label.grade}")

    def clear_label(self, hit: Hit) -> LabelChange | None:
        removed = self._guard("label NOT cleared", lambda: self.workspace.labels.clear(self.query, hit.passage.id))
        if removed is None:
            return None
        return LabelChange(self.query, hit.passage.id, None, f"cleared the label of {hit.passage.id}")

    def undo_label(self) -> LabelChange | None:
        labels = self.workspace.labels
        undone = self._guard("undo NOT saved", labels.undo)
        if undone is None:
            return None
        query, doc = undone
        return LabelChange(query, doc, labels.get(query, doc), f"undid the label change of {doc}")

    # -- the instruction and presets ------------------------------------------------------------

    def instruction_title(self) -> str:
        presets, name = self.workspace.presets, self.preset
        if name and presets.get(name) == self.instruction:
            return f"Instruction · preset {name}"
        if name and name in presets.presets:
            return f"Instruction · preset {name} · modified (ctrl+s saves)"
        return "Instruction · unsaved (ctrl+s saves as a preset)"

    def use_instruction(self, instruction: str) -> None:
        """Switch to an instruction (from the tries board): its preset, if one matches."""
        self.instruction = instruction
        self.preset = self.workspace.presets.name_of(instruction)

    def apply_preset(self, name: str) -> str:
        instruction = self.workspace.presets.get(name)
        if instruction is None:
            raise SearchError(f"no preset named {name!r}")
        self.instruction, self.preset = instruction, name
        return instruction

    def save_preset(self, name: str) -> str:
        presets = self.workspace.presets
        self._guard("preset NOT saved", lambda: presets.save(name, self.instruction))
        self.preset = name.strip()
        return f"saved preset {self.preset!r} to {presets.path}"

    def rename_preset(self, old: str, new: str) -> str:
        self._guard("preset NOT renamed", lambda: self.workspace.presets.rename(old, new))
        if self.preset == old:
            self.preset = new.strip()
        return f"renamed preset {old!r} to {new.strip()!r}"

    def delete_preset(self, name: str) -> str:
        self._guard("preset NOT deleted", lambda: self.workspace.presets.delete(name))
        if self.preset == name:
            self.preset = None
        return f"deleted preset {name!r}"

    @staticmethod
    def _guard(what: str, operation):
        try:
            return operation()
        except KeyError as exc:
            raise SearchError(f"{what}: no preset named {exc.args[0]!r}") from None
        except (ValueError, OSError, WorkspaceFileError) as exc:
            raise SearchError(f"{what}: {exc}") from None
