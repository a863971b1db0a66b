"""The workspace's query set: every query a relevance project works on, each with its own id.

    # queries.yaml
    version: 1
    queries:
    - id: "1"
      text: what similarity laws must be obeyed when constructing aeroelastic models
      note: models of heated high speed aircraft; laws, not test results   # optional

The set is the queries of this file, in its order, followed by every labeled query the file
does not list (labels.yaml keys labels by query text). A query keeps the id it came with (an
imported id is written back by every export: Cranfield's "1" goes out as "1"); a query that
never had one is known by `query_id(text)` ("q" + 12 hex digits of its SHA-1). The note is the
information need, written by the user or imported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from rerank_tui.session.store import YamlDocument
from rerank_tui.session.workspace_file import WorkspaceFile

MAX_NOTE_CHARS = 10_000


def query_id(query: str) -> str:
    """The id of a query that came without one: stable across runs and machines."""
    return "q" + hashlib.sha1(query.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def id_problem(ident) -> str | None:
    """Why `ident` cannot be a query id (it is one field of a qrels or run line), or None:
    the importers' own check (`judgment_readers.check_id`)."""
    from rerank_tui.session.judgment_readers import JudgmentFileError, check_id

    if not isinstance(ident, str) or not ident:
        return f"a query id must be a non-empty word, not {ident!r}"
    try:
        check_id("", 0, "query id", ident)
    except JudgmentFileError as exc:
        return exc.message
    return None


@dataclass(frozen=True, slots=True)
class QueryEntry:
    id: str
    text: str
    note: str = ""

    def to_yaml(self) -> dict:
        data = {"id": self.id, "text": self.text}
        if self.note:
            data["note"] = self.note
        return data


