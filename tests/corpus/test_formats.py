"""Folder files and JSONL/BEIR records → passages, and per-file skip reasons."""

import json
import os

import pytest

from rerank_tui.corpus import CorpusOptions, load_corpus
from rerank_tui.corpus.decode import decode_bytes
from rerank_tui.corpus.formats import read_file, read_jsonl
from rerank_tui.corpus.html_text import html_to_text
from rerank_tui.corpus.walk import walk

OPTIONS = CorpusOptions()


def entry(path):
    (found,) = [e for e in walk(path.parent) if e.path.endswith(os.sep + path.name)]
    return found


def test_markdown_file_passages_ids_titles_spans(tmp_path):
    doc = tmp_path / "dataloader.md"
    doc.write_text(
        "# DataLoader\n\nIntro.\n\n## Workers\n\n### num_workers=0\n\nMain process loading.\n",
        encoding="utf-8",
    )
    passages = read_file(entry(doc), OPTIONS)
    assert [p.id for p in passages] == ["dataloader.md#1", "dataloader.md#2"]
    assert passages[1].title == "dataloader.md › DataLoader › Workers › num_workers=0"
    assert passages[1].text == "Main process loading." and passages[1].doc == "dataloader.md"
    decoded = doc.read_text(encoding="utf-8")
    assert all(decoded[p.start : p.end] == p.text for p in passages)


def test_spans_index_the_decoded_text_not_the_bytes(tmp_path):
    doc = tmp_path / "zh.txt"
    text = "数据加载。\n\n第二段：卡住了。\n"
    doc.write_bytes(text.encode("gb18030"))
    passages = read_file(entry(doc), CorpusOptions(max_passage_words=4))
    decoded = decode_bytes(doc.read_bytes())
    assert decoded == text
    assert [decoded[p.start : p.end] for p in passages] == [p.text for p in passages]
    assert "".join(p.text for p in passages) == "数据加载。第二段：卡住了。"


def test_html_file_is_tag_stripped_and_split_by_heading(tmp_path):
    doc = tmp_path / "page.html"
    html = "<h1>Guide</h1><p>First &amp; foremost.</p><script>evil()</script><h2>Setup</h2><p>Install it.</p>"
    doc.write_text(html, encoding="utf-8")
    passages = read_file(entry(doc), OPTIONS)
    assert [(p.title, p.text) for p in passages] == [
        ("page.html › Guide", "First & foremost."),
        ("page.html › Guide › Setup", "Install it."),
    ]
    stripped = html_to_text(html)
    assert all(stripped[p.start : p.end] == p.text for p in passages)


def test_long_plain_file_numbers_passages_in_order(tmp_path):
    doc = tmp_path / "notes.txt"
    doc.write_text("\n\n".join(f"paragraph {i} " + "word " * 30 for i in range(10)))
    passages = read_file(entry(doc), CorpusOptions(max_passage_words=70))
    assert [p.id for p in passages] == [f"notes.txt#{n}" for n in range(1, 6)]
    assert passages[0].text.startswith("paragraph 0") and passages[-1].text.startswith("paragraph 8")


def test_unknown_extension_is_sniffed(tmp_path):
    (tmp_path / "NOTES").write_text("plain words in a file without extension")
    (tmp_path / "blob.dat2").write_bytes(b"abc\x00def" * 10)
    corpus = load_corpus(tmp_path)
    assert [p.id for p in corpus.passages] == ["NOTES#1"]
    assert corpus.skipped_by_reason() == {"binary": 1}


def test_known_binary_extension_is_not_read(tmp_path, monkeypatch):
    (tmp_path / "a.png").write_text("not really an image, but the name says so")
    (tmp_path / "b.md").write_text("text")
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda f, *a, **k: opened.append(str(f)) or real_open(f, *a, **k))
    corpus = load_corpus(tmp_path)
    assert corpus.skipped[0].path == "a.png" and corpus.skipped[0].reason == "binary"
    assert not any(p.endswith("a.png") for p in opened)


# -- JSONL --------------------------------------------------------------------------------


def write_jsonl(path, lines):
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    return path


