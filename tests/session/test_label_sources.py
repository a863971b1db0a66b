"""Where a grade came from: human, accepted from the judge, or only suggested."""

import time

import pytest

from rerank_tui.session.label_journal import journal_path
from rerank_tui.session.label_model import Label, text_sha1
from rerank_tui.session.label_sources import (
    ACCEPTED,
    HUMAN,
    MetricLabels,
    accept_all,
    accept_one,
    accepted_extra,
    labels_for_metrics,
    source_of,
)
from rerank_tui.session.labels import LabelStore
from rerank_tui.session.suggestions import Suggestion, SuggestionStore


def _s(doc, grade, query="q", text=None, judge="judge-a") -> Suggestion:
    return Suggestion(query, doc, grade, float(grade), ((grade, 1.0),), 1.0, judge, "p1", text_sha1(text or f"text of {doc}"), "2026-12-02T10:00:00Z")


@pytest.fixture
def stores(tmp_path):
    labels = LabelStore.load(tmp_path / "labels.yaml")
    suggestions = SuggestionStore.load(tmp_path / "suggestions.jsonl")
    yield labels, suggestions, tmp_path
    labels.close()


def test_an_accepted_label_keeps_its_source_on_disk_and_a_correction_drops_it(stores):
    labels, suggestions, tmp_path = stores
    path = tmp_path / "labels.yaml"
    path.write_text("version: 1\nqueries:\n  q:\n    - doc: d#1\n      grade: 0\n      note: check the table\n")
    labels = LabelStore.load(path)
    suggestions.add_many([_s("d#1", 2)])
    accepted = accept_one(labels, suggestions, "q", "d#1", "text of d#1")
    assert accepted.grade == 2 and source_of(accepted) == ACCEPTED
    assert accepted.extra == {"note": "check the table", "source": "judge", "judge": "judge-a", "prompt": "p1", "suggested": 2}
    labels.flush()
    assert source_of(LabelStore.load(path).get("q", "d#1")) == ACCEPTED  # through the journal
    labels.compact()
    assert "source: judge" in path.read_text() and journal_path(path).read_text().count("\n") == 1
    assert LabelStore.load(path).get("q", "d#1").extra["suggested"] == 2  # through labels.yaml
    corrected = labels.set("q", "d#1", 3, "text of d#1")  # a label key: a human label
    assert source_of(corrected) == HUMAN and corrected.extra == {"note": "check the table"}
    labels.flush()
    again = LabelStore.load(path).get("q", "d#1")
    assert again.grade == 3 and again.extra == {"note": "check the table"}
    labels.compact()
    assert "source" not in path.read_text() and "note: check the table" in path.read_text()
    labels.close()


def test_accept_one_refuses_a_suggestion_judged_on_another_text(stores):
    labels, suggestions, _ = stores
    suggestions.add_many([_s("d#1", 2, text="old text")])
    assert accept_one(labels, suggestions, "q", "d#9", "t") is None
    with pytest.raises(ValueError, match="older text"):
        accept_one(labels, suggestions, "q", "d#1", "new text")
    assert labels.get("q", "d#1") is None


def test_accept_all_labels_every_unlabeled_suggestion_in_one_undo_step(stores):
    labels, suggestions, _ = stores
    labels.set("q", "d#1", 0, "text of d#1")
    suggestions.add_many([_s("d#1", 3), _s("d#2", 2), _s("d#3", 1), _s("d#4", 2, text="old"), _s("d#5", 9), _s("d#6", 1)])
    texts = {f"d#{i}": f"text of d#{i}" for i in range(1, 6)}  # d#6: no text, d#4: judged on another text, d#5: off the scale
    accepted = accept_all(labels, suggestions, "q", texts)
    assert [(x.doc, x.grade) for x in accepted] == [("d#2", 2), ("d#3", 1)]
    assert all(source_of(x) == ACCEPTED and x.text_sha1 == text_sha1(texts[x.doc]) for x in accepted)
    assert labels.get("q", "d#1").grade == 0 and source_of(labels.get("q", "d#1")) == HUMAN  # a label is never overwritten
    assert labels.undo() == ("q", "d#2")
    assert set(labels.for_query("q")) == {"d#1"}  # both went in one step
    assert accept_all(labels, SuggestionStore.load(stores[2] / "none.jsonl"), "q", texts) == []


def _label(doc, grade, extra=None) -> Label:
    return Label(doc, grade, "sha-" + doc, "2026-12-01T00:00:00Z", extra or {})


