"""Where a grade came from: a person (human), a judge's suggestion a person accepted
(accepted), or a judge's suggestion nobody has looked at (suggested).

An accepted label carries its provenance in the label's own keys, which labels.yaml and the
journal keep like any key they do not know:

    - doc: a.md#2
      grade: 2
      source: judge            # accepted from a judge's suggestion
      judge: qwen3-8b …        # the judge's identity
      prompt: 3f1c…            # the sha1 of its prompt
      suggested: 2             # the grade it suggested

A human label (one given with a label key) drops these keys and keeps any other. Suggested
grades never become labels on disk: `labels_for_metrics` lays them under the labels only for
metrics computed on "human + accepted + suggested".
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Literal

from rerank_tui.session.label_model import Label, Queries, Scale

if TYPE_CHECKING:
    from rerank_tui.session.labels import LabelStore
    from rerank_tui.session.suggestions import Suggestion, SuggestionStore

Source = Literal["human", "accepted", "suggested"]
HUMAN: Source = "human"
ACCEPTED: Source = "accepted"
SUGGESTED: Source = "suggested"

SOURCE_KEY = "source"
FROM_JUDGE = "judge"  # `source:` of an accepted label
PROVENANCE_KEYS = frozenset({"source", "judge", "prompt", "suggested"})


def source_of(label: Label) -> Source:
    """"accepted" for a label accepted from a judge, "suggested" for a suggestion standing in
    as a label (`labels_for_metrics`), "human" for any other."""
    if not label.extra:
        return HUMAN
    source = label.extra.get(SOURCE_KEY)
    if source == FROM_JUDGE:
        return ACCEPTED
    return SUGGESTED if source == SUGGESTED else HUMAN


def human_extra(previous: Label | None) -> dict:
    """The keys a new human label keeps of the label it replaces: all but the provenance."""
    if previous is None or not previous.extra:
        return {}
    if PROVENANCE_KEYS.isdisjoint(previous.extra):
        return previous.extra
    return {k: v for k, v in previous.extra.items() if k not in PROVENANCE_KEYS}


def accepted_extra(suggestion: Suggestion) -> dict:
    """The provenance of a label accepted from `suggestion`."""
    return {SOURCE_KEY: FROM_JUDGE, "judge": suggestion.judge, "prompt": suggestion.prompt, "suggested": suggestion.grade}


def suggested_extra(judge: str, prompt: str) -> dict:
    return {SOURCE_KEY: SUGGESTED, "judge": judge, "prompt": prompt}


# -- which grades the metrics count ------------------------------------------------------------


class MetricLabels(str, Enum):
    """The labels metrics are computed on: human only (the default), human and accepted, or
    those and every suggested grade of a pair without a label."""

    HUMAN = "human"
    HUMAN_ACCEPTED = "human+accepted"
    ALL = "all"

    @property
    def text(self) -> str:
        return _TEXTS[self]

    def next(self) -> MetricLabels:
        members = list(MetricLabels)
        return members[(members.index(self) + 1) % len(members)]


_TEXTS = {
    MetricLabels.HUMAN: "labels: human",
    MetricLabels.HUMAN_ACCEPTED: "labels: human + accepted",
    MetricLabels.ALL: "labels: human + accepted + suggested",
}


def labels_for_metrics(
    labels: Mapping[str, Mapping[str, Label]],
    suggestions: SuggestionStore | None,
    mode: MetricLabels | str = MetricLabels.HUMAN,
    scale: Scale | None = None,
) -> Queries:
    """query text → doc → label, as `mode` counts them. The inner dicts of the queries a mode
    does not change are the caller's own (shared, never to be changed). In "all", a
    suggestion (on `scale`, when given) stands in for each pair without a label, whether or
    not its passage changed since it was judged (as a stale label still counts)."""
    mode = MetricLabels(mode)
    if mode is MetricLabels.HUMAN_ACCEPTED:
        return dict(labels)  # type: ignore[arg-type]
    if mode is MetricLabels.HUMAN:
        out: Queries = {}
        for query, docs in labels.items():
            if all(source_of(label) == HUMAN for label in docs.values()):
                out[query] = docs  # type: ignore[assignment]
            else:
                out[query] = {doc: label for doc, label in docs.items() if source_of(label) == HUMAN}
        return out
    out = dict(labels)  # type: ignore[arg-type]
    if suggestions is None:
        return out
    for query in suggestions.queries():
        suggested = suggestions.as_labels(query, scale)
        if not suggested:
            continue
        own = labels.get(query)
        out[query] = {**suggested, **own} if own else suggested
    return out


# -- accepting suggestions -----------------------------------------------------------------------


def accept_one(store: LabelStore, suggestions: SuggestionStore, query: str, doc: str, text: str) -> Label | None:
    """Label `doc` with its suggested grade, recorded as accepted from the judge (one undo
    step). None when the pair has no suggestion; ValueError when it was judged on another
    text of the passage, or its grade is not on the labels' scale."""
    suggestion = suggestions.get(query, doc)
    if suggestion is None:
        return None
    if suggestion.is_stale(text):
        raise ValueError(f"the suggestion for {doc!r} was judged on an older text of the passage; judge it again")
    return store.set(query, doc, suggestion.grade, text, extra=accepted_extra(suggestion))


def accept_all(store: LabelStore, suggestions: SuggestionStore, query: str, texts: Mapping[str, str]) -> list[Label]:
    """Accept every suggestion of `query` whose doc has no label, in one undo step. `texts`
    are the passage texts (doc → text); a doc not in it, a suggestion judged on another text
    and one whose grade is off the labels' scale are left out."""
    labeled = store.queries.get(query, {})
    items = [
        (doc, s.grade, texts[doc], accepted_extra(s))
        for doc, s in suggestions.for_query(query).items()
        if doc not in labeled and doc in texts and not s.is_stale(texts[doc]) and s.grade in store.scale
    ]
    return store.set_many(query, items) if items else []
