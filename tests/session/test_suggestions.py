"""suggestions.jsonl: the judge's suggested grades, apart from the labels."""

import json
import subprocess
import sys
import textwrap
import time

import pytest

from rerank_tui.session.label_model import Scale, text_sha1
from rerank_tui.session.store import WorkspaceFileError
from rerank_tui.session.suggestions import HEADER_KEY, Suggestion, SuggestionStore


def _s(query="q", doc="d#1", grade=2, judge="judge-a", prompt="p1", text="passage", at="2026-12-02T10:00:00Z", **kw) -> Suggestion:
    probs = kw.pop("probs", ((0, 0.1), (1, 0.2), (2, 0.6), (3, 0.1)))
    return Suggestion(query, doc, grade, kw.pop("expected", 1.7), probs, kw.pop("mass", 0.97), judge, prompt, text_sha1(text), at)


def test_a_suggestion_round_trips_through_the_file(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    store = SuggestionStore.load(path)
    assert len(store) == 0 and not path.exists()  # a missing file is an empty store
    one, two = _s(), _s(doc="d#2", grade=0, mass=None, probs=((0, 0.9), (1, 0.1)))
    store.add_many([one, two])
    again = SuggestionStore.load(path)
    assert again.get("q", "d#1") == one and again.get("q", "d#2") == two
    assert again.for_query("q") == {"d#1": one, "d#2": two}
    assert again.queries() == ["q"] and len(again) == 2 and again.get("q", "d#3") is None
    lines = path.read_bytes().splitlines()
    assert json.loads(lines[0])[HEADER_KEY] == 1 and len(lines) == 3


def test_of_takes_the_argmax_and_the_expected_grade():
    s = Suggestion.of("q", "d", {0: 0.1, 1: 0.2, 2: 0.2, 3: 0.0}, judge="j", prompt="p", text="t", mass=0.5)
    assert s.grade == 1  # a tie goes to the lower grade
    assert s.expected == pytest.approx((0.2 + 0.4) / 0.5)  # normalised over the grades' mass
    assert s.probs == ((0, 0.1), (1, 0.2), (2, 0.2), (3, 0.0)) and s.prob(2) == 0.2 and s.prob(7) == 0.0
    assert s.text_sha1 == text_sha1("t") and s.at.endswith("Z") and not s.is_stale("t") and s.is_stale("t2")


def test_the_latest_record_of_a_pair_wins(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    store = SuggestionStore.load(path)
    store.add_many([_s(grade=1)])
    store.add_many([_s(grade=3, judge="judge-b"), _s(doc="d#2")])
    store.add_many([_s(grade=0, judge="judge-c")])
    for s in (store, SuggestionStore.load(path)):
        assert s.get("q", "d#1").grade == 0 and s.get("q", "d#1").judge == "judge-c"
        assert len(s) == 2 and s.records == 4


def test_cached_needs_the_same_judge_prompt_and_passage_text(tmp_path):
    store = SuggestionStore.load(tmp_path / "suggestions.jsonl")
    store.add_many([_s()])
    sha = text_sha1("passage")
    assert store.cached("q", "d#1", "judge-a", "p1", sha) == _s()
    assert store.cached("q", "d#1", "judge-b", "p1", sha) is None
    assert store.cached("q", "d#1", "judge-a", "p2", sha) is None
    assert store.cached("q", "d#1", "judge-a", "p1", text_sha1("passage, edited")) is None
    assert store.cached("q", "d#2", "judge-a", "p1", sha) is None
    store.add_many([_s(judge="judge-b")])  # judged since by another judge: judge-b's is current
    assert store.get("q", "d#1").judge == "judge-b"
    assert store.cached("q", "d#1", "judge-a", "p1", sha) == _s()  # judge-a's earlier one is still found
    assert SuggestionStore.load(tmp_path / "suggestions.jsonl").cached("q", "d#1", "judge-a", "p1", sha) == _s()
    store.add_many([_s(judge="judge-b", text="passage, edited")])
    assert store.cached("q", "d#1", "judge-b", "p1", sha) is not None  # the earlier text's judgment is kept too


def test_two_writers_on_one_file_see_each_other_and_lose_nothing(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    a, b = SuggestionStore.load(path), SuggestionStore.load(path)
    a.add_many([_s(doc="a#1")])
    b.add_many([_s(doc="b#1")])  # b catches up with a's line before it appends
    assert set(b.for_query("q")) == {"a#1", "b#1"}
    a.add_many([_s(doc="a#2")])
    assert set(a.for_query("q")) == {"a#1", "b#1", "a#2"}
    assert b.refresh() == 1 and set(b.for_query("q")) == {"a#1", "b#1", "a#2"}
    assert set(SuggestionStore.load(path).for_query("q")) == {"a#1", "b#1", "a#2"}
    assert path.read_bytes().count(HEADER_KEY.encode()) == 1


WRITER = textwrap.dedent(
    """
    import sys
    from rerank_tui.session.suggestions import Suggestion, SuggestionStore
    store = SuggestionStore.load(sys.argv[1])
    for i in range(40):
        store.add_many([Suggestion("q", f"{sys.argv[2]}#{i}.{k}", i % 4, 1.5, ((0, 1.0),), None, "j", "p", "abc", "") for k in range(3)])
    """
)


def test_two_processes_appending_at_once_lose_nothing(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name]) for name in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    store = SuggestionStore.load(path)
    assert len(store) == 240 and store.records == 240
    assert {doc.split("#")[0] for doc in store.for_query("q")} == {"a", "b"}


def test_a_corrupt_line_is_reported_with_its_number_and_the_file_left_alone(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    SuggestionStore.load(path).add_many([_s(), _s(doc="d#2")])
    for bad, why in (
        (b"not json", "not a JSON line"),
        (b'{"query": "q", "doc": "d#3", "grade": 2.5}', "grade 2.5 is not a whole number"),
        (b'{"query": "q", "doc": "d#3", "grade": true}', "grade True"),
        (b'{"query": "q", "grade": 1}', "expected `query` and `doc`"),
        (b"[1, 2]", "expected a JSON object"),
    ):
        lines = path.read_bytes().splitlines(keepends=True)
        text = b"".join(lines[:2] + [bad + b"\n"] + lines[2:3])
        path.write_bytes(text)
        with pytest.raises(WorkspaceFileError) as info:
            SuggestionStore.load(path)
        assert info.value.line == 3 and info.value.path == path and why in str(info.value)
        assert path.read_bytes() == text
        path.write_bytes(b"".join(lines[:2] + lines[-1:]))


def test_a_corrupt_line_another_writer_appended_turns_the_store_read_only(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    store = SuggestionStore.load(path)
    store.add_many([_s()])
    with open(path, "ab") as fh:
        fh.write(b'{"query": "q", "doc": 5, "grade": 1}\n')
    before = path.read_bytes()
    with pytest.raises(WorkspaceFileError) as info:
        store.add_many([_s(doc="d#2")])
    assert info.value.line == 3 and store.read_only
    with pytest.raises(WorkspaceFileError):
        store.add_many([_s(doc="d#2")])
    assert path.read_bytes() == before and store.get("q", "d#2") is None


def test_a_bad_header_is_line_one(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    path.write_text('{"rerank-tui labels journal": 1, "id": "x"}\n')
    with pytest.raises(WorkspaceFileError) as info:
        SuggestionStore.load(path)
    assert info.value.line == 1


def test_a_torn_last_line_is_dropped_and_cut_before_the_next_append(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    SuggestionStore.load(path).add_many([_s()])
    with open(path, "ab") as fh:
        fh.write(b'{"query": "q", "doc": "d#2", "gra')  # killed mid-write
    store = SuggestionStore.load(path)
    assert set(store.for_query("q")) == {"d#1"}
    store.add_many([_s(doc="d#3")])
    assert set(SuggestionStore.load(path).for_query("q")) == {"d#1", "d#3"}
    assert b"d#2" not in path.read_bytes() and path.read_bytes().count(b"\n") == 3
    torn_header = tmp_path / "other.jsonl"
    torn_header.write_bytes(b'{"rerank-tui sugg')
    again = SuggestionStore.load(torn_header)
    assert len(again) == 0
    again.add_many([_s()])
    assert SuggestionStore.load(torn_header).get("q", "d#1") == _s()


def test_a_replaced_file_is_read_again(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    store = SuggestionStore.load(path)
    store.add_many([_s(doc="old#1")])
    path.unlink()
    other = SuggestionStore.load(path)
    other.add_many([_s(doc="new#1"), _s(doc="new#2")])
    store.add_many([_s(doc="mine#1")])
    assert set(store.for_query("q")) == {"new#1", "new#2", "mine#1"}
    assert set(SuggestionStore.load(path).for_query("q")) == {"new#1", "new#2", "mine#1"}


HOSTILE = [
    "line one\nline two\r\n\ttabbed",
    "\x00\x01\x1b[31mred\x1b[0m\x7f",
    "\u202eRTL override \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627\u202c",
    "\u2028\u2029 separators and \ufeff BOM",
    "lone surrogate \ud800 here",
    "emoji 👩‍💻 and CJK 中文",
    "x" * 200_000,
    '{"query": "fake", "doc": "x"}\n{"rerank-tui suggestions": 1}',
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_round_trips(tmp_path, text):
    path = tmp_path / "suggestions.jsonl"
    s = _s(query=text, doc="d#" + text, judge=text, prompt=text)
    SuggestionStore.load(path).add_many([s, _s(query=text, doc="plain#1")])
    again = SuggestionStore.load(path)
    assert again.get(text, "d#" + text) == s and set(again.for_query(text)) == {"d#" + text, "plain#1"}
    assert path.read_bytes().decode("utf-8").count("\n") == 3


def test_grades_must_be_whole_numbers_and_on_scale_filters(tmp_path):
    store = SuggestionStore.load(tmp_path / "suggestions.jsonl")
    for bad in (2.0, True, "2"):
        with pytest.raises(ValueError):
            store.add_many([_s(grade=bad)])
    store.add_many([_s(grade=3), _s(doc="d#2", grade=7), _s(query="r", doc="d#9", grade=-1)])  # the store keeps any whole number
    assert {q: set(d) for q, d in store.on_scale(Scale(0, 3)).items()} == {"q": {"d#1"}}
    assert {q: set(d) for q, d in store.on_scale(Scale(-1, 10)).items()} == {"q": {"d#1", "d#2"}, "r": {"d#9"}}


def test_a_read_only_stand_in_refuses_to_append(tmp_path):
    store = SuggestionStore.read_only_stand_in(tmp_path / "suggestions.jsonl")
    with pytest.raises(WorkspaceFileError):
        store.add_many([_s()])
    assert not (tmp_path / "suggestions.jsonl").exists()


def _many(path, n):
    probs = [[0, 0.05123], [1, 0.21234], [2, 0.61234], [3, 0.12409]]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({HEADER_KEY: 1, "id": "x"}) + "\n")
        for i in range(n):
            record = {
                "query": f"query number {i % 1000} about something", "doc": f"docs/file{i}.md#{i % 7}", "grade": i % 4,
                "expected": 1.8734, "probs": probs, "mass": 0.987, "judge": "qwen3-8b vllm http://localhost:8000",
                "prompt": "0123456789abcdef0123456789abcdef01234567", "text_sha1": "abcdef012345", "at": "2026-12-02T10:00:00Z",
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


@pytest.mark.slow  # about 4 s, most of it writing the file
def test_100k_suggestions_load_quickly(tmp_path):
    path = tmp_path / "suggestions.jsonl"
    _many(path, 100_000)
    best = min(_timed_load(path) for _ in range(2))
    store = SuggestionStore.load(path)
    assert len(store) == 100_000 and len(store.queries()) == 1000
    assert store.get("query number 5 about something", "docs/file5.md#5").grade == 1
    assert best < 3.0, f"{best:.2f} s"  # about 0.3 s on a quiet 2-core machine; the bound leaves room for a loaded one


def _timed_load(path) -> float:
    start = time.perf_counter()
    SuggestionStore.load(path)
    return time.perf_counter() - start
