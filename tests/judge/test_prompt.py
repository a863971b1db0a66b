"""The judge's prompt: rendering in one pass, the scale text, prompt files and their errors."""

from __future__ import annotations

import re

import pytest

from rerank_tui.judge.errors import JudgePromptError
from rerank_tui.judge.prompt import DEFAULT_MEANINGS, DEFAULT_TEMPLATE, JudgePrompt, chatml, load_prompt, scale_text

GRADES = (0, 1, 2, 3)


def test_default_prompt_has_the_scale_query_passage_and_asks_for_the_grade_only():
    prompt = load_prompt(None)
    assert prompt.template == DEFAULT_TEMPLATE and prompt.source == "default"
    assert re.fullmatch(r"[0-9a-f]{12}", prompt.sha1)
    text = prompt.render("what is BM25", "BM25 is a ranking function.", GRADES)
    assert "Query: what is BM25" in text and "Passage: BM25 is a ranking function." in text
    for g in GRADES:
        assert f"{g} = {DEFAULT_MEANINGS[g]}" in text
    assert text.rstrip().endswith("a single number from 0 to 3.")
    assert "{" not in text  # every placeholder filled


def test_other_scales_name_their_ends_or_use_the_given_names():
    assert scale_text((1, 2, 3, 4)) == "1 = not relevant\n2\n3\n4 = perfectly relevant"
    assert scale_text((1, 2, 3, 4), {2: "on topic", 3: "useful"}) == "1 = not relevant\n2 = on topic\n3 = useful\n4 = perfectly relevant"
    assert scale_text(GRADES, {3: "perfect"}).splitlines()[-1] == "3 = perfect"
    assert "from 1 to 4" in load_prompt(None).render("q", "p", (1, 2, 3, 4))


def test_placeholders_inside_the_data_stay_literal():
    passage = 'json {"a": {1}} and {query} and {passage} {scale}\x00\x1b[31m'
    query = "find {passage} {low}"
    text = load_prompt(None).render(query, passage, GRADES)
    assert f"Query: {query}\n" in text and f"Passage: {passage}\n" in text
    assert text.count("{passage}") == 2 and text.count("{query}") == 1


def test_chatml_wraps_one_user_turn_with_thinking_off():
    assert chatml("hi") == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"


def test_a_custom_prompt_file_changes_the_sha1_and_the_text(tmp_path):
    path = tmp_path / "judge.txt"
    path.write_text("Grade {passage} for {query} on {low}..{high}:\n{scale}\n", encoding="utf-8")
    custom = load_prompt(path)
    assert custom.source == str(path) and custom.template.endswith("{scale}")  # the file's final newline dropped
    assert custom.sha1 != load_prompt(None).sha1 and custom.sha1 == JudgePrompt(custom.template).sha1
    assert custom.render("Q", "P", (1, 2)) == "Grade P for Q on 1..2:\n1 = not relevant\n2 = perfectly relevant"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("Grade this for {query}.", "lacks the {passage} placeholder"),
        ("{passage} only", "lacks the {query} placeholder"),
        ("{query} {passage} {grade}", "unknown placeholder {grade}"),
        ("  \n\t\n", "is empty"),
        (b"{query} {passage} \xff\xfe caf\xe9", "is not UTF-8"),
    ],
)
def test_prompt_file_errors_are_one_clear_line(tmp_path, content, words):
    path = tmp_path / "bad.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(JudgePromptError) as info:
        load_prompt(path)
    message = str(info.value)
    assert words in message and str(path) in message and "\n" not in message
    assert info.value.path == str(path)


def test_a_missing_prompt_file_is_a_prompt_error(tmp_path):
    with pytest.raises(JudgePromptError, match="cannot be read"):
        load_prompt(tmp_path / "nope.txt")


def test_literal_braces_in_a_template_are_kept(tmp_path):
    path = tmp_path / "json.txt"
    path.write_text('Answer as {"grade": N}. {query} / {passage}', encoding="utf-8")
    assert load_prompt(path).render("q", "p", GRADES) == 'Answer as {"grade": N}. q / p'
