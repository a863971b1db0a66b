"""Pasted candidates: scored as given, the prompt a pair becomes, documents files."""

import io
from types import SimpleNamespace

import pytest

from rerank_tui.rerank.prompt import full_prompt
from rerank_tui.session import scratch
from rerank_tui.session.judgment_readers import JudgmentFileError
from rerank_tui.session.scratch import pair_prompt, parse_documents, prompt_tokenizer, read_documents, score_documents

QUERY = "dataloader worker hangs"
INSTRUCTION = "Given a python error, retrieve the answer"
DOCS = [
    "the dataloader worker thread hangs in python",
    "river mountain history",
    "pytorch dataloader error with worker process",
    "music language water energy",
]


@pytest.fixture(scope="module")
def reranker(tiny_model_dir):
    from rerank_tui.rerank import build_reranker

    model = build_reranker("transformers", str(tiny_model_dir), cache=False)
    yield model
    model.close()


@pytest.fixture(scope="module")
def short_reranker(tiny_model_dir):
    from rerank_tui.rerank import build_reranker

    model = build_reranker("transformers", str(tiny_model_dir), cache=False, max_length=80)
    yield model
    model.close()


def test_documents_are_scored_as_given_in_the_models_order(reranker):
    scored, stats = score_documents(reranker, QUERY, DOCS, INSTRUCTION)
    expected = reranker.score(QUERY, DOCS, INSTRUCTION)
    order = sorted(range(len(DOCS)), key=lambda i: -expected[i])
    assert [s.index for s in scored] == order
    assert [s.rank for s in scored] == [1, 2, 3, 4]
    assert [s.document for s in scored] == [DOCS[i] for i in order]
    assert [s.score for s in scored] == pytest.approx([expected[i] for i in order], abs=1e-6)
    assert stats.pairs == 4


def test_the_prompt_is_what_the_model_reads(reranker):
    prompt = pair_prompt(reranker, QUERY, DOCS[0], INSTRUCTION)
    ids = reranker.encode_pair(QUERY, DOCS[0], INSTRUCTION)
    assert prompt.text == full_prompt(QUERY, DOCS[0], INSTRUCTION)
    assert reranker.tokenizer.decode(ids) == prompt.text
    assert prompt.tokens == len(ids)
    assert prompt.truncated is False and prompt.document == DOCS[0]
    assert prompt.max_length == reranker.max_length


def test_a_long_document_is_cut_as_the_backend_cuts_it(short_reranker):
    long_document = " ".join(DOCS * 20)
    prompt = pair_prompt(short_reranker, QUERY, long_document, INSTRUCTION)
    ids = short_reranker.encode_pair(QUERY, long_document, INSTRUCTION)
    assert prompt.truncated is True and long_document.startswith(prompt.document) and prompt.document != long_document
    assert prompt.tokens == len(ids) <= 80
    assert short_reranker.tokenizer.decode(ids) == prompt.text == full_prompt(QUERY, prompt.document, INSTRUCTION)


def test_the_tokenizer_is_found_behind_the_score_cache_and_in_a_cascade(reranker, tmp_path):
    from rerank_tui.rerank.score_cache import CachedReranker, ScoreCache

    cached = CachedReranker(reranker, ScoreCache(tmp_path / "scores.sqlite"))
    assert prompt_tokenizer(cached) == (reranker.tokenizer, reranker.max_length)
    assert pair_prompt(cached, QUERY, DOCS[1]).tokens == len(reranker.encode_pair(QUERY, DOCS[1], None))
    cascade = SimpleNamespace(small=SimpleNamespace(), large=cached, max_length=reranker.max_length)
    assert prompt_tokenizer(cascade)[0] is reranker.tokenizer


