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


# -- real generator output: navigation and menus are not content ---------------------------

import pathlib  # noqa: E402

import pytest  # noqa: E402

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "html"

# Per page: what the content says (must be found), and boilerplate (must be in no passage,
# neither its text nor its title). Each boilerplate phrase is in the fixture, outside the content.
PAGES = {
    "mdbook.html": (
        ["Data Loading", "Set num_workers=0 in a notebook", "Worker processes",
         "Each worker process receives a copy", "loader = DataLoader(dataset, num_workers=4)",
         "Pinned memory speeds up"],
        ["Keyboard shortcuts", "to navigate between chapters", "Press", "Sidebar Chapter Data Loading",
         "Appendix Entry", "The Example Book", "Auto", "Light", "Rust", "Coal", "Navy", "Ayu",
         "Toggle", "Search this book", "Previous chapter", "Next chapter", "localStorage"],
    ),
    "sphinx_alabaster.html": (
        ["Installation", "Install the widgets package with pip", "Requirements",
         "Python 3.9 or newer", "$ pip install widgets", "Without a compiler the pure Python fallback"],
        ["Navigation", "index", "next", "Widgets 2.1 documentation", "Sidebar Usage Link", "Related Topics",
         "Documentation overview", "Quick search", "Go", "Powered by", "Alabaster", "Page source",
         "Widget Authors", "¶"],
    ),
    "sphinx_rtd.html": (
        ["Configuration", "Widgets reads widgets.toml from the project folder", "cache_dir",
         "Where compiled widgets are kept between runs"],
        ["Search docs", "Contents:", "Menu API Reference", "Breadcrumb Configuration", "View page source",
         "Previous", "Copyright", "Built with", "Read the Docs", "Widgets 2.1 documentation"],
    ),
    "mkdocs.html": (
        ["Deployment", "Copy the site/ folder to any static web server", "GitHub Pages",
         "Run mkdocs gh-deploy to publish the branch"],
        ["Navbar Deployment", "Home", "Search", "Previous", "Toc Deployment Entry", "Copyright 2024",
         "Documentation built with", "Keyboard Shortcuts", "Open this help", "Next page",
         "From here you can search", "¶", "Widgets"],
    ),
    "mkdocs_material.html": (
        ["Caching", "Widgets caches rendered templates on disk", "The cache is safe to delete",
         "Eviction", "The least recently used entries are evicted first"],
        ["Skip to content", "Widgets Header Title", "Initializing search", "Widgets Drawer Title",
         "Primary Nav Home", "Table of contents", "Toc Eviction Entry", "Back to top", "Next",
         "Footer Deployment Link", "Made with", "Material for MkDocs", "¶"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generator_pages_keep_content_and_drop_navigation(tmp_path, name):
    from rerank_tui.corpus import load_corpus

    content, boilerplate = PAGES[name]
    (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    corpus = load_corpus(tmp_path)
    passages = corpus.passages
    assert passages and corpus.skipped == []
    everything = "\n".join(p.title + "\n" + p.text for p in passages)
    for phrase in content:
        assert phrase in everything, phrase
    words = set(everything.replace("›", " ").split())
    for phrase in boilerplate:
        if " " in phrase or not phrase.isalnum():
            assert phrase not in everything, phrase
        else:  # a single word: not as a word ("Rust" may be inside "Trust")
            assert phrase not in words, phrase
    assert all(p.title.startswith(name) for p in passages)


def test_boilerplate_phrases_really_are_in_the_fixtures():
    for name, (content, boilerplate) in PAGES.items():
        html = (FIXTURES / name).read_text(encoding="utf-8")
        raw = html.replace("&para;", "¶")
        for phrase in [*content, *boilerplate]:
            assert phrase.split()[0] in raw, (name, phrase)


def test_headings_come_from_the_content_not_the_menu_bar():
    text = html_to_text((FIXTURES / "mdbook.html").read_text(encoding="utf-8"))
    assert text.startswith("# Data Loading\n\nSet num_workers=0")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == ["# Data Loading", "## Worker processes"]  # not "# The Example Book"
    sphinx = html_to_text((FIXTURES / "sphinx_alabaster.html").read_text(encoding="utf-8"))
    assert [line for line in sphinx.splitlines() if line.startswith("#")] == ["# Installation", "## Requirements"]


def test_a_page_without_main_or_article_drops_its_navigation():
    html = (
        "<html><head><title>Plain Page</title></head><body>"
        "<header><a href='/'>Site Name</a><nav><ul><li><a href='/a'>Menu One</a></li></ul></nav></header>"
        "<div role='navigation'>Breadcrumb Trail</div>"
        "<div class='content'><h2>Usage</h2><p>Call <code>run()</code> once.</p>"
        "<div role='search'><form><input name='q'><button>Find</button></form></div>"
        "<p>Then wait.</p></div>"
        "<aside>Related Posts</aside>"
        "<div role='banner'>Banner Text</div><div role='contentinfo'>Legal Text</div>"
        "<footer>Footer Text</footer></body></html>"
    )
    text = html_to_text(html)
    assert text == "# Plain Page\n\n## Usage\n\nCall run() once.\n\nThen wait."  # today's <title> heading kept
    for phrase in ("Site Name", "Menu One", "Breadcrumb", "Find", "Related", "Banner", "Legal", "Footer"):
        assert phrase not in text


def test_first_main_else_all_articles():
    two_mains = "<main><p>first main</p></main><main hidden><p>second main</p></main><p>outside</p>"
    assert html_to_text(two_mains) == "first main"
    articles = "<div>intro</div><article><h1>One</h1><p>a</p></article><div>between</div><article><p>b</p></article>"
    assert html_to_text(articles) == "# One\n\na\n\nb"
    assert html_to_text("<div role='main'><p>role main</p></div><p>outside</p>") == "role main"
    # an empty main does not hide the page
    assert html_to_text("<main> </main><article><p>in article</p></article>") == "in article"
    assert html_to_text("<main><!-- nothing --></main><p>only here</p>") == "only here"


def test_title_names_a_main_without_headings():
    html = "<head><title>Release Notes</title></head><body><nav>x</nav><main><p>Fixed a bug.</p></main></body>"
    assert html_to_text(html) == "# Release Notes\n\nFixed a bug."
    with_heading = "<head><title>Site - Page</title></head><main><h1>Page</h1><p>text</p></main>"
    assert html_to_text(with_heading) == "# Page\n\ntext"


def test_header_and_aside_inside_the_content_are_kept():
    html = (
        "<header class='site'>Site Banner</header>"
        "<article><header><h1>Post Title</h1></header><p>Body.</p>"
        "<aside class='footnote' role='doc-footnote'><p>A footnote.</p></aside>"
        "<footer>Tags: misc</footer></article>"
        "<aside class='sidebar'>Popular Posts</aside>"
    )
    assert html_to_text(html) == "# Post Title\n\nBody.\n\nA footnote."


def test_navigation_inside_main_is_dropped_too():
    html = (
        "<main><nav aria-label='Breadcrumbs'>Home › Docs</nav><h1>Guide</h1><p>text</p>"
        "<div role='navigation'>Prev Next</div><ul role='menubar'><li>Edit</li></ul>"
        "<p>more <a class='headerlink' href='#x'>¶</a>text</p></main>"
    )
    assert html_to_text(html) == "# Guide\n\ntext\n\nmore text"


def test_unclosed_and_stray_tags_do_not_leak_navigation():
    assert html_to_text("<nav><p>menu<li>item<div>deep</nav><p>content</p>") == "content"
    assert html_to_text("</nav></main><p>a</p></div></footer><p>b</p>") == "a\n\nb"
    assert html_to_text("<main><p>unclosed main") == "unclosed main"
    assert html_to_text("<nav/><p>after a self-closed nav</p>") == "after a self-closed nav"
    assert html_to_text("<h2>Open heading<p>para</p></div><p>next") is not None


def test_deeply_nested_and_stray_markup_completes():
    # 50k open elements and 50k stray end tags: each end tag costs O(1) unless it closes something
    html = "<div>" * 50_000 + "<p>deep</p>" + "</span>" * 50_000 + "</div>" * 50_000 + "<p>after</p>"
    assert html_to_text(html) == "deep\n\nafter"