def test_jsonl_fields_and_aliases(tmp_path):
    path = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            {"id": "d1", "title": "One", "text": "first text"},
            {"_id": "d2", "title": "Two", "contents": "second"},
            {"id": 3, "body": "third"},
            {"id": "d4", "title": "Empty text", "text": ""},
        ],
    )
    read = read_jsonl(path, OPTIONS)
    assert [(p.id, p.doc, p.title, p.text) for p in read.passages] == [
        ("d1", "d1", "One", "first text"),
        ("d2", "d2", "Two", "second"),
        ("3", "3", "", "third"),
        ("d4", "d4", "Empty text", ""),
    ]
    assert read.files_read == 4 and read.skipped == []
    assert (read.passages[0].start, read.passages[0].end) == (0, len("first text"))


def test_bad_jsonl_lines_are_reported_with_line_numbers(tmp_path):
    path = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            {"id": "ok1", "text": "fine"},
            '{"id": "x", "text": "missing brace"',
            "[1, 2]",
            {"title": "no id", "text": "t"},
            {"id": "has space", "text": "t"},
            {"id": "ok1", "text": "duplicate"},
            {"id": "d5", "text": ["not", "a", "string"]},
            "",
            {"id": "ok2", "text": "fine too"},
        ],
    )
    read = read_jsonl(path, OPTIONS)
    assert [p.id for p in read.passages] == ["ok1", "ok2"]
    assert all(s.reason == "bad record" and s.path == "docs.jsonl" for s in read.skipped)
    details = [s.detail for s in read.skipped]
    assert details[0].startswith("line 2: Expecting ',' delimiter")
    assert [d.split(":")[0] for d in details] == ["line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "duplicate id 'ok1' (first on line 1)" in details[4]


def test_invalid_utf8_line_is_a_bad_record(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_bytes(b'{"id": "a", "text": "ok"}\n{"id": "b", "text": "\xff"}\n')
    read = read_jsonl(path, OPTIONS)
    assert [p.id for p in read.passages] == ["a"]
    assert read.skipped[0].detail == "line 2: not valid UTF-8"


def test_split_records_splits_only_long_documents(tmp_path):
    long_text = " ".join(f"w{i}." for i in range(30))
    path = write_jsonl(tmp_path / "d.jsonl", [{"id": "short", "text": "tiny"}, {"id": "long", "title": "T", "text": long_text}])
    kept = read_jsonl(path, CorpusOptions(max_passage_words=10))
    assert [p.id for p in kept.passages] == ["short", "long"]
    split = read_jsonl(path, CorpusOptions(max_passage_words=10, split_records=True))
    assert [p.id for p in split.passages] == ["short", "long#1", "long#2", "long#3"]
    assert {p.doc for p in split.passages[1:]} == {"long"} and {p.title for p in split.passages[1:]} == {"T"}
    assert all(long_text[p.start : p.end] == p.text for p in split.passages[1:])
    assert split.files_read == 2


def test_beir_folder(tmp_path):
    write_jsonl(tmp_path / "corpus.jsonl", [{"_id": "b1", "title": "T", "text": "beir text"}])
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "query"}\n')
    corpus = load_corpus(tmp_path)
    assert corpus.kind == "beir"
    assert [(p.id, p.title, p.text) for p in corpus.passages] == [("b1", "T", "beir text")]


@pytest.mark.parametrize("content", ["", "\n\n", "not json\n"])
def test_jsonl_without_records_has_no_passages(tmp_path, content):
    from rerank_tui.corpus import CorpusError

    path = tmp_path / "d.jsonl"
    path.write_text(content)
    with pytest.raises(CorpusError, match="no passages"):
        load_corpus(path)


# -- gzipped text -------------------------------------------------------------------------


def gz(data: bytes, level: int = 6) -> bytes:
    import gzip as gzip_module

    return gzip_module.compress(data, compresslevel=level, mtime=0)


def test_gzipped_files_are_read_as_the_name_inside_says(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md.gz").write_bytes(gz(b"# Notes\n\n## Workers\n\nSet num_workers to 0.\n"))
    (tmp_path / "ls.1.gz").write_bytes(gz(b".TH LS 1\n.SH NAME\nls \\- list directory contents\n"))
    (tmp_path / "CHANGELOG.gz").write_bytes(gz("## 1.2\n\n* faster walk — ünïcode kept\n".encode()))
    (tmp_path / "page.html.gz").write_bytes(gz(b"<nav>Menu</nav><main><h1>Page</h1><p>Body text.</p></main>"))
    (tmp_path / "legacy.txt.GZ").write_bytes(gz("naïve café".encode()))
    corpus = load_corpus(tmp_path)
    by_doc = {p.doc: p for p in corpus.passages}
    assert set(by_doc) == {"docs/notes.md.gz", "ls.1.gz", "CHANGELOG.gz", "page.html.gz", "legacy.txt.GZ"}
    notes = by_doc["docs/notes.md.gz"]
    assert notes.id == "docs/notes.md.gz#1"  # the real path, not the inner name
    assert notes.title == "notes.md.gz › Notes › Workers" and notes.text == "Set num_workers to 0."
    assert "ls \\- list directory contents" in by_doc["ls.1.gz"].text  # man pages: plain text
    assert by_doc["CHANGELOG.gz"].text.startswith("## 1.2")  # not Markdown by name: kept as text
    assert "ünïcode" in by_doc["CHANGELOG.gz"].text
    assert (by_doc["page.html.gz"].title, by_doc["page.html.gz"].text) == ("page.html.gz › Page", "Body text.")
    assert by_doc["legacy.txt.GZ"].text == "naïve café"
    assert corpus.skipped == []


def test_compressed_binaries_and_archives_stay_binary(tmp_path, monkeypatch):
    (tmp_path / "site.tar.gz").write_bytes(gz(b"not opened"))
    (tmp_path / "photo.png.gz").write_bytes(gz(b"not opened"))
    (tmp_path / "data.gz").write_bytes(gz(b"\x7fELF\x02\x01" + bytes(100)))  # sniffed after unzipping
    (tmp_path / "blob.gz").write_bytes(gz(b"plain words after all"))
    corpus = load_corpus(tmp_path)
    assert [p.doc for p in corpus.passages] == ["blob.gz"]
    assert {s.path: (s.reason, s.detail) for s in corpus.skipped} == {
        "site.tar.gz": ("binary", ".gz file"),
        "photo.png.gz": ("binary", ".gz file"),
        "data.gz": ("binary", "magic number"),
    }


def test_decompression_bomb_stops_at_the_file_size_limit(tmp_path):
    import tracemalloc

    member = gz(bytes(2**20), level=9)  # 1 MiB of zeros in about 1 KiB
    (tmp_path / "bomb.txt.gz").write_bytes(member * 512)  # 512 MiB when decompressed (multi-member)
    (tmp_path / "ok.md").write_text("still indexed")
    options = CorpusOptions(max_file_bytes=2**20)
    tracemalloc.start()
    try:
        corpus = load_corpus(tmp_path, options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [p.doc for p in corpus.passages] == ["ok.md"]
    assert {s.path: s.reason for s in corpus.skipped} == {"bomb.txt.gz": "too large"}
    assert "decompressed" in corpus.skipped[0].detail
    assert peak < 16 * 2**20  # never more than about the limit in memory, not 512 MiB


def test_default_limit_applies_to_decompressed_size(tmp_path):
    limit = CorpusOptions().max_file_bytes
    (tmp_path / "big.txt.gz").write_bytes(gz(bytes(2**20), level=9) * (limit // 2**20 + 1))
    (tmp_path / "ok.md").write_text("x")
    corpus = load_corpus(tmp_path)
    assert corpus.skipped[0].path == "big.txt.gz" and corpus.skipped[0].reason == "too large"


@pytest.mark.parametrize(
    "name, data, reason, detail",
    [
        ("truncated.txt.gz", gz(b"words " * 1000)[:-30], "unreadable", "corrupt gzip"),
        ("bad-crc.txt.gz", gz(b"words " * 10)[:-8] + b"\0\0\0\0" + (60).to_bytes(4, "little"), "unreadable", "corrupt gzip"),
        ("not-gzip.md.gz", b"# just markdown, misnamed\n", "unreadable", "corrupt gzip"),
        ("garbage.txt.gz", b"\x1f\x8b\x08\x00" + os.urandom(200), "unreadable", "corrupt gzip"),
        ("empty.txt.gz", b"", "empty", "0 bytes"),
        ("empty-inside.txt.gz", gz(b""), "empty", "0 bytes decompressed"),
        ("blank-inside.md.gz", gz(b"  \n\n "), "empty", "whitespace only"),
    ],
)
def test_broken_gzip_is_reported_never_fatal(tmp_path, name, data, reason, detail):
    (tmp_path / name).write_bytes(data)
    (tmp_path / "ok.md").write_text("the rest still loads")
    corpus = load_corpus(tmp_path)
    assert [p.doc for p in corpus.passages] == ["ok.md"]
    (skipped,) = corpus.skipped
    assert (skipped.path, skipped.reason) == (name, reason)
    assert skipped.detail.startswith(detail)