def test_without_a_tokenizer_the_count_is_unknown():
    remote = SimpleNamespace(max_length=4096)  # the http backend keeps its tokenizer private
    prompt = pair_prompt(remote, QUERY, DOCS[0])
    assert prompt.tokens is None and prompt.text == full_prompt(QUERY, DOCS[0])
    assert prompt.truncated is False  # fewer bytes than max_length: it surely fits
    assert pair_prompt(remote, QUERY, "word " * 1000).truncated is None


def test_paragraphs_are_documents_kept_as_written():
    text = "\n\nfirst paragraph\n  second line \n\n\n\nsecond\r\n\n   \nthird {not json}"
    assert parse_documents(text, "docs.txt", "paragraphs") == ["first paragraph\n  second line ", "second", "third {not json}"]
    assert parse_documents(text, "-") == ["first paragraph\n  second line ", "second", "third {not json}"]  # sniffed


def test_jsonl_documents_take_their_text():
    lines = '\n{"id": 1, "text": "alpha\\nbeta", "meta": {"a": [1]}}\n\n{"text": "gamma"}\n'
    assert parse_documents(lines, "docs.jsonl", "jsonl") == ["alpha\nbeta", "gamma"]
    assert parse_documents(lines, "-") == ["alpha\nbeta", "gamma"]  # sniffed from its first line


@pytest.mark.parametrize(
    "text, fmt, message",
    [
        ('{"text": "a"}\n{"title": "b"}\n', "jsonl", "d:2: expected an object with a `text` string"),
        ('{"text": "a"}\nnot json\n', "jsonl", "d:2: not JSON"),
        ('{"text": "a"}\n{"text": "  "}\n', "jsonl", "d:2: the document is empty"),
        ('{"text": "a"}\n["text"]\n', "jsonl", "d:2: expected an object"),
        ('{"text": "\\ud800"}\n', "jsonl", "d:1: `text` holds a lone surrogate"),
    ],
)
def test_a_bad_line_is_refused_with_its_number(text, fmt, message):
    with pytest.raises(JudgmentFileError) as caught:
        parse_documents(text, "d", fmt)
    assert str(caught.value).startswith(message)


def test_limits_name_the_line(monkeypatch):
    monkeypatch.setattr(scratch, "MAX_DOCUMENTS", 2)
    with pytest.raises(JudgmentFileError, match=r"^d:5: more than 2 documents"):
        parse_documents("a\n\nb\n\nc\n", "d", "paragraphs")
    monkeypatch.setattr(scratch, "MAX_DOCUMENT_CHARS", 10)
    with pytest.raises(JudgmentFileError, match=r"^d:3: the document is longer than 10 characters"):
        parse_documents("short\n\nlonger than\nten\n", "d", "paragraphs")
    with pytest.raises(JudgmentFileError, match=r"^d:1: the document is longer"):
        parse_documents('{"text": "eleven chars"}\n', "d", "jsonl")


def test_files_by_name_and_standard_input(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text('{"text": "looks like JSON"}\n\nplain\n', encoding="utf-8")
    assert read_documents(tmp_path / "a.txt") == ['{"text": "looks like JSON"}', "plain"]  # .txt: paragraphs
    (tmp_path / "b.jsonl").write_bytes(b'\xef\xbb\xbf{"text": "x"}\n')  # a BOM is dropped
    assert read_documents(tmp_path / "b.jsonl") == ["x"]
    (tmp_path / "c.jsonl").write_bytes(b'{"text": "x"}\n{"text": "\xff"}\n')
    with pytest.raises(JudgmentFileError, match=r"c.jsonl:2: not UTF-8"):
        read_documents(tmp_path / "c.jsonl")
    monkeypatch.setattr("sys.stdin", io.StringIO("one\n\ntwo\n"))
    assert read_documents("-") == ["one", "two"]
    monkeypatch.setattr(scratch, "MAX_IMPORT_BYTES", 4)
    with pytest.raises(JudgmentFileError, match=r"a.txt:0: the file has"):
        read_documents(tmp_path / "a.txt")
