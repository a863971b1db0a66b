"""HTML to indexable text."""

from rerank_tui.corpus.html_text import html_to_text


def test_tags_entities_script_style():
    html = (
        "<html><head><title>Guide</title><style>p{color:red}</style>"
        "<script>var secret = 1;</script></head><body>"
        "<h2>Workers</h2><p>Fish &amp; chips &lt;3&nbsp;&#x4e2d;</p>"
        "<p>second\n   line</p></body></html>"
    )
    text = html_to_text(html)
    assert "secret" not in text and "color" not in text and "<" not in text.replace("<3", "")
    assert "Fish & chips <3\u00a0中" in text
    assert "# Guide" in text and "## Workers" in text
    assert "second line" in text  # source whitespace collapses outside <pre>
    assert "\n\n" in text  # blocks become paragraph breaks


def test_pre_keeps_its_layout():
    text = html_to_text("<p>intro</p><pre>def f():\n    return 1\n</pre>")
    assert "def f():\n    return 1" in text


def test_broken_markup_does_not_crash():
    assert "text" in html_to_text("<div><p>text<script>unclosed")
    assert html_to_text("<<<>>><!-- x") is not None
