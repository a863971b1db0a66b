"""The transformers backend on the tiny model: every score from a real forward pass."""

from __future__ import annotations

import math
import threading

import pytest

from rerank_tui.rerank import Ranking, RankResult, RerankCancelled, RerankOutOfMemoryError
from rerank_tui.rerank.checkpoint import resolve
from rerank_tui.rerank.prompt import PREFIX, SUFFIX, head
from rerank_tui.rerank.transformers_backend import TransformersReranker

from .helpers import QUERY, make_documents
from .reference import Reference


@pytest.fixture(scope="module")
def ref(tiny_model):
    return Reference(tiny_model)


def test_scores_are_probabilities_and_spread(tiny_reranker):
    scores = tiny_reranker.score(QUERY, make_documents(40))
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert max(scores) - min(scores) > 0.3  # a constant output would hide ordering bugs


def test_batched_equals_one_at_a_time(tiny_reranker):
    docs = make_documents(24, seed=1, max_words=120)  # lengths vary: padding in every batch
    ranking = tiny_reranker.rank(QUERY, docs)
    batched = ranking.scores(len(docs))
    assert ranking.stats.batches == 3 and batched == tiny_reranker.score(QUERY, docs)
    single = [tiny_reranker.score(QUERY, [d])[0] for d in docs]
    assert max(abs(a - b) for a, b in zip(batched, single)) <= 1e-5


def test_agrees_with_an_independent_reference(tiny_reranker, ref):
    docs = make_documents(20, seed=2)
    for instruction in (None, "Prefer passages with runnable code"):
        ours = tiny_reranker.score(QUERY, docs, instruction)
        theirs = [ref.score(QUERY, d, instruction) for d in docs]
        assert max(abs(a - b) for a, b in zip(ours, theirs)) <= 1e-5
        # and the tokens are exactly those of the whole prompt tokenized as one string
        assert tiny_reranker.encode_pair(QUERY, docs[0], instruction) == ref.ids(QUERY, docs[0], instruction)


def test_long_document_is_cut_but_prompt_kept(tiny_reranker, ref):
    tok = tiny_reranker.tokenizer
    long_doc = " ".join(make_documents(30, seed=3, min_words=40))
    assert len(ref.ids(QUERY, long_doc)) > 2 * tiny_reranker.max_length
    ids = tiny_reranker.encode_pair(QUERY, long_doc, "my instruction")
    assert tiny_reranker.max_length - 3 <= len(ids) <= tiny_reranker.max_length
    prefix_ids = tok.encode(PREFIX, add_special_tokens=False)
    head_ids = tok.encode(PREFIX + head(QUERY, "my instruction") + "<Document>:", add_special_tokens=False)
    suffix_ids = tok.encode(SUFFIX, add_special_tokens=False)
    assert ids[: len(prefix_ids)] == prefix_ids
    assert ids[: len(head_ids)] == head_ids  # prefix, instruction, query: all there
    assert ids[-len(suffix_ids) :] == suffix_ids
    # the document part is the beginning of the document
    kept = tok.decode(ids[len(head_ids) : -len(suffix_ids)])
    assert long_doc.startswith(kept.strip()[:200])
    # and its score is the reference's score of exactly those ids
    score = tiny_reranker.score(QUERY, [long_doc], "my instruction")[0]
    assert abs(score - ref.score_ids(ids)) <= 1e-5


def test_rank_best_first_with_top_k(tiny_reranker):
    docs = make_documents(12, seed=4)
    scores = tiny_reranker.score(QUERY, docs)
    ranking = tiny_reranker.rank(QUERY, docs, top_k=5)
    assert isinstance(ranking, Ranking) and ranking.stats.pairs == 12
    ranked = ranking.results
    assert len(ranked) == 5 and all(isinstance(r, RankResult) for r in ranked)
    assert [r.index for r in ranked] == sorted(range(12), key=lambda i: -scores[i])[:5]
    assert all(math.isclose(r.score, scores[r.index], abs_tol=1e-6) for r in ranked)
    assert tiny_reranker.rank(QUERY, []).results == [] and tiny_reranker.score(QUERY, []) == []
    assert tiny_reranker.rank(QUERY, [], top_k=3).stats.pairs == 0


