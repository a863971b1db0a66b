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

from collections.abc import Callable
from dataclasses import dataclass, field

from rerank_tui.recall.hit import Hit
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


@dataclass(frozen=True)
class PresetChange:
    """One change to presets.yaml made here, and what `undo_preset` needs to take it back."""

    what: str  # "save", "delete" or "rename"
    name: str  # the preset's name after the change (rename: the new name)
    before: str | None  # its instruction before (None: a new name)
    after: str | None  # its instruction after (None: deleted)
    old_name: str = ""  # rename: the name before
    position: int | None = None  # delete: where it was in the order
    preset_before: str | None = None  # `SearchState.preset` before and after the change
    preset_after: str | None = None


PRESET_UNDO_DEPTH = 50


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
    preset_changes: list[PresetChange] = field(default_factory=list)  # for `undo_preset`, last last

    @classmethod
    def start(cls, workspace: Workspace, instruction: str | None = None, preset: str | None = None) -> SearchState:
        """The initial instruction: the one given, else the preset given, else the preset used
        last (state.yaml), else `default`."""
        presets = workspace.presets
        if instruction is not None:
            return cls(workspace, instruction, presets.name_of(instruction))
        if preset not in presets.presets:
            preset = workspace.resume.preset
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
        self.remember_place(query)

    def remember_place(self, query: str | None = None) -> None:
        """Note the last query (when given) and the current preset in state.yaml, for the next
        start. Failing to is not worth a message: it only costs the resume."""
        values = {"preset": self.preset}
        if query is not None and query.strip():
            values["query"] = query
        try:
            self.workspace.resume.remember(**values)
        except (OSError, WorkspaceFileError):
            pass

    # -- labels of the shown query -------------------------------------------------------------

    def label_of(self, doc: str, query: str | None = None) -> Label | None:
        return self.workspace.labels.get(self.query if query is None else query, doc)

    def label(self, hit: Hit, grade: int, query: str | None = None) -> LabelChange:
        """Label `hit` for `query` (default: the shown query)."""
        query = self.query if query is None else query
        if not query.strip():
            raise SearchError("type a query first: labels belong to a query")
        scale = self.workspace.labels.scale
        if grade not in scale:
            raise SearchError(f"{grade} is not on this workspace's scale {scale.text} (labels.yaml `scale:`)")
        label = self._guard("label NOT saved", lambda: self.workspace.labels.set(query, hit.passage.id, grade, hit.passage.text))
        return LabelChange(query, hit.passage.id, label, f"labeled {hit.passage.id} {label.grade}")

    def clear_label(self, hit: Hit, query: str | None = None) -> LabelChange | None:
        query = self.query if query is None else query
        removed = self._guard("label NOT cleared", lambda: self.workspace.labels.clear(query, hit.passage.id))
        if removed is None:
            return None
        return LabelChange(query, hit.passage.id, None, f"cleared the label of {hit.passage.id}")

    def rate_rest(self, hits: list[Hit], query: str | None = None) -> LabelChange | None:
        """Give every hit of `hits` without a label the scale's lowest grade, as one undo step."""
        query = self.query if query is None else query
        if not query.strip():
            raise SearchError("type a query first: labels belong to a query")
        labels = self.workspace.labels
        todo = [h for h in hits if labels.get(query, h.passage.id) is None]
        if not todo:
            return None
        grade = labels.scale.low
        self._guard("labels NOT saved", lambda: labels.set_many(query, [(h.passage.id, grade, h.passage.text) for h in todo]))
        last = todo[-1].passage.id
        return LabelChange(query, last, labels.get(query, last), f"labeled {len(todo)} unlabeled hits {grade} (u undoes all)")

    def shown_label(self, doc: str, text: str, query: str | None = None) -> Label | None:
        """The label of `doc`, or else its current suggestion as a stand-in label (its `source`
        is "suggested": shown `2?`, counted only by metrics on suggested grades)."""
        label = self.label_of(doc, query)
        if label is not None:
            return label
        suggestion = self.suggestion_of(doc, text, query)
        if suggestion is None:
            return None
        from rerank_tui.session.label_sources import suggested_extra

        return Label(doc, suggestion.grade, suggestion.text_sha1, suggestion.at, suggested_extra(suggestion.judge, suggestion.prompt))

    def suggestion_of(self, doc: str, text: str, query: str | None = None):
        """The judge's suggestion for `doc` under `query` when the shown passage text is the
        one it judged (None otherwise: a suggestion for an older text is not shown)."""
        query = self.query if query is None else query
        store = self.workspace.loaded_suggestions  # the UI never waits for the file (the app reads it in a worker)
        suggestion = store.get(query, doc) if store is not None else None
        return None if suggestion is None or suggestion.is_stale(text) else suggestion

    def accept_suggestion(self, hit: Hit, query: str | None = None) -> LabelChange | None:
        """Label `hit` with the judge's suggested grade, recorded as accepted (one undo step);
        None when it has no suggestion."""
        from rerank_tui.session.label_sources import accept_one

        query = self.query if query is None else query
        if not query.strip():
            raise SearchError("type a query first: labels belong to a query")
        labels, suggestions = self.workspace.labels, self.workspace.suggestions
        label = self._guard("label NOT saved", lambda: accept_one(labels, suggestions, query, hit.passage.id, hit.passage.text))
        if label is None:
            return None
        return LabelChange(query, hit.passage.id, label, f"accepted the judge's {label.grade} for {hit.passage.id}")

    def accept_all_suggestions(self, hits: list[Hit], query: str | None = None) -> LabelChange | None:
        """Accept every suggestion of `query` among `hits` that has no label, as one undo step."""
        from rerank_tui.session.label_sources import accept_all

        query = self.query if query is None else query
        if not query.strip():
            raise SearchError("type a query first: labels belong to a query")
        texts = {h.passage.id: h.passage.text for h in hits}
        labels, suggestions = self.workspace.labels, self.workspace.suggestions
        accepted = self._guard("labels NOT saved", lambda: accept_all(labels, suggestions, query, texts))
        if not accepted:
            return None
        last = accepted[-1]
        return LabelChange(query, last.doc, last, f"accepted {len(accepted)} suggestions of the judge (u undoes all)")

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

    def overwrites(self, name: str) -> str | None:
        """The instruction that saving under `name` would replace (None: a new name, or one
        that holds this very instruction): the app asks before replacing it."""
        existing = self.workspace.presets.get(name.strip())
        return existing if existing is not None and existing != self.instruction else None

    def save_preset(self, name: str) -> str:
        presets, name, instruction, preset_before = self.workspace.presets, name.strip(), self.instruction, self.preset
        replaced = self._guard("preset NOT saved", lambda: presets.save(name, instruction))
        self.preset = name
        if replaced != instruction:
            self._remember(PresetChange("save", name, replaced, instruction, preset_before=preset_before, preset_after=name))
        if replaced is not None and replaced != instruction:
            return f"saved preset {name!r} over its previous instruction, to {presets.path}"
        return f"saved preset {name!r} to {presets.path}"

    def rename_preset(self, old: str, new: str) -> str:
        new, preset_before = new.strip(), self.preset
        instruction = self._guard("preset NOT renamed", lambda: self.workspace.presets.rename(old, new))
        if self.preset == old:
            self.preset = new
        if new != old:
            self._remember(PresetChange("rename", new, instruction, instruction, old_name=old,
                                        preset_before=preset_before, preset_after=self.preset))
        return f"renamed preset {old!r} to {new!r}"

    def delete_preset(self, name: str) -> str:
        preset_before = self.preset
        instruction, position = self._guard("preset NOT deleted", lambda: self.workspace.presets.delete(name))
        if self.preset == name:
            self.preset = None
        self._remember(PresetChange("delete", name, instruction, None, position=position,
                                    preset_before=preset_before, preset_after=self.preset))
        return f"deleted preset {name!r}"

    def undo_preset(self) -> str | None:
        """Take back the last preset change made here (save, rename or delete): presets.yaml
        gets back what it held for that preset, through the same locked read-merge-write, and
        only if nobody changed that preset since. None: nothing to undo."""
        if not self.preset_changes:
            return None
        change, presets = self.preset_changes[-1], self.workspace.presets
        before = change.before
        operation: Callable[[], object]  # what it returns is not used
        if change.what == "rename":
            operation = lambda: presets.rename(change.name, change.old_name, expect=change.after)  # noqa: E731
            message = f"undid renaming preset {change.old_name!r} to {change.name!r}"
        elif change.what == "delete":
            assert before is not None  # a delete records the instruction it removed
            operation = lambda: presets.save(change.name, before, at=change.position, expect=None)  # noqa: E731
            message = f"undid deleting preset {change.name!r}: it is back"
        elif before is None:
            operation = lambda: presets.delete(change.name, expect=change.after)  # noqa: E731
            message = f"undid saving preset {change.name!r}: it is gone again"
        else:
            operation = lambda: presets.save(change.name, before, expect=change.after)  # noqa: E731
            message = f"undid saving preset {change.name!r}: its previous instruction is back"
        try:
            operation()
        except (KeyError, ValueError) as exc:  # the preset changed since: this undo cannot apply
            self.preset_changes.pop()
            reason = f"no preset named {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
            raise SearchError(f"preset change NOT undone: {reason}") from None
        except (OSError, WorkspaceFileError) as exc:  # kept: undo can be tried again
            raise SearchError(f"preset change NOT undone: {exc}") from None
        self.preset_changes.pop()
        if self.preset == change.preset_after:
            self.preset = change.preset_before
        return message

    def _remember(self, change: PresetChange) -> None:
        self.preset_changes = [*self.preset_changes, change][-PRESET_UNDO_DEPTH:]

    @staticmethod
    def _guard(what: str, operation):
        try:
            return operation()
        except KeyError as exc:
            raise SearchError(f"{what}: no preset named {exc.args[0]!r}") from None
        except (ValueError, OSError, WorkspaceFileError) as exc:
            raise SearchError(f"{what}: {exc}") from None
