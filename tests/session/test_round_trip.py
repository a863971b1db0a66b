"""A hand-edited workspace file keeps what the user wrote when the app saves it."""

import sys

import pytest
import yaml

from rerank_tui.session import round_trip
from rerank_tui.session.query_set import QuerySetFile
from rerank_tui.session.round_trip import kept_text, round_trip_text

QUERIES = """\
version: 1
queries:   # the judged set
# from the Cranfield import
- id: '1'
  text: what similarity laws must be obeyed   # the classic one
  note: models of heated aircraft
# added by hand
- id: q3f1c0a9b2e4d
  text: pytorch dataloader num_workers 0

# the last one
- id: "3"
  text: useEffect cleanup
"""


def test_queries_yaml_keeps_its_comments_when_a_query_is_added_or_noted(tmp_path):
    path = tmp_path / "queries.yaml"
    path.write_text(QUERIES, encoding="utf-8")
    queries = QuerySetFile.load(path)
    queries.add([("4", "bananas")])
    assert path.read_text() == QUERIES + "- id: '4'\n  text: bananas\n"
    queries.set_note("pytorch dataloader num_workers 0", "hangs in Jupyter")
    text = path.read_text()
    assert "  text: pytorch dataloader num_workers 0\n  note: hangs in Jupyter\n\n# the last one\n" in text
    assert text.startswith(QUERIES.split("- id: q3f")[0])
    queries.remove("what similarity laws must be obeyed")
    text = path.read_text()
    assert "Cranfield" not in text and "classic" not in text
    assert text.startswith("version: 1\nqueries:   # the judged set\n# added by hand\n- id: q3f1c0a9b2e4d\n")
    assert [e.id for e in QuerySetFile.load(path).entries] == ["q3f1c0a9b2e4d", "3", "4"]


@pytest.mark.parametrize(
    "text, data, expected",
    [
        ("version: 1\nqueries:\n  - id: '1'\n    text: a\n", {"version": 1, "queries": [{"id": "1", "text": "a"}, {"id": "2", "text": "b"}]},
         "version: 1\nqueries:\n  - id: '1'\n    text: a\n  - id: '2'\n    text: b\n"),  # the file's indentation
        ("version: 1\npresets:\n    a:\n        instruction: x\n", {"version": 1, "presets": {"a": {"instruction": "x"}, "b": {"instruction": "y"}}},
         "version: 1\npresets:\n    a:\n        instruction: x\n    b:\n        instruction: y\n"),
        ("---\n# mine\npresets:\n  a:\n    instruction: x\n", {"version": 1, "presets": {"a": {"instruction": "x"}}},
         "---\n# mine\nversion: 1\npresets:\n  a:\n    instruction: x\n"),  # `version` goes first, below the file's head
        ("version: 1\npresets:\n  a:\n    instruction: " + "word " * 60 + "end\n", {"version": 1, "presets": {"a": {"instruction": "x"}}},
         "version: 1\npresets:\n  a:\n    instruction: x\n"),
    ],
)
def test_round_trip_text(text, data, expected):
    assert round_trip_text(text, data, next(k for k in data if k != "version")) == expected


def test_a_long_line_is_never_folded():
    long = "word " * 60 + "end"
    text = f"# c\nversion: 1\npresets:\n  a:\n    instruction: {long}\n"
    out = kept_text(text, {"version": 1, "presets": {"a": {"instruction": long}, "b": {"instruction": "y"}}}, "presets")
    assert out.startswith(text)


def test_what_cannot_be_kept_is_none_and_the_caller_writes_the_plain_dump(monkeypatch):
    data = {"version": 1, "presets": {"a": {"instruction": "x"}}}
    assert kept_text("- a list\n", data, "presets") is None  # not a mapping
    assert kept_text("# only\n# comments\n", data, "presets") == "# only\n# comments\n" + yaml.safe_dump(data, sort_keys=False)
    big = "# c\nversion: 1\npresets:\n" + "".join(f"  p{i}:\n    instruction: x\n" for i in range(round_trip.MAX_ROUND_TRIP_CHARS // 20))
    assert kept_text(big, data, "presets") is None  # ruamel takes about 1 ms an entry: too slow for this
    monkeypatch.setitem(sys.modules, "ruamel.yaml", None)  # not installed
    assert round_trip_text("# c\nversion: 1\npresets: {}\n", data, "presets") is None


def test_the_kept_text_must_read_back_as_the_new_data():
    data = {"version": 1, "presets": {"a": {"instruction": "yes"}}}
    assert kept_text("# c\nversion: 1\npresets:\n  a:\n    instruction: 'no'\n", data, "presets").endswith("instruction: 'yes'\n")
    assert round_trip._holds({"presets": {"a": 1}, "version": 1}, {"version": 1, "presets": {"a": 1}})  # top-level order is the file's
    assert not round_trip._holds({"version": 1, "presets": {"b": 1, "a": 1}}, {"version": 1, "presets": {"a": 1, "b": 1}})
    assert not round_trip.same(True, 1) and not round_trip.same(1, 1.0) and round_trip.same([{"a": "x"}], [{"a": "x"}])
