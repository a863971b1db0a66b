"""Text → passage spans: headings, paragraphs, sentences, words; exact spans; linear time."""

import random
import time

import pytest

from rerank_tui.corpus.chunking import count_words, split_passages

DOC = """# DataLoader

Intro paragraph about loading.

## Workers

### `num_workers=0`

Loads data in the main process.

It never hangs in Jupyter.

```python
loader = DataLoader(ds)

next(iter(loader))
```

Setext heading
--------------

Under the setext heading.
"""


def texts(text, max_words=256, markdown=True):
    return [(s.headings, text[s.start : s.end]) for s in split_passages(text, max_words, markdown=markdown)]


def test_markdown_sections_heading_paths_and_merging():
    assert texts(DOC) == [
        (("DataLoader",), "Intro paragraph about loading."),
        (
            ("DataLoader", "Workers", "num_workers=0"),
            "Loads data in the main process.\n\nIt never hangs in Jupyter.\n\n"
            "```python\nloader = DataLoader(ds)\n\nnext(iter(loader))\n```",
        ),
        (("DataLoader", "Setext heading"), "Under the setext heading."),
    ]


def test_small_limit_splits_paragraphs_but_keeps_code_fence_whole_when_it_fits():
    parts = texts(DOC, max_words=6)
    assert (("DataLoader", "Workers", "num_workers=0"), "Loads data in the main process.") in parts
    assert (("DataLoader", "Workers", "num_workers=0"), "It never hangs in Jupyter.") in parts
    assert any(t.startswith("```python\nloader") and t.endswith("```") for _, t in parts)


def test_heading_levels_pop_back():
    doc = "# A\n\n## B\n\nb text\n\n# C\n\nc text\n\n### D\n\nd text\n"
    assert [h for h, _ in texts(doc)] == [("A", "B"), ("C",), ("C", "D")]


def test_paragraphs_of_different_sections_are_not_merged():
    doc = "## Same\n\none\n\n## Same\n\ntwo\n"
    assert [t for _, t in texts(doc)] == ["one", "two"]


def test_headings_only_document_still_gives_text():
    assert [t for _, t in texts("# Only a title\n")] == ["# Only a title"]


def test_plain_text_ignores_markdown_syntax():
    doc = "# not a heading\nsame paragraph\n\n\n  second paragraph  \n"
    assert texts(doc, markdown=False) == [((), "# not a heading\nsame paragraph\n\n\n  second paragraph")]
    assert texts(doc, max_words=6, markdown=False) == [
        ((), "# not a heading\nsame paragraph"),
        ((), "second paragraph"),
    ]


def test_long_paragraph_splits_at_sentence_ends():
    sentence = "The loader reads one batch per step. "
    para = (sentence * 40).strip()
    parts = texts(para, max_words=20, markdown=False)
    assert len(parts) == 20  # 7 words a sentence: two sentences (14 words) per passage
    assert all(t.endswith("step.") and t.startswith("The") for _, t in parts)


def test_overlong_sentence_splits_by_words():
    para = " ".join(f"w{i}" for i in range(25))
    parts = [t for _, t in texts(para, max_words=10, markdown=False)]
    assert parts == [" ".join(f"w{i}" for i in range(a, min(a + 10, 25))) for a in (0, 10, 20)]


def test_cjk_characters_count_as_words_and_split_at_cjk_sentence_ends():
    assert count_words("数据加载") == 4
    assert count_words("load 数据 fast") == 4
    assert count_words("x" * 130) == 3  # runs longer than 64 characters count as several words
    para = "数据加载很慢。" * 6
    parts = [t for _, t in texts(para, max_words=14, markdown=False)]
    assert parts == ["数据加载很慢。数据加载很慢。"] * 3


def test_merged_passages_stay_within_the_limit():
    rng = random.Random(1)
    words = ["alpha", "beta", "gamma.", "delta", "中", "文", "epsilon!", "x" * 70]
    paragraphs = [" ".join(rng.choice(words) for _ in range(rng.randrange(1, 60))) for _ in range(200)]
    doc = "\n\n".join(paragraphs)
    for max_words in (8, 50, 256):
        for span in split_passages(doc, max_words):
            assert 0 < count_words(doc, span.start, span.end) <= max_words


def test_spans_are_exact_trimmed_and_cover_all_text():
    rng = random.Random(2)
    pieces = ["# Head\n", "\n", "text here. ", "more  words ", "\r\n", "   ", "中文。", "```\n", "\t", "end!\n"]
    for _ in range(200):
        doc = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 80)))
        for markdown in (True, False):
            spans = split_passages(doc, 7, markdown=markdown)
            ends = [0]
            for s in spans:
                text = doc[s.start : s.end]
                assert text and text == text.strip()
                assert s.start >= ends[-1]  # document order, no overlap
                ends.append(s.end)
            if not markdown:  # all of a plain text lands in the passages, once, in order
                kept = "".join(doc[s.start : s.end] for s in spans)
                assert "".join(kept.split()) == "".join(doc.split())


def test_crlf_text():
    doc = "# T\r\n\r\none\r\ntwo\r\n\r\nthree\r\n"
    assert texts(doc, max_words=2) == [(("T",), "one\r\ntwo"), (("T",), "three")]


@pytest.mark.parametrize("unit", ["word ", "sentence ends here. ", "x"])
def test_five_megabyte_single_line_splits_in_linear_time(unit):
    doc = unit * (5_000_000 // len(unit))
    started = time.perf_counter()
    spans = split_passages(doc, 256)
    assert time.perf_counter() - started < 5
    assert len(spans) > 100
    assert all(count_words(doc, s.start, s.end) <= 256 for s in spans[:50])
