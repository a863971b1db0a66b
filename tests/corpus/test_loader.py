"""load_corpus, detect_kind, corpus_fingerprint: the corpus layer's entry points."""

import builtins
import io
import os
import pathlib
import time

import pytest

from rerank_tui.corpus import (
    SKIP_REASONS,
    Corpus,
    CorpusError,
    CorpusOptions,
    Skipped,
    corpus_fingerprint,
    detect_kind,
    load_corpus,
)
from tests.conftest import eval_collection

CHINESE = "在 Jupyter 中把 num_workers 设为 0，数据加载就不会卡住。每个子进程都会复制数据集对象。"
MARKUP = "[bold red]alert[/bold red] \x1b[31mred\x1b[0m \x1b]0;pwned\x07 [link=file:///etc/passwd]x[/link]"


# -- kinds and errors ---------------------------------------------------------------------


def test_detect_kind(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "beir").mkdir()
    (tmp_path / "beir" / "corpus.jsonl").write_text("")
    (tmp_path / "docs.JSONL").write_text("")
    (tmp_path / "notes.md").write_text("x")
    assert detect_kind(tmp_path / "folder") == "folder"
    assert detect_kind(tmp_path / "beir") == "beir"
    assert detect_kind(tmp_path / "docs.JSONL") == "jsonl"
    with pytest.raises(CorpusError, match="is not a folder or a .jsonl file"):
        detect_kind(tmp_path / "notes.md")
    with pytest.raises(CorpusError, match="does not exist"):
        detect_kind(tmp_path / "nowhere")


def test_missing_path_is_one_clear_line(tmp_path):
    for call in (load_corpus, corpus_fingerprint):
        with pytest.raises(CorpusError, match="does not exist") as info:
            call(tmp_path / "no\nwhere")
        assert "\n" not in str(info.value)


def test_empty_corpus_says_why(tmp_path):
    with pytest.raises(CorpusError, match=r"^no passages in .* \(no files found\)$"):
        load_corpus(tmp_path)
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    (tmp_path / "b.txt").write_text("  \n")
    with pytest.raises(CorpusError, match=r"\(2 files skipped: binary 1, empty 1\)$"):
        load_corpus(tmp_path)


def test_options_validate_and_key():
    assert CorpusOptions().cache_key() == CorpusOptions().cache_key()
    keys = {
        CorpusOptions().cache_key(),
        CorpusOptions(max_file_bytes=10).cache_key(),
        CorpusOptions(max_passage_words=64).cache_key(),
        CorpusOptions(split_records=True).cache_key(),
    }
    assert len(keys) == 4
    with pytest.raises(ValueError):
        CorpusOptions(max_passage_words=0)
    with pytest.raises(ValueError):
        CorpusOptions(max_file_bytes=-1)


def test_skipped_positional_and_counts():
    skipped = [Skipped("a", "binary", "x"), Skipped("b", "binary"), Skipped("c", "empty")]
    corpus = Corpus(pathlib.Path("/"), "folder", [], 0, skipped)
    assert corpus.skipped_by_reason() == {"binary": 2, "empty": 1}
    assert skipped[1].detail == ""


# -- the hostile folder -------------------------------------------------------------------