def test_ties_keep_input_order_and_unscored_sort_last():
    from rerank_tui.rerank import rank_scores

    ranked = rank_scores([0.5, None, 0.9, 0.5])
    assert [r.index for r in ranked] == [2, 0, 3, 1] and ranked[-1].score is None


def test_stats_count_pairs_tokens_batches(tiny_reranker):
    docs = make_documents(10, seed=5)
    stats = tiny_reranker.rank(QUERY, docs).stats
    assert stats.pairs == 10 and stats.batches == 2 and stats.cache_hits == 0
    assert stats.tokens == sum(len(tiny_reranker.encode_pair(QUERY, d, None)) for d in docs)
    assert stats.seconds > 0 and stats.waited == 0.0


def test_batches_are_sorted_by_length(tiny_reranker, monkeypatch):
    widths = []
    forward = tiny_reranker._forward
    monkeypatch.setattr(tiny_reranker, "_forward", lambda rows: widths.append([len(r) for r in rows]) or forward(rows))
    tiny_reranker.score(QUERY, make_documents(32, seed=6, max_words=100))
    flat = [w for batch in widths for w in batch]
    assert flat == sorted(flat, reverse=True)


def test_cancel_between_batches(tiny_reranker, monkeypatch):
    stop = threading.Event()
    calls = []
    forward = tiny_reranker._forward

    def spy(rows):
        calls.append(len(rows))
        stop.set()  # the user presses Esc while the first batch runs
        return forward(rows)

    monkeypatch.setattr(tiny_reranker, "_forward", spy)
    with pytest.raises(RerankCancelled):
        tiny_reranker.score(QUERY, make_documents(30), cancel=stop.is_set)
    assert calls == [8]
    with pytest.raises(RerankCancelled):
        tiny_reranker.score(QUERY, make_documents(3), cancel=lambda: True)
    assert calls == [8]  # a cancel set before the call runs no forward at all


def test_out_of_memory_halves_the_batch(tiny_model, monkeypatch):
    import torch

    reranker = TransformersReranker(resolve(str(tiny_model)), max_length=512, batch_size=8)
    docs = make_documents(10, seed=7)
    expected = reranker.score(QUERY, docs)
    forward = reranker._forward
    sizes = []

    def small_memory(rows):
        sizes.append(len(rows))
        if len(rows) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return forward(rows)

    monkeypatch.setattr(reranker, "_forward", small_memory)
    got = reranker.score(QUERY, docs)
    assert max(abs(a - b) for a, b in zip(expected, got)) <= 1e-6
    assert reranker.batch_size == 2 and sizes[:3] == [8, 4, 2]

    monkeypatch.setattr(reranker, "_forward", lambda rows: (_ for _ in ()).throw(torch.OutOfMemoryError("oom")))
    with pytest.raises(RerankOutOfMemoryError) as info:
        reranker.score(QUERY, docs)
    assert "out of memory" in str(info.value) and "hint:" in str(info.value)
    assert reranker.batch_size == 1


def test_device_is_a_string_for_display(tiny_reranker):
    assert tiny_reranker.device == "cpu" and not tiny_reranker.thread_safe


def test_encoding_ignores_padding_left_on_by_other_tokenizer_calls(tiny_reranker):
    docs = ["short one", "a somewhat longer document " * 5]
    alone = [tiny_reranker.encode_pair(QUERY, d, None) for d in docs]
    tiny_reranker.tokenizer(docs, padding=True)  # switches padding on in the HF backend tokenizer
    assert tiny_reranker.encode_pairs(QUERY, docs, None) == alone
