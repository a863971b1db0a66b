"""A model folder's settings, read with json alone, in both sentence-transformers layouts."""

from __future__ import annotations

import json

from rerank_tui.embed.st_config import read_st_settings
from tests.embed.tiny_qwen3_embedding import QUERY_PROMPT


def test_classic_layout(tiny_bert, tiny_qwen3_embedding):
    bert = read_st_settings(tiny_bert)
    assert (bert.pooling, bert.max_seq_length, bert.query_prompt, bert.document_prompt) == ("mean", 256, "query: ", "passage: ")
    assert bert.tokenizer_file == tiny_bert / "tokenizer.json"
    qwen = read_st_settings(tiny_qwen3_embedding)
    assert (qwen.pooling, qwen.query_prompt, qwen.document_prompt) == ("lasttoken", QUERY_PROMPT, "")


def test_layout_written_by_this_sentence_transformers(tiny_bert, tmp_path):
    from sentence_transformers import SentenceTransformer

    SentenceTransformer(str(tiny_bert), device="cpu").save(str(tmp_path / "saved"))
    saved = read_st_settings(tmp_path / "saved")
    assert (saved.pooling, saved.max_seq_length, saved.query_prompt, saved.document_prompt) == ("mean", 256, "query: ", "passage: ")


def test_missing_and_broken_files_say_nothing(tmp_path):
    empty = read_st_settings(tmp_path)
    assert (empty.pooling, empty.max_seq_length, empty.prompts, empty.tokenizer_file) == (None, None, {}, None)
    (tmp_path / "config_sentence_transformers.json").write_text("{broken")
    (tmp_path / "modules.json").write_text(json.dumps({"not": "a list"}))
    assert read_st_settings(tmp_path).prompts == {}
    (tmp_path / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"retrieval": "Represent this: "}, "default_prompt_name": "retrieval"})
    )
    fallback = read_st_settings(tmp_path)
    assert fallback.query_prompt == fallback.document_prompt == "Represent this: "
