"""The prompt strings and document-only truncation, without a model."""

from __future__ import annotations

import pytest

from rerank_tui.rerank import prompt
from rerank_tui.rerank.errors import PromptTooLongError

from . import reference


def test_strings_are_the_official_ones():
    assert prompt.PREFIX == reference.PREFIX
    assert prompt.SUFFIX == reference.SUFFIX
    assert prompt.DEFAULT_INSTRUCTION == reference.INSTRUCTION
    assert prompt.full_prompt("q", "d") == reference.prompt("q", "d")
    assert prompt.full_prompt("q", "d", "be strict") == reference.prompt("q", "d", "be strict")


def test_vllm_split_concatenates_to_the_full_prompt():
    for instruction in (None, "", "Judge as a Python engineer"):
        q, d = "how to pad\nbatches", "Left padding keeps the last token aligned."
        assert prompt.query_side(q, instruction) + prompt.document_side(d) == prompt.full_prompt(q, d, instruction)
    assert prompt.query_side("q").endswith("<Query>: q\n")
    assert prompt.document_side("d").startswith("<Document>: d<|im_end|>")


def test_empty_instruction_is_kept_not_defaulted():
    assert "<Instruct>: \n" in prompt.full_prompt("q", "d", "")


def _char_encoder(text):
    """One token per character: easy to reason about budgets."""
    return [ord(c) for c in text], [(i, i + 1) for i in range(len(text))]


def test_fit_document_keeps_everything_but_the_document_tail():
    head = prompt.head("query", "instr") + prompt.DOCUMENT_TAG
    doc = "x" * 100
    kept, ids = prompt.fit_document(_char_encoder, "query", doc, "instr", len(head) + 10)
    assert kept == "x" * 10
    assert len(ids) == len(head) + 10
    assert "".join(map(chr, ids)) == head + kept
    short, ids = prompt.fit_document(_char_encoder, "query", "abc", "instr", 10_000)
    assert short == "abc" and len(ids) == len(head) + 3


def test_fit_document_refuses_to_cut_the_query():
    with pytest.raises(PromptTooLongError) as info:
        prompt.fit_document(_char_encoder, "a long query " * 10, "doc", None, 20)
    assert "max-length" in str(info.value)
