"""A snapshot's recall configuration as plain data, old forms read back, and its short form."""

import hashlib
from types import SimpleNamespace

import pytest

from rerank_tui.corpus.passage import Passage
from rerank_tui.recall import BM25Params
from rerank_tui.recall.index import Index
from rerank_tui.session.recall_config import describe_recall, file_sha1, read_recall, recall_config, run_description
from rerank_tui.session.recall_run import parse_recall_run, run_candidates
from rerank_tui.session.recall_sources import Fusion
from rerank_tui.session.snapshots import load_snapshot, save_snapshot

# What an HTTP embedder exposes (no vectors are computed here: only its description is read).
HTTP_EMBEDDER = SimpleNamespace(
    identity="http:Qwen/Qwen3-Embedding-8B", model="Qwen/Qwen3-Embedding-8B", base_url="http://gpu:8001",
    dims=4096, pooling="server", max_length=0, query_style="instruct", default_instruction="Find passages",
)


@pytest.fixture(scope="module")
def index():
    texts = {"d1": "the dataloader hangs", "d2": "bananas are yellow", "d3": "the dataloader is a class"}
    return Index.build([Passage(id=k, doc=k, title="", text=v) for k, v in texts.items()], params=BM25Params(k1=0.9, b=0.4))


def test_bm25_from_an_index_or_its_params():
    built = Index.build([Passage(id="d", doc="d", title="", text="a b")], engine="rank-bm25")
    assert recall_config("bm25", built) == {"kind": "bm25", "bm25": {"engine": "rank-bm25", "k1": 1.2, "b": 0.75, "method": "lucene"}}
    params = BM25Params(k1=2, b=1, method="robertson")
    assert recall_config("bm25", params, engine="bm25s")["bm25"] == {"engine": "bm25s", "k1": 2.0, "b": 1.0, "method": "robertson"}
    assert recall_config("bm25")["bm25"] == {"engine": "bm25s", "k1": 1.2, "b": 0.75, "method": "lucene"}
    assert describe_recall(recall_config("bm25")) == "bm25"
    assert describe_recall(recall_config("bm25", params)) == "bm25 k1=2 b=1 robertson"
    assert describe_recall(recall_config("bm25", built)) == "bm25 rank-bm25"


def test_dense_and_hybrid_describe_the_embedder_and_the_fusion(index):
    dense = recall_config("dense", index, embedder=HTTP_EMBEDDER)
    assert dense["kind"] == "dense" and dense["bm25"]["k1"] == 0.9
    assert dense["embedder"] == {
        "identity": "http:Qwen/Qwen3-Embedding-8B", "model": "Qwen/Qwen3-Embedding-8B", "backend": "http",
        "url": "http://gpu:8001", "dims": 4096, "pooling": "server", "max_length": 0, "query_instruction": "Find passages",
    }
    assert recall_config("dense", index, embedder=HTTP_EMBEDDER, query_instruction="Other")["embedder"]["query_instruction"] == "Other"
    assert describe_recall(dense) == "dense Qwen3-Embedding-8B"

    rrf = recall_config("hybrid", index, embedder=HTTP_EMBEDDER, fusion=Fusion("rrf", 60.0, 0.5))
    assert rrf["fusion"] == {"method": "rrf", "rrf_k": 60.0}
    assert describe_recall(rrf) == "hybrid rrf k=60 · Qwen3-Embedding-8B"
    linear = recall_config("hybrid", index, embedder=HTTP_EMBEDDER, fusion=Fusion("linear", 60.0, 0.3))
    assert linear["fusion"] == {"method": "linear", "alpha": 0.3}
    assert describe_recall(linear) == "hybrid linear alpha=0.3 · Qwen3-Embedding-8B"
    assert recall_config("hybrid", index, embedder=HTTP_EMBEDDER)["fusion"] == {"method": "rrf", "rrf_k": 60.0}  # Fusion()'s

    prompt_style = SimpleNamespace(identity="sentence-transformers:/m/all-MiniLM-L6-v2@abc:float32", name="/m/all-MiniLM-L6-v2/",
                                   model=object(), dims=384, pooling="mean", max_length=256, query_style="prompt")
    config = recall_config("dense", None, embedder=prompt_style, query_instruction="ignored by the model")["embedder"]
    assert config["backend"] == "sentence-transformers" and config["model"] == "/m/all-MiniLM-L6-v2/" and "url" not in config
    assert config["query_instruction"] is None  # a prompt-style model takes no task
    assert describe_recall({"kind": "dense", "embedder": config}) == "dense all-MiniLM-L6-v2"