def build_hostile(root: pathlib.Path) -> None:
    w = lambda name, data: (root / name).write_bytes(data)  # noqa: E731
    (root / "docs").mkdir()
    w("docs/guide.md", b"# Guide\n\n## Install\n\nRun the installer.\n\n## Use\n\nType a query.\n")
    w("image.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    w("random.bin2", os.urandom(3000) + b"\x00\x00")
    w("program", b"\x7fELF\x02\x01\x01\x00" + bytes(100))
    w("invalid-utf8.txt", "naïve café 中文 ".encode() * 4 + b"\xc3\x28 tail")
    w("chinese.txt", CHINESE.encode("gb18030"))
    w("utf16le.txt", b"\xff\xfe" + "little endian 小端".encode("utf-16-le"))
    w("utf16be.txt", b"\xfe\xff" + "big endian 大端".encode("utf-16-be"))
    w("utf8bom.md", b"\xef\xbb\xbf# BOM\n\nwith a byte order mark")
    w("junk-utf16.txt", b"\xff\xfe" + b"\x01\x00\x02\x00" * 200)  # a BOM, then control characters
    w("empty.txt", b"")
    w("blank.txt", b"  \n\t\r\n  ")
    with open(root / "over-limit.txt", "wb") as fh:
        fh.truncate(3 * 2**20)  # sparse: the size check must come before any read
    w("one-line.txt", b"lorem ipsum dolor sit amet " * 100_000)  # 2.7 MB, one line
    w("markup.md", MARKUP.encode())
    w("my notes.md", b"notes with a space in the name")
    w("new\nline.txt", b"a newline in the name")
    with open(os.path.join(os.fsencode(str(root)), b"bad\xffname.txt"), "wb") as fh:
        fh.write(b"a non-UTF-8 byte in the name")
    (root / "docs" / "loop").symlink_to(root)
    (root / "dangling").symlink_to(root / "nowhere")
    os.mkfifo(root / "fifo")
    for ignored in (".git/objects/x.txt", "node_modules/pkg/readme.md", "env/lib/mod.py", ".hidden/a.md"):
        (root / ignored).parent.mkdir(parents=True, exist_ok=True)
        (root / ignored).write_text("ignored text")
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin")
    w(".hidden-file.md", b"hidden")
    # .gitignore: an ignored folder is one report; gzipped text is read, broken gzip reported
    import gzip

    w(".gitignore", b"generated/\n*.bak\nbroken\\\n")
    (root / "generated" / "deep").mkdir(parents=True)
    for i in range(50):
        w(f"generated/deep/{i}.md", b"generated text")
    w("old.bak", b"backup text")
    w("docs/notes.md.gz", gzip.compress(b"# Notes\n\nCompressed notes.\n"))
    w("bomb.txt.gz", gzip.compress(bytes(2**20), 9) * 4)  # 4 MiB inside, over the limit
    w("corrupt.txt.gz", gzip.compress(b"text " * 100)[:-12])


HOSTILE_OPTIONS = CorpusOptions(max_file_bytes=3 * 2**20 - 1)


def test_hostile_folder(tmp_path):
    build_hostile(tmp_path)
    started = time.perf_counter()
    corpus = load_corpus(tmp_path, HOSTILE_OPTIONS)
    assert time.perf_counter() - started < 10

    by_doc: dict[str, list] = {}
    for p in corpus.passages:
        by_doc.setdefault(p.doc, []).append(p)
    assert set(by_doc) == {
        "docs/guide.md", "invalid-utf8.txt", "chinese.txt", "utf16le.txt", "utf16be.txt", "utf8bom.md",
        "one-line.txt", "markup.md", "my%20notes.md", "new%0Aline.txt", "bad%FFname.txt", "docs/notes.md.gz",
    }  # fmt: skip
    assert corpus.files_read == len(by_doc)
    assert [p.id for p in by_doc["docs/guide.md"]] == ["docs/guide.md#1", "docs/guide.md#2"]
    assert by_doc["docs/guide.md"][1].title == "guide.md › Guide › Use"
    assert by_doc["chinese.txt"][0].text == CHINESE
    assert by_doc["utf16le.txt"][0].text == "little endian 小端"
    assert by_doc["utf16be.txt"][0].text == "big endian 大端"
    assert by_doc["utf8bom.md"][0].text == "with a byte order mark"
    assert by_doc["invalid-utf8.txt"][0].text.endswith("\ufffd( tail")
    assert by_doc["markup.md"][0].text == MARKUP  # text is data: kept verbatim
    assert [p.id for p in by_doc["my%20notes.md"]] == ["my%20notes.md#1"]
    assert by_doc["my%20notes.md"][0].title == "my notes.md"  # titles are for reading
    assert [p.id for p in by_doc["new%0Aline.txt"]] == ["new%0Aline.txt#1"]
    assert [p.id for p in by_doc["bad%FFname.txt"]] == ["bad%FFname.txt#1"]
    one_line = by_doc["one-line.txt"]
    assert len(one_line) == 500_000 // 256 + 1
    assert [p.id for p in one_line[:2]] == ["one-line.txt#1", "one-line.txt#2"]

    reasons = {s.path: s.reason for s in corpus.skipped}
    assert reasons == {
        "image.png": "binary",
        "random.bin2": "binary",
        "program": "binary",
        "empty.txt": "empty",
        "blank.txt": "empty",
        "over-limit.txt": "too large",
        "docs/loop": "symlink loop",
        "dangling": "unreadable",
        "fifo": "not a regular file",
        "junk-utf16.txt": "undecodable",
        "generated": "gitignored",
        "old.bak": "gitignored",
        ".gitignore": "unreadable",  # its line "broken\\" is invalid; the other lines apply
        "bomb.txt.gz": "too large",
        "corrupt.txt.gz": "unreadable",
    }
    assert by_doc["docs/notes.md.gz"][0].id == "docs/notes.md.gz#1"
    assert {s.reason for s in corpus.skipped} <= set(SKIP_REASONS)
    everything = [p.id for p in corpus.passages] + [s.path for s in corpus.skipped]
    assert not any(x.startswith((".git/", "node_modules", "env/", ".hidden")) for x in everything)
    for p in corpus.passages:  # ids are single UTF-8 tokens
        assert not any(c.isspace() for c in p.id)
        p.id.encode("utf-8")


def test_spans_point_into_the_decoded_text(tmp_path):
    from rerank_tui.corpus.decode import decode_bytes

    build_hostile(tmp_path)
    corpus = load_corpus(tmp_path, HOSTILE_OPTIONS)
    for doc in ("docs/guide.md", "chinese.txt", "utf16le.txt", "utf8bom.md", "one-line.txt"):
        decoded = decode_bytes((tmp_path / doc).read_bytes())
        for p in (p for p in corpus.passages if p.doc == doc):
            assert decoded[p.start : p.end] == p.text


def test_loading_is_deterministic(tmp_path):
    for name in ("b.md", "a/z.md", "a.md", "c/d/e.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"text of {name}")
    first = load_corpus(tmp_path)
    assert [p.id for p in first.passages] == ["a/z.md#1", "a.md#1", "b.md#1", "c/d/e.txt#1"]
    assert load_corpus(tmp_path).passages == first.passages


def test_progress_reports_files(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}.md").write_text("text")
    calls = []
    load_corpus(tmp_path, progress=lambda done, total, current: calls.append((done, total, current)))
    assert calls[-1][:2] == (5, 5)
    assert all(total == 5 for _, total, _ in calls)
    calls.clear()
    (tmp_path / "d.jsonl").write_text('{"id": "1", "text": "x"}\n')
    load_corpus(tmp_path / "d.jsonl", progress=lambda *a: calls.append(a))
    assert calls[-1][:2] == (1, None)


def test_source_is_resolved(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.md").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    corpus = load_corpus(tmp_path / "link")
    assert corpus.source == (tmp_path / "real").resolve() and corpus.kind == "folder"


# -- fingerprint --------------------------------------------------------------------------


def test_fingerprint_tracks_changes(tmp_path):
    (tmp_path / "a.md").write_text("alpha")
    (tmp_path / "b.md").write_text("beta")
    base = corpus_fingerprint(tmp_path)
    assert corpus_fingerprint(tmp_path) == base

    st = os.stat(tmp_path / "a.md")
    os.utime(tmp_path / "a.md", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    touched = corpus_fingerprint(tmp_path)
    assert touched != base

    (tmp_path / "c.md").write_text("gamma")
    added = corpus_fingerprint(tmp_path)
    assert added not in (base, touched)

    (tmp_path / "c.md").unlink()
    assert corpus_fingerprint(tmp_path) == touched

    (tmp_path / "b.md").unlink()
    assert corpus_fingerprint(tmp_path) not in (base, touched, added)

    assert corpus_fingerprint(tmp_path, CorpusOptions(max_passage_words=64)) != corpus_fingerprint(tmp_path)


def test_fingerprint_follows_the_same_skip_rules(tmp_path):
    (tmp_path / "a.md").write_text("alpha")
    base = corpus_fingerprint(tmp_path)
    (tmp_path / ".hidden.md").write_text("x")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.js").write_text("x")
    assert corpus_fingerprint(tmp_path) == base
    (tmp_path / "a.png").write_bytes(b"\x89PNG")  # reported by loading, so part of the print
    assert corpus_fingerprint(tmp_path) != base


def test_fingerprint_of_jsonl(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "1", "text": "x"}\n')
    base = corpus_fingerprint(path)
    assert corpus_fingerprint(path) == base
    path.write_text('{"id": "1", "text": "xy"}\n')
    assert corpus_fingerprint(path) != base


def test_fingerprint_of_5000_files_is_fast_and_reads_nothing(tmp_path, monkeypatch):
    for d in range(50):
        sub = tmp_path / f"dir{d:02}"
        sub.mkdir()
        for f in range(100):
            (sub / f"file{f:03}.md").write_bytes(b"x")

    def no_reading(*args, **kwargs):
        raise AssertionError("corpus_fingerprint must not read files")

    for target, name in ((builtins, "open"), (io, "open"), (os, "open")):
        monkeypatch.setattr(target, name, no_reading)
    for name in ("open", "read_bytes", "read_text"):
        monkeypatch.setattr(pathlib.Path, name, no_reading)
    corpus_fingerprint(tmp_path)  # warm the file-system cache
    started = time.perf_counter()
    corpus_fingerprint(tmp_path)
    assert time.perf_counter() - started < 0.5


# -- the shared evaluation collections ----------------------------------------------------


@pytest.mark.parametrize("name, count", [("cranfield", 1400), ("scifact", 5183)])
def test_eval_collections_load_with_their_ids(name, count):
    import json

    path = eval_collection(name) / "docs.jsonl"
    corpus = load_corpus(path)
    assert corpus.kind == "jsonl" and corpus.skipped == []
    assert len(corpus.passages) == corpus.files_read == count
    with open(path, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    assert [p.id for p in corpus.passages] == [r["id"] for r in records]
    assert all(p.doc == p.id for p in corpus.passages)
    assert [p.title for p in corpus.passages] == [r["title"] for r in records]
    assert [p.text for p in corpus.passages] == [r["text"] for r in records]


def test_scifact_split_records():
    corpus = load_corpus(eval_collection("scifact") / "docs.jsonl", CorpusOptions(split_records=True))
    assert len(corpus.passages) > 5183 and corpus.files_read == 5183
    assert all(p.id == p.doc or p.id.startswith(p.doc + "#") for p in corpus.passages)


def test_a_folder_holding_docs_jsonl_is_a_collection(tmp_path):
    from rerank_tui.corpus import detect_kind, load_corpus

    (tmp_path / "docs.jsonl").write_text('{"id": "d1", "title": "T", "text": "hello world"}\n')
    (tmp_path / "queries.jsonl").write_text('{"id": "q1", "text": "hello"}\n')
    assert detect_kind(tmp_path) == "beir"
    corpus = load_corpus(tmp_path)
    assert [p.id for p in corpus.passages] == ["d1"]
