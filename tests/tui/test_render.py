"""Title cells: where a passage is, told apart from same-named files, shown literally."""

from __future__ import annotations

import pytest

from rerank_tui.corpus.formats import read_folder
from rerank_tui.corpus.model import CorpusOptions
from rerank_tui.tui.render import title_cell


def cells(root) -> dict[str, object]:
    """Passage id → its title cell, for every passage of the folder."""
    return {p.id: title_cell(p.title, p.id) for p in read_folder(root, CorpusOptions()).passages}


def dim_part(cell) -> str:
    (span,) = cell.spans
    assert span.style == "dim" and span.end == len(cell.plain)
    return cell.plain[span.start : span.end].strip()


@pytest.fixture
def vendored(tmp_path):
    root = tmp_path / "vendor"
    for folder in ("zlib", "libpng", "deep/er/openssl"):
        (root / folder).mkdir(parents=True)
        (root / folder / "copyright").write_text(f"Copyright (c) the {folder} authors. All rights reserved.\n")
    (root / "zlib" / "README.md").write_text("# zlib\n\nA compression library.\n\n## Build\n\nRun make.\n")
    (root / "COPYING").write_text("Permission is granted to use this software.\n")
    return root


def test_a_file_without_headings_shows_its_folder(vendored):
    shown = cells(vendored)
    assert shown["zlib/copyright#1"].plain == "zlib/copyright#1"
    assert shown["libpng/copyright#1"].plain == "libpng/copyright#1"
    assert shown["deep/er/openssl/copyright#1"].plain == "openssl/copyright#1"  # the last folder
    assert not shown["zlib/copyright#1"].spans


def test_a_file_at_the_root_shows_its_name(vendored):
    assert cells(vendored)["COPYING#1"].plain == "COPYING#1"


def test_a_file_with_headings_shows_the_heading_then_where_it_is(vendored):
    shown = cells(vendored)
    build = next(cell for pid, cell in shown.items() if pid.startswith("zlib/README.md#") and cell.plain.startswith("Build"))
    number = build.plain.rsplit("#", 1)[1]
    assert build.plain == f"Build  zlib/README.md#{number}"
    assert dim_part(build) == f"zlib/README.md#{number}"


def test_readable_names_with_spaces(tmp_path):
    (tmp_path / "my notes").mkdir()
    (tmp_path / "my notes" / "to do.txt").write_text("buy milk\n")
    assert {pid: cell.plain for pid, cell in cells(tmp_path).items()} == {"my%20notes/to%20do.txt#1": "my notes/to do.txt#1"}


@pytest.mark.parametrize(
    ("title", "passage_id", "plain"),
    [
        ("A study of BM25", "doc7", "A study of BM25"),  # BEIR / whole JSONL records
        ("A study of BM25", "doc7#2", "A study of BM25#2"),  # split records
        ("", "doc7", "doc7"),
        ("", "doc7#2", "doc7#2"),
        ("Wiki", "en/wiki#3", "Wiki#3"),  # an id with "/" whose title is not a file name
        ("Part › Chapter", "doc9", "Chapter  Part"),
    ],
)
def test_jsonl_passages_look_as_before(title, passage_id, plain):
    assert title_cell(title, passage_id).plain == plain


def test_hand_made_titles_like_the_folder_reader():
    assert title_cell("copyright", "zlib/copyright#1").plain == "zlib/copyright#1"
    assert title_cell("copyright", "a/b/zlib/copyright#12").plain == "zlib/copyright#12"
    assert title_cell("copyright", "copyright#1").plain == "copyright#1"
    cell = title_cell("README.md › Build › Windows", "zlib/README.md#3")
    assert cell.plain == "Windows  zlib/README.md#3"
    assert dim_part(cell) == "zlib/README.md#3"


def test_long_names_stay_bounded_and_keep_the_passage_number():
    folder, name = "f" * 70, "n" * 30
    plain = title_cell(name, f"{folder}/{name}#12", width=60).plain
    assert len(plain) <= 60 and plain.endswith(f"/{name}#12") and plain.startswith("fff") and "…/" in plain
    where = dim_part(title_cell(f"{name} › Usage", f"{folder}/{name}#4"))
    assert len(where) <= 40 and where.endswith(f"/{name}#4")
    huge = "x" * 100
    where = dim_part(title_cell(f"{huge} › Usage", f"{folder}/{huge}#4"))
    assert len(where) <= 40 and where.endswith("…#4")
    plain = title_cell(huge, f"{huge}#7", width=50).plain
    assert len(plain) <= 50 and plain.endswith("…#7")


HOSTILE_FOLDER = "[link=evil.example]x\x1b]0;pwned\x07"  # names hold no "/"
HOSTILE_NAME = "[bold red]boom\x1b[31m\u200b.txt"


def test_hostile_file_and_folder_names_are_shown_literally(tmp_path):
    (tmp_path / HOSTILE_FOLDER).mkdir()
    (tmp_path / HOSTILE_FOLDER / HOSTILE_NAME).write_text("plain text\n")
    (tmp_path / HOSTILE_FOLDER / "notes.md").write_text("# [b]Head[/b]\x1b[2J\n\nbody\n")
    shown = cells(tmp_path)
    assert len(shown) == 2
    for cell in shown.values():
        assert not any(c in cell.plain for c in "\x1b\x07\u200b")
        assert all(span.style == "dim" for span in cell.spans)  # no markup was parsed
    plain_file = next(c for pid, c in shown.items() if not pid.endswith("notes.md#1"))
    assert plain_file.plain.startswith("[link=evil.example]x")
    assert "/[bold red]boom" in plain_file.plain and plain_file.plain.endswith("#1")
    headed = next(c for pid, c in shown.items() if pid.endswith("notes.md#1"))
    assert headed.plain.startswith("[b]Head[/b]  ")
    assert dim_part(headed).endswith("/notes.md#1") and dim_part(headed).startswith("[link=")


def test_hostile_titles_and_ids_by_hand():
    cell = title_cell("[red]A[/red]\x1b[31m › \x1b]0;t\x07[b]H[/b]", "d/[red]A[/red]%1B[31m#2")
    assert "\x1b" not in cell.plain and "\x07" not in cell.plain
    assert cell.plain.startswith("[b]H[/b]")
    assert all(span.style == "dim" for span in cell.spans)
    cell = title_cell("[bold]x[/bold]\x1b[2J", "[i]id[/i]#1")
    assert "\x1b" not in cell.plain and not cell.spans and "[bold]x[/bold]" in cell.plain