def test_a_kind_missing_what_it_needs_is_refused(index):
    with pytest.raises(ValueError, match="needs an embedder"):
        recall_config("hybrid", index)
    with pytest.raises(ValueError, match="run_description"):
        recall_config("run", index)
    with pytest.raises(ValueError, match="use one of"):
        recall_config("sparse", index)


def test_run_description_counts_against_the_snapshot_queries(tmp_path, index):
    text = "q1 Q0 d1 1 9 prod\nq1 Q0 nowhere 2 8 prod\nq1 Q0 d3 3 7 prod\nq2 Q0 d2 1 5 prod\n"
    path = tmp_path / "prod.trec"
    path.write_text(text)
    qids = ["q1", "q2", "q3"]
    candidates = run_candidates(parse_recall_run(text, str(path), wanted=set(qids)), index, set(qids))
    run = run_description(path, candidates, qids)
    assert run == {
        "path": str(path), "sha1": hashlib.sha1(text.encode()).hexdigest(),
        "queries_with_run": 2, "queries_without_run": 1, "unknown_doc_ids": 1,
    }
    config = recall_config("run", index, run=run)
    assert config["bm25"]["k1"] == 0.9 and config["run"] == run  # BM25: what q3 got
    assert describe_recall(config) == "run prod.trec"
    assert file_sha1("-") is None and file_sha1(tmp_path / "absent") is None
    assert describe_recall({"kind": "run", "run": {"path": "-"}}) == "run <stdin>"


def test_old_forms_read_as_bm25_and_odd_ones_never_fail():
    old = {"corpus": "c", "recall": {"engine": "bm25s", "k1": 0.9, "b": 0.75, "method": "lucene"}, "model": None}
    assert read_recall(old) == {"kind": "bm25", "bm25": {"engine": "bm25s", "k1": 0.9, "b": 0.75, "method": "lucene"}}
    assert describe_recall(old) == describe_recall(old["recall"]) == "bm25 k1=0.9"
    app_old = {"recall": {"k1": 1.2, "b": 0.75, "method": "lucene"}, "from": "app"}
    assert describe_recall(app_old) == describe_recall({"recall": {"engine": "bm25s"}}) == "bm25"
    assert describe_recall({"corpus": "c"}) == describe_recall({}) == describe_recall({"recall": None}) == "bm25"
    for odd in ({"recall": 5}, {"recall": {"kind": 3}}, None, "text", {"recall": {"kind": "hybrid", "fusion": {"method": "rrf", "rrf_k": "x"}}}):
        assert isinstance(describe_recall(odd), str)
    assert describe_recall({"recall": {"kind": "dense", "embedder": 3}}) == "dense ?"
    assert describe_recall({"recall": {"kind": "later-kind"}}) == "later-kind"


def test_the_config_is_plain_yaml_that_a_snapshot_keeps(tmp_path, index):
    recall = recall_config("hybrid", index, embedder=HTTP_EMBEDDER, fusion=Fusion("linear", 60.0, 0.25))
    save_snapshot(tmp_path, "h", {"corpus": "c", "recall": recall}, {"q1": "dataloader"}, {"q1": [("d1", 1.0)]})
    loaded = load_snapshot(tmp_path, "h")
    assert loaded.config["recall"] == recall
    assert describe_recall(loaded.config) == "hybrid linear alpha=0.25 · Qwen3-Embedding-8B"
