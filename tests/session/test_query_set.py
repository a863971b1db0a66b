"""The query set: queries.yaml's queries with their ids and notes, then the labeled ones."""

import pytest

from rerank_tui.session.query_set import QueryEntry, QuerySet, QuerySetFile, query_id
from rerank_tui.session.store import WorkspaceFileError
from rerank_tui.session.workspace import Workspace


def test_add_keeps_given_ids_and_order_and_survives_a_reload(tmp_path):
    path = tmp_path / "queries.yaml"
    listed = QuerySetFile.load(path)
    assert listed.add([("1", "what similarity laws"), ("2", "structural problems")], {"structural problems": "need"}) == 2
    back = QuerySetFile.load(path)
    assert back.entries == (QueryEntry("1", "what similarity laws"), QueryEntry("2", "structural problems", "need"))
    assert back.add([("1", "what similarity laws")]) == 0  # known: nothing new


def test_an_imported_id_replaces_a_derived_one_but_never_takes_anothers(tmp_path):
    listed = QuerySetFile.load(tmp_path / "queries.yaml")
    listed.set_note("cat dog", "pets")
    assert listed.by_text("cat dog").id == query_id("cat dog")
    listed.add([("7", "cat dog")])
    assert listed.by_text("cat dog") == QueryEntry("7", "cat dog", "pets")
    before = (tmp_path / "queries.yaml").read_text()
    with pytest.raises(ValueError, match="already names another query"):
        listed.add([("new", "fresh query"), ("7", "other text")])
    assert (tmp_path / "queries.yaml").read_text() == before  # nothing written


@pytest.mark.parametrize(
    "body, words",
    [
        ("queries:\n- id: a b\n  text: x\n", "whitespace"),
        ("queries:\n- id: a\n  text: x\n- id: a\n  text: y\n", "listed twice"),
        ("queries:\n- id: a\n  text: x\n- id: b\n  text: x\n", "text of query 'b' is listed twice"),
        ("queries:\n- id: a\n", "needs a `text`"),
        ("queries: {a: x}\n", "followed by a list"),
    ],
)
def test_a_bad_file_is_an_error_with_its_line(tmp_path, body, words):
    path = tmp_path / "queries.yaml"
    path.write_text("version: 1\n" + body)
    with pytest.raises(WorkspaceFileError, match=words) as caught:
        QuerySetFile.load(path)
    assert ":" in str(caught.value).split(str(path))[1][:4]  # `path:LINE:`


def test_the_set_is_the_file_then_the_labeled_queries(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    workspace.queries.add([("1", "listed first")])
    workspace.labels.set("labeled only", "a.md#1", 2, "text")
    workspace.labels.set("listed first", "a.md#1", 1, "text")
    workspace.labels.flush()
    query_set = workspace.query_set()
    assert [(e.id, e.text) for e in query_set] == [("1", "listed first"), (query_id("labeled only"), "labeled only")]
    assert query_set.id_of("listed first") == "1" and query_set.id_of("never seen") == query_id("never seen")
    workspace.close()


def test_a_broken_queries_file_is_reported_and_never_overwritten(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "queries.yaml").write_text("queries: [\n")
    workspace = Workspace.open(root)
    assert any("queries.yaml" in str(p) for p in workspace.problems)
    assert workspace.queries.read_only
    with pytest.raises(WorkspaceFileError):
        workspace.queries.set_note("q", "n")
    assert (root / "queries.yaml").read_text() == "queries: [\n"


def test_lookups_follow_changes(tmp_path):
    listed = QuerySetFile.load(tmp_path / "queries.yaml")
    listed.add([("a", "one")])
    assert listed.by_id("a").text == "one"
    listed.add([("b", "one")])
    assert listed.by_id("a") is None and listed.by_id("b").text == "one"
    assert QuerySet.of(listed, ["one", "two"]).by_id["b"].text == "one"