class QuerySetFile(WorkspaceFile[tuple[QueryEntry, ...]]):
    """queries.yaml: the listed queries, their ids and notes. Ids and texts are unique."""

    SECTION = "queries"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # (state, by_text, by_id), rebuilt when the state changes
        self._lookups: tuple[tuple[QueryEntry, ...], dict[str, QueryEntry], dict[str, QueryEntry]] | None = None

    @classmethod
    def empty(cls) -> tuple[QueryEntry, ...]:
        return ()

    @classmethod
    def parse(cls, document: YamlDocument, section) -> tuple[QueryEntry, ...]:
        if section is None:
            return ()
        if not isinstance(section, list):
            raise document.error("expected `queries:` followed by a list of `id`, `text` (and `note`)", "queries")
        entries: list[QueryEntry] = []
        ids: dict[str, int] = {}
        texts: dict[str, int] = {}
        for number, item in enumerate(section):
            where = ("queries", number)
            if not isinstance(item, dict):
                raise document.error("every query is a mapping with `id` and `text`", *where)
            ident, text, note = item.get("id"), item.get("text"), item.get("note") or ""
            if type(ident) is int:
                ident = str(ident)
            problem = id_problem(ident)
            if problem:
                raise document.error(problem, *where)
            assert isinstance(ident, str)  # id_problem is None only for a str
            if not isinstance(text, str) or not text.strip():
                raise document.error(f"query {ident!r} needs a `text`", *where)
            if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
                raise document.error(f"the note of query {ident!r} must be text of at most {MAX_NOTE_CHARS:,} characters", *where)
            if ident in ids:
                raise document.error(f"query id {ident!r} is listed twice (first as query {ids[ident] + 1})", *where)
            if text in texts:
                raise document.error(f"the text of query {ident!r} is listed twice (first as query {texts[text] + 1})", *where)
            ids[ident], texts[text] = number, number
            entries.append(QueryEntry(ident, text, note))
        return tuple(entries)

    def to_section(self, state: tuple[QueryEntry, ...]):
        return [e.to_yaml() for e in state]

    @property
    def entries(self) -> tuple[QueryEntry, ...]:
        return self.state

    def _maps(self) -> tuple[dict[str, QueryEntry], dict[str, QueryEntry]]:
        if self._lookups is None or self._lookups[0] is not self.state:
            self._lookups = (self.state, {e.text: e for e in self.state}, {e.id: e for e in self.state})
        return self._lookups[1], self._lookups[2]

    def by_text(self, text: str) -> QueryEntry | None:
        return self._maps()[0].get(text)

    def by_id(self, ident: str) -> QueryEntry | None:
        return self._maps()[1].get(ident)

    # -- changes -----------------------------------------------------------------------------

    def add(self, queries: Iterable[tuple[str | None, str]], notes: Mapping[str, str] | None = None) -> int:
        """Add (id, text) pairs (id None: the text's `query_id`); return how many were new.

        A text already in the set takes the given id (an imported id replaces a derived one);
        an id that already names another text is refused (ValueError), before anything is
        written. `notes` (text → note) sets notes; an empty note leaves an existing one."""
        pairs = [(text, ident) for ident, text in queries]
        notes = dict(notes or {})
        for text, ident in pairs:
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"query {ident!r} has no text")
            if ident is not None and (problem := id_problem(ident)):
                raise ValueError(problem)
        added = 0

        def change(state: tuple[QueryEntry, ...]) -> tuple[QueryEntry, ...]:
            nonlocal added
            added = 0
            entries = list(state)
            at_text = {e.text: i for i, e in enumerate(entries)}
            at_id = {e.id: i for i, e in enumerate(entries)}
            for text, ident in pairs:
                ident = ident or (entries[at_text[text]].id if text in at_text else query_id(text))
                owner = at_id.get(ident)
                if owner is not None and entries[owner].text != text:
                    raise ValueError(
                        f"query id {ident!r} already names another query ({entries[owner].text[:60]!r}); "
                        "give this query another id"
                    )
                note = notes.get(text, "")
                if text in at_text:
                    i = at_text[text]
                    old = entries[i]
                    if old.id != ident:
                        del at_id[old.id]
                        at_id[ident] = i
                    entries[i] = replace(old, id=ident, note=note or old.note)
                else:
                    at_text[text] = at_id[ident] = len(entries)
                    entries.append(QueryEntry(ident, text, note))
                    added += 1
            return tuple(entries)

        self.update(change)
        return added

    def set_note(self, text: str, note: str) -> QueryEntry:
        """Set the note of a query (added to the set when it is not in it); "" clears it."""
        note = note.strip()
        if len(note) > MAX_NOTE_CHARS:
            raise ValueError(f"a note is at most {MAX_NOTE_CHARS:,} characters")

        def change(state: tuple[QueryEntry, ...]) -> tuple[QueryEntry, ...]:
            for i, e in enumerate(state):
                if e.text == text:
                    return (*state[:i], replace(e, note=note), *state[i + 1 :])
            ident = query_id(text)
            if any(e.id == ident for e in state):
                raise ValueError(f"query id {ident!r} already names another query")
            return (*state, QueryEntry(ident, text, note))

        self.update(change)
        entry = self.by_text(text)
        assert entry is not None
        return entry

    def remove(self, text: str) -> bool:
        if self.by_text(text) is None:
            return False
        self.update(lambda state: tuple(e for e in state if e.text != text))
        return True


@dataclass(frozen=True)
class QuerySet:
    """The set as the product uses it: the file's queries, then labeled queries it lacks."""

    entries: tuple[QueryEntry, ...]
    by_text: Mapping[str, QueryEntry]
    by_id: Mapping[str, QueryEntry]

    @classmethod
    def of(cls, listed: QuerySetFile, labeled: Iterable[str]) -> QuerySet:
        entries = list(listed.entries)
        texts = {e.text for e in entries}
        ids = {e.id for e in entries}
        for text in labeled:
            if text in texts:
                continue
            ident = query_id(text)
            if ident in ids:  # a listed query took this hash as its id: never two queries per id
                continue
            entries.append(QueryEntry(ident, text))
            texts.add(text)
            ids.add(ident)
        return cls(tuple(entries), {e.text: e for e in entries}, {e.id: e for e in entries})

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def id_of(self, text: str) -> str:
        entry = self.by_text.get(text)
        return entry.id if entry is not None else query_id(text)

    def note_of(self, text: str) -> str:
        entry = self.by_text.get(text)
        return entry.note if entry is not None else ""
