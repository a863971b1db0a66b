from rerank_tui.safe_text import cut_long_lines, one_line, strip_controls


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
