import json

from rerank_tui.safe_text import cut_long_lines, json_line, one_line, strip_controls


def test_ansi_and_osc_sequences_are_removed():
    hostile = "red \x1b[31mALERT\x1b[0m title\x1b]0;pwned\x07 end\x1b[2J"
    assert strip_controls(hostile) == "red ALERT title end"


def test_control_characters_are_removed_but_tabs_and_newlines_kept():
    assert strip_controls("a\x00b\x07c\td\ne\x7f\x85f") == "abc\td\nef"


def test_carriage_returns_become_newlines():
    assert strip_controls("over\rwrite") == "over\nwrite"


def test_bidi_overrides_are_removed():
    assert strip_controls("abc\u202edef") == "abcdef"


def test_rich_markup_is_left_as_text():
    assert strip_controls("[bold red]x[/] [link=https://e.x]y[/link]") == "[bold red]x[/] [link=https://e.x]y[/link]"


def test_one_line_collapses_and_cuts():
    assert one_line("a\n\n b\tc", 10) == "a b c"
    assert one_line("x" * 20, 10) == "x" * 9 + "…"


def test_long_lines_are_cut():
    assert cut_long_lines("short\n" + "y" * 50, width=10) == "short\n" + "y" * 9 + "…"


def test_one_line_shows_invisible_characters():
    assert one_line("ti\u200btle", 40) == "ti⟨200B⟩tle"
    marked = [one_line(f"title{c}", 40) for c in "\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u200e\u200f\u061c"]
    assert len(set(marked) | {one_line("title", 40)}) == 11  # all different from each other and from the plain one
    assert all("⟨" in m for m in marked)


def test_one_line_still_strips_controls_and_collapses_separators():
    assert one_line("a\u202eb\x85c\u2028d\u2029e", 40) == "abc d e"


def test_json_line_escapes_controls_and_separators_but_round_trips():
    text = "a\x9b[2Jb\u202ec\u2066d\u200ee\u2028f\u2029g\u200bh\x85i\\\u0085j 数据 é"
    line = json_line({"text": text})
    assert json.loads(line) == {"text": text}
    for code in (0x9B, 0x202E, 0x2066, 0x200E, 0x2028, 0x2029, 0x200B, 0x85):
        assert chr(code) not in line and f"\\u{code:04x}" in line
    assert "数据 é" in line and "\n" not in line  # ordinary text stays readable, on one line


def test_json_line_writes_nan_and_infinity_as_null():
    line = json_line({"score": float("nan"), "scores": [float("inf"), -float("inf"), 0.5], "n": 3})
    assert json.loads(line) == {"score": None, "scores": [None, None, 0.5], "n": 3}
    assert "NaN" not in line and "Infinity" not in line
