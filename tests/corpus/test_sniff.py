"""Text or binary: by extension first, then by the first bytes."""

import os

import pytest

from rerank_tui.corpus.sniff import binary_reason, extension, gzip_inner_name, kind_by_name


@pytest.mark.parametrize(
    "name, kind",
    [
        ("notes.md", "markdown"),
        ("README.MARKDOWN", "markdown"),
        ("page.html", "html"),
        ("a.htm", "html"),
        ("main.py", "text"),
        ("data.csv", "text"),
        ("conf.yaml", "text"),
        ("x.toml", "text"),
        ("server.log", "text"),
        ("guide.rst", "text"),
        ("Makefile", "text"),
        ("photo.JPG", "binary"),
        ("paper.pdf", "binary"),
        ("a.tar.gz", "binary"),
        ("m.pyc", "binary"),
        ("model.safetensors", "binary"),
        ("lib.so", "binary"),
        ("noext", None),
        ("file.weird", None),
    ],
)
def test_kind_by_name(name, kind):
    assert kind_by_name(name) == kind


def test_extension():
    assert extension("a.TXT") == "txt"
    assert extension(".bashrc") == ""  # a leading dot is a hidden name, not an extension
    assert extension("noext") == ""


@pytest.mark.parametrize(
    "head",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(32),
        b"\x7fELF\x02\x01\x01" + bytes(20),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"PK\x03\x04" + b"abc" * 10,
        b"text with a NUL\x00 inside",
        bytes(range(1, 9)) * 50,  # control bytes, no NUL
    ],
)
def test_binary_heads(head):
    assert binary_reason(head) is not None


@pytest.mark.parametrize(
    "head",
    [
        b"plain ascii text\n",
        "中文文本".encode("utf-8"),
        "中文文本".encode("gb18030"),
        b"\x1b[31mred\x1b[0m log line\r\n\tindented\x0c",
        b"\xff\xfe" + "utf-16 text".encode("utf-16-le"),
        b"\xfe\xff" + "utf-16 text".encode("utf-16-be"),
        b"",
    ],
)
def test_text_heads(head):
    assert binary_reason(head) is None


def test_random_bytes_are_binary():
    assert binary_reason(os.urandom(4096) + b"\x00") is not None


@pytest.mark.parametrize(
    "name, inner",
    [
        ("notes.md.gz", "notes.md"),
        ("ls.1.gz", "ls.1"),
        ("CHANGELOG.gz", "CHANGELOG"),
        ("changelog.Debian.gz", "changelog.Debian"),  # unknown inside: the content is sniffed
        ("server.log.GZ", "server.log"),
        ("data.gz", "data"),
        ("site.tar.gz", None),  # archives and compressed binaries stay binary
        ("photo.png.gz", None),
        ("a.tgz", None),
        ("notes.md", None),
        (".gz", None),
        ("gz", None),
    ],
)
def test_gzip_inner_name(name, inner):
    assert gzip_inner_name(name) == inner
    if inner is None and name.endswith("gz") and len(name) > 3:
        assert kind_by_name(name) == "binary"
