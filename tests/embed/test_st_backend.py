"""sentence-transformers in-process: the same vectors as a direct transformers forward pass.

Two tiny random-weight models, built offline: a BERT with mean pooling (and e5-style prompts),
and a Qwen3 laid out like Qwen3-Embedding (last-token pooling, left padding, the
`Instruct: …\\nQuery:` prompt). The reference computes pooling by hand (tests/embed/reference.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from rerank_tui.embed import DEFAULT_QUERY_INSTRUCTION, EmbedCancelled, EmbedModelNotFoundError, build_embedder
from rerank_tui.embed.st_backend import SentenceTransformerEmbedder
from tests.rerank.helpers import make_documents

from .reference import min_cosine, reference_vectors

AGREE = 1 - 1e-4
QUERIES = ["python dataloader worker error", "river history", "how do I install the package"]


def test_bert_mean_pooling_documents_and_queries_agree_with_reference(st_bert, tiny_bert):
    assert (st_bert.pooling, st_bert.dims, st_bert.max_length) == ("mean", 32, 256)
    assert st_bert.query_style == "prompt" and st_bert.default_instruction is None
    assert (st_bert.query_prompt, st_bert.document_prompt) == ("query: ", "passage: ")
    docs = make_documents(13, seed=1)
    ours = st_bert.embed_documents(docs)
    ref = reference_vectors(tiny_bert, ["passage: " + d for d in docs], pooling="mean", max_length=256)
    assert ours.dtype == np.float32 and min_cosine(ours, ref) >= AGREE
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-6)
    queries = st_bert.embed_queries(QUERIES, instruction="not used by this style")
    ref = reference_vectors(tiny_bert, ["query: " + q for q in QUERIES], pooling="mean", max_length=256)
    assert min_cosine(queries, ref) >= AGREE
    # the prompt matters: without it the vectors differ
    plain = reference_vectors(tiny_bert, QUERIES, pooling="mean", max_length=256)
    assert min_cosine(queries, plain) < 0.9999


def test_qwen3_last_token_pooling_with_left_padding_agrees_with_reference(st_qwen, tiny_qwen3_embedding):
    assert (st_qwen.pooling, st_qwen.dims) == ("lasttoken", 64)
    assert st_qwen.query_style == "instruct" and st_qwen.default_instruction == DEFAULT_QUERY_INSTRUCTION
    assert st_qwen.document_prompt == "" and st_qwen.model.tokenizer.padding_side == "left"
    eos = st_qwen.model.tokenizer.convert_tokens_to_ids("<|endoftext|>")
    assert st_qwen.model.tokenizer("river")["input_ids"][-1] == eos  # the token last-token pooling reads
    docs = make_documents(11, seed=2)  # lengths 2..60 words: real padding in every batch
    ours = st_qwen.embed_documents(docs)
    ref = reference_vectors(tiny_qwen3_embedding, docs, pooling="lasttoken")
    assert min_cosine(ours, ref) >= AGREE
    default = st_qwen.embed_queries(QUERIES)
    texts = [f"Instruct: {DEFAULT_QUERY_INSTRUCTION}\nQuery:{q}" for q in QUERIES]
    assert min_cosine(default, reference_vectors(tiny_qwen3_embedding, texts, pooling="lasttoken")) >= AGREE
    custom = st_qwen.embed_queries(QUERIES, instruction="Given a bug report, find the fix")
    texts = [f"Instruct: Given a bug report, find the fix\nQuery:{q}" for q in QUERIES]
    assert min_cosine(custom, reference_vectors(tiny_qwen3_embedding, texts, pooling="lasttoken")) >= AGREE
    assert min_cosine(custom, default) < 0.9999  # the instruction is part of the query


def test_vectors_do_not_depend_on_batching(st_qwen, st_bert):
    docs = make_documents(9, seed=3)
    for embedder in (st_qwen, st_bert):
        one = np.stack([embedder.embed_documents([d])[0] for d in docs])
        many = embedder.embed_documents(docs, batch_size=9)
        assert min_cosine(one, many) >= 1 - 1e-5


def test_truncation_to_max_length_matches_the_reference(tiny_bert, tiny_qwen3_embedding):
    long_docs = [" ".join(make_documents(8, seed=s, min_words=30)) for s in (4, 5)]
    for folder, pooling, prompt in ((tiny_bert, "mean", "passage: "), (tiny_qwen3_embedding, "lasttoken", "")):
        embedder = SentenceTransformerEmbedder(str(folder), max_length=48)
        assert embedder.max_length == 48
        ours = embedder.embed_documents(long_docs)
        ref = reference_vectors(folder, [prompt + d for d in long_docs], pooling=pooling, max_length=48)
        assert min_cosine(ours, ref) >= AGREE
        assert embedder.last_stats.tokens == 2 * 48


def test_stats_progress_cancel_and_identity(st_bert, tiny_bert):
    docs = make_documents(10, seed=6)
    seen = []
    st_bert.embed_documents(docs, batch_size=4, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(4, 10), (8, 10), (10, 10)]
    stats = st_bert.last_stats
    assert stats.items == 10 and stats.batches == 3 and stats.tokens > 10 and stats.seconds > 0
    with pytest.raises(EmbedCancelled):
        st_bert.embed_documents(docs, batch_size=4, cancel=lambda: len(seen) >= 4, progress=lambda d, t: seen.append(d))
    assert len(seen) == 4  # one batch, then the cancel
    assert st_bert.identity.startswith(f"sentence-transformers:{tiny_bert}@") and st_bert.identity.endswith(":float32")
    assert st_bert.device == "cpu" and any("CPU" in n for n in st_bert.notes)


def test_query_style_and_instruction_overrides(tiny_bert):
    forced = SentenceTransformerEmbedder(str(tiny_bert), query_style="instruct", instruction="Find code")
    assert forced.query_text("q") == "Instruct: Find code\nQuery:q"
    assert forced.document_prompt == "passage: "
    with pytest.raises(ValueError):
        SentenceTransformerEmbedder(str(tiny_bert), query_style="chat")


def test_factory_and_missing_models(tmp_path, tiny_bert):
    embedder = build_embedder("auto", str(tiny_bert), batch_size=None)
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.batch_size == 32
    with pytest.raises(EmbedModelNotFoundError, match="no such folder"):
        SentenceTransformerEmbedder(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbedModelNotFoundError, match="not a model folder"):
        SentenceTransformerEmbedder(str(tmp_path / "empty"))
    with pytest.raises(EmbedModelNotFoundError, match="HF_HUB_OFFLINE"):
        SentenceTransformerEmbedder("nobody/no-such-embedding-model")
    with pytest.raises(ValueError):
        build_embedder("faiss", "m")
    with pytest.raises(ValueError):
        build_embedder("http", "m")


def test_identity_follows_the_folder(tmp_path):
    from tests.support.tiny_bert import build_tiny_bert

    a = SentenceTransformerEmbedder(str(build_tiny_bert(tmp_path / "a", seed=0)))
    b = SentenceTransformerEmbedder(str(build_tiny_bert(tmp_path / "b", seed=0, pooling="cls")))
    assert b.pooling == "cls" and a.pooling == "mean"
    assert a.identity.split("@")[1] != b.identity.split("@")[1]  # the pooling config is in the digest


def test_out_of_memory_halves_the_batch_down_to_one(tiny_bert, monkeypatch):
    from rerank_tui.embed import EmbedOutOfMemoryError

    embedder = SentenceTransformerEmbedder(str(tiny_bert), batch_size=8)
    real = embedder._encode
    sizes = []

    def tight(texts, prompt, kind):
        sizes.append(len(texts))
        if len(texts) > 2:
            raise embedder._oom_error("CUDA out of memory (simulated)")
        return real(texts, prompt, kind)

    monkeypatch.setattr(embedder, "_encode", tight)
    docs = make_documents(8, seed=10)
    out = embedder.embed_documents(docs)
    assert embedder.batch_size == 2 and sizes[:3] == [8, 4, 2]
    monkeypatch.setattr(embedder, "_encode", real)
    assert min_cosine(out, embedder.embed_documents(docs)) >= 1 - 1e-5

    def never(texts, prompt, kind):
        raise embedder._oom_error("simulated")

    monkeypatch.setattr(embedder, "_encode", never)
    with pytest.raises(EmbedOutOfMemoryError, match="one text"):
        embedder.embed_documents(["a", "b"])


def test_a_max_length_past_the_model_is_capped_with_a_note(tiny_bert):
    embedder = SentenceTransformerEmbedder(str(tiny_bert), max_length=100_000)
    assert embedder.max_length == 512 and any("using 512" in n for n in embedder.notes)