def test_labels_for_metrics_in_each_mode(tmp_path):
    human = _label("a", 3, {"note": "x"})
    accepted = _label("b", 1, accepted_extra(_s("b", 1)))
    only_human = {"h": _label("h", 2)}
    labels = {"q": {"a": human, "b": accepted}, "r": only_human, "s": {"z": _label("z", 0, accepted_extra(_s("z", 0)))}}
    suggestions = SuggestionStore.load(tmp_path / "suggestions.jsonl")
    suggestions.add_many([_s("a", 0), _s("b", 2), _s("c", 2), _s("d", 9), _s("e", 1, query="t")])

    assert labels_for_metrics(labels, suggestions) == {"q": {"a": human}, "r": only_human, "s": {}}
    assert labels_for_metrics(labels, suggestions, MetricLabels.HUMAN)["r"] is only_human  # unchanged queries are shared
    assert labels_for_metrics(labels, suggestions, "human+accepted") == labels

    suggested = {"source": "suggested", "judge": "judge-a", "prompt": "p1"}
    c = Label("c", 2, text_sha1("text of c"), "2026-12-02T10:00:00Z", suggested)
    d = Label("d", 9, text_sha1("text of d"), "2026-12-02T10:00:00Z", suggested)
    e = Label("e", 1, text_sha1("text of e"), "2026-12-02T10:00:00Z", suggested)
    everything = labels_for_metrics(labels, suggestions, MetricLabels.ALL)
    assert everything == {"q": {"a": human, "b": accepted, "c": c, "d": d}, "r": only_human, "s": labels["s"], "t": {"e": e}}
    assert everything["q"]["c"].extra == suggested and everything["q"]["a"].extra == {"note": "x"}  # a label wins over a suggestion
    on_scale = labels_for_metrics(labels, suggestions, MetricLabels.ALL, scale=LabelStore("x").scale)
    assert set(on_scale["q"]) == {"a", "b", "c"}
    assert labels_for_metrics(labels, None, MetricLabels.ALL) == labels
    assert [source_of(x) for x in everything["q"].values()] == ["human", "accepted", "suggested", "suggested"]


def test_the_modes_cycle_and_say_what_they_count():
    assert MetricLabels("human") is MetricLabels.HUMAN
    assert [m.text for m in MetricLabels] == ["labels: human", "labels: human + accepted", "labels: human + accepted + suggested"]
    assert MetricLabels.HUMAN.next() is MetricLabels.HUMAN_ACCEPTED and MetricLabels.ALL.next() is MetricLabels.HUMAN


@pytest.mark.slow  # about 2 s, most of it appending the 100k suggestions
def test_labels_for_metrics_is_fast_at_20k_labels_and_100k_suggestions(tmp_path):
    labels = {f"query {q}": {f"doc{q}.{d}": _label(f"doc{q}.{d}", d % 4, accepted_extra(_s("x", 1)) if d % 5 == 0 else None)
                             for d in range(20)} for q in range(1000)}
    suggestions = SuggestionStore.load(tmp_path / "suggestions.jsonl")
    suggestions.add_many([_s(f"doc{q}.{d}", d % 4, query=f"query {q}") for q in range(1000) for d in range(100)])
    timings = {}
    for mode in MetricLabels:
        labels_for_metrics(labels, suggestions, mode)  # the first "all" builds the suggested labels
        start = time.perf_counter()
        out = labels_for_metrics(labels, suggestions, mode)
        timings[mode] = time.perf_counter() - start
    assert sum(len(v) for v in out.values()) == 100_000
    assert max(timings.values()) < 0.5, timings  # a few ms each on a quiet machine


# -- exports ------------------------------------------------------------------------------------


def test_jsonl_says_where_each_grade_came_from_once_one_was_accepted():
    import json

    from rerank_tui.session.judgments import to_jsonl
    from rerank_tui.session.query_set import query_id

    plain = {"q": {"a": _label("a", 3)}}
    before = to_jsonl(plain)
    assert "source" not in before and before == to_jsonl(plain, sources=False)  # labels given by hand export as before
    mixed = {"q": {"a": _label("a", 3), "b": _label("b", 1, accepted_extra(_s("b", 1, judge="qwen3 judge")))}, "r": {}}
    records = [json.loads(line) for line in to_jsonl(mixed).splitlines()]
    assert records == [
        {"query": "q", "query_id": query_id("q"), "doc": "a", "grade": 3, "text_sha1": "sha-a", "at": "2026-12-01T00:00:00Z", "source": "human"},
        {"query": "q", "query_id": query_id("q"), "doc": "b", "grade": 1, "text_sha1": "sha-b", "at": "2026-12-01T00:00:00Z",
         "source": "accepted", "judge": "qwen3 judge"},
        {"query": "r", "query_id": query_id("r"), "doc": None},
    ]
    assert json.loads(to_jsonl(plain, sources=True))["source"] == "human"


def test_suggested_qrels_hold_the_unlabeled_pairs_and_read_back(tmp_path):
    import ir_measures

    from rerank_tui.session.judgments import suggested_qrels_text
    from rerank_tui.session.query_set import query_id

    suggestions = SuggestionStore.load(tmp_path / "suggestions.jsonl")
    suggestions.add_many([_s("a", 2), _s("b", 0), _s("c", 3), _s("x", 1, query="other query"), _s("big", 9)])
    text = suggested_qrels_text(suggestions, {"q": "7"}, exclude_labeled={"q": {"b": _label("b", 3)}}, scale=range(0, 4))
    path = tmp_path / "suggested.qrels"
    path.write_text(text)
    rows = sorted((r.query_id, r.doc_id, r.relevance) for r in ir_measures.read_trec_qrels(str(path)))
    assert rows == sorted([("7", "a", 2), ("7", "c", 3), (query_id("other query"), "x", 1)])
    assert suggested_qrels_text(suggestions, None).count("\n") == 5
