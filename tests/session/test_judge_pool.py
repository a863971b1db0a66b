"""Judging pools query by query: saved as it goes, cancellable, resumed from what is saved
(tiny random Qwen3 judge, real forward passes)."""

from __future__ import annotations

import pytest

from rerank_tui.rerank.errors import RerankCancelled
from rerank_tui.session.judge_pool import judge_pools
from rerank_tui.session.labels import Label
from rerank_tui.session.suggestions import SuggestionStore

POOLS = [
    ("cat dog", [("a#1", "a cat and a dog"), ("b#1", "dogs bark"), ("c#1", "the cat sleeps")]),
    ("fish water", [("d#1", "goldfish need clean water"), ("a#1", "a cat and a dog")]),
    ("bird song", [("e#1", "parrots talk {passage} and sing"), ("f#1", "")]),
]
LABELS = {"cat dog": {"b#1": Label("b#1", 2)}}


@pytest.fixture(scope="module")
def judge(tiny_model_dir):
    from rerank_tui.judge.transformers_judge import TransformersJudge
    from rerank_tui.rerank.checkpoint import resolve

    judge = TransformersJudge(resolve(str(tiny_model_dir)), grades=(0, 1, 2, 3), batch_size=2)
    yield judge
    judge.close()


def test_a_cancelled_run_keeps_its_finished_queries_and_the_next_resumes(judge, tmp_path):
    path = tmp_path / "suggestions.jsonl"
    store = SuggestionStore.load(path)
    done = []

    def progress(stats):
        done.append(stats.queries)

    with pytest.raises(RerankCancelled):
        judge_pools(judge, judge.prompt.sha1, POOLS, LABELS, store, total_queries=3, progress=progress, cancel=lambda: len(done) >= 1)
    assert done == [1]
    reread = SuggestionStore.load(path)  # on disk already, query by query
    assert set(reread.for_query("cat dog")) == {"a#1", "c#1"} and not reread.for_query("fish water")

    stats = judge_pools(judge, judge.prompt.sha1, POOLS, LABELS, reread, total_queries=3)
    assert (stats.queries, stats.cached, stats.labeled, stats.judged) == (3, 2, 1, 4)
    for query, pool in POOLS:
        docs = [(d, t) for d, t in pool if d not in LABELS.get(query, {})]
        for (doc, _), dist in zip(docs, judge.judge(query, [t for _, t in docs])):
            s = reread.get(query, doc)
            assert s.grade == dist.argmax and [p for _, p in s.probs] == pytest.approx(list(dist.probs), abs=1e-6)

    other = judge_pools(judge, "another-prompt", POOLS[:1], LABELS, reread)  # another prompt is another judgment
    assert other.judged == 2 and other.cached == 0
    assert reread.get("cat dog", "a#1").prompt == "another-prompt"
    # back to the first prompt: its earlier judgments are found (no forward pass) and current again
    labeled_too = judge_pools(judge, judge.prompt.sha1, POOLS[:1], LABELS, reread, include_labeled=True)
    assert (labeled_too.judged, labeled_too.cached, labeled_too.labeled) == (1, 2, 0)
    assert reread.get("cat dog", "a#1").prompt == judge.prompt.sha1
    from_disk = SuggestionStore.load(path)  # the same, read back from the file
    assert from_disk.get("cat dog", "a#1").prompt == judge.prompt.sha1
    assert from_disk.cached("cat dog", "a#1", judge.identity, "another-prompt", reread.get("cat dog", "a#1").text_sha1) is not None


def test_a_changed_passage_text_is_judged_again(judge, tmp_path):
    store = SuggestionStore.load(tmp_path / "s.jsonl")
    judge_pools(judge, judge.prompt.sha1, POOLS[:1], {}, store)
    changed = [("cat dog", [("a#1", "a cat and a dog, edited"), ("b#1", "dogs bark")])]
    stats = judge_pools(judge, judge.prompt.sha1, changed, {}, store)
    assert (stats.judged, stats.cached) == (1, 1)
