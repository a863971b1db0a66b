import pytest

from rerank_tui.recall.engines import BM25Params
from rerank_tui.recall.index import Index
from tests.recall.helpers import passages

DOCS = passages(
    "Set num_workers=0 in the DataLoader when it hangs inside Jupyter on macOS.",
    "Pin memory speeds host to device copies; pin_memory=True in the DataLoader.",
    "useEffect cleanup runs before the next effect and on unmount.",
    "vLLM gpu_memory_utilization sets the share of GPU memory for weights and KV cache.",
    "PyTorch 数据加载：在 Jupyter 中将 num_workers 设为 0 可以避免卡住。",
    "Linux 常用命令：使用 find 和 xargs 批量处理文件。",
)


@pytest.fixture(scope="module", params=["bm25s", "rank-bm25"])
def index(request):
    return Index.build(DOCS, engine=request.param)


def test_best_match_first_and_ranks_are_one_based(index):
    hits = index.search("DataLoader hangs in Jupyter", k=3)
    assert hits[0].passage.id == "doc0.md#1"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_only_passages_sharing_a_term_are_returned(index):
    hits = index.search("useEffect cleanup", k=10)
    assert [h.passage.id for h in hits] == ["doc2.md#1"]


def test_k_limits_the_hits(index):
    assert len(index.search("DataLoader", k=1)) == 1
    assert index.search("DataLoader", k=0) == []


def test_query_without_known_terms_gives_nothing(index):
    assert index.search("zebra", k=5) == []
    assert index.search("the of and", k=5) == []


def test_identifier_parts_match_words(index):
    # "data loader" as two words finds "DataLoader"; "pin memory" finds pin_memory.
    assert index.search("data loader", k=1)[0].passage.id in {"doc0.md#1", "doc1.md#1"}
    assert index.search("pin memory", k=1)[0].passage.id == "doc1.md#1"


def test_chinese_query_finds_chinese_text_without_spaces(index):
    hits = index.search("数据加载卡住", k=2)
    assert hits[0].passage.id == "doc4.md#1"
    assert index.search("批量处理", k=1)[0].passage.id == "doc5.md#1"


def test_ties_are_broken_by_passage_order():
    twins = passages("same words here", "other", "same words here", "same words here")
    ids = [h.passage.id for h in Index.build(twins).search("same words", k=2)]
    assert ids == ["doc0.md#1", "doc2.md#1"]


def test_title_is_searchable():
    docs = passages("body text only") + passages("nothing", title="Troubleshooting guide")
    docs[1] = docs[1].__class__("t.md#1", "t.md", "Troubleshooting guide", "nothing")
    assert Index.build(docs).search("troubleshooting", k=1)[0].passage.id == "t.md#1"


def test_bad_params_are_rejected():
    with pytest.raises(ValueError):
        BM25Params(b=2)
    with pytest.raises(ValueError):
        BM25Params(method="tfidf")


def test_top_candidates_are_exactly_the_k_best_with_ties():
    import numpy as np

    from rerank_tui.recall.index import top_candidates

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 3000))
        scores = np.where(rng.random(n) < 0.3, 0.0, rng.choice([0.5, 1.0, 2.0, 7.0], n) * rng.random(n).round(1))
        k = int(rng.integers(1, 150))
        positive = scores[scores > 0]
        if positive.size == 0:
            assert top_candidates(scores, k).size == 0
            continue
        kth = np.sort(positive)[-min(k, positive.size)]
        expect = np.flatnonzero((scores >= kth) & (scores > 0))
        np.testing.assert_array_equal(np.sort(top_candidates(scores, k)), expect)
