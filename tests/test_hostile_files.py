"""Every file the user owns × every hostile case: a clear message with file and line, the file
byte-identical, and the app still starts (that file read-only; config: default keys)."""

import tracemalloc

import pytest

from rerank_tui.session.store import WorkspaceFileError
from rerank_tui.session.workspace import Workspace
from rerank_tui.tui.bindings import load_keymap

LAUGHS = "".join(
    f"{a}: &{a} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
    for p, a in zip([None, *"abcdefgh"], "abcdefghi")
)
DEEP = "x: " + "[" * 20_000 + "]" * 20_000 + "\n"
DEEP_BLOCK = "x:\n" + "- " * 20_000 + "1\n"  # block sequences nested on one line

WRONG_TYPES = {
    "labels.yaml": [
        "version: 1\nqueries:\n  q:\n  - doc: d#1\n    grade: [1]\n",
        "version: 1\nqueries:\n  q:\n  - doc: d#1\n    grade: {x: 1}\n",
        "version: 1\nqueries:\n  q:\n  - doc: [d]\n    grade: 1\n",
        "version: 1\nqueries:\n  q:\n  - doc: d#1\n    grade: 1\n    at: [now]\n",
        "version: 1\nqueries: [a, b]\n",
        "version: [1]\nqueries: {}\n",
        "- just\n- a list\n",
    ],
    "presets.yaml": [
        "version: 1\npresets:\n  a:\n    instruction: [1]\n",
        "version: 1\npresets: [a]\n",
        "version: 1\npresets:\n  a: text\n",
    ],
    "history.yaml": [
        "version: 1\nqueries: {a: 1}\n",
        "version: 1\nqueries:\n- [1]\n",
    ],
    "tries.yaml": [
        "version: 1\ntries:\n- instruction: x\n  uses: abc\n",
        "version: 1\ntries:\n- instruction: {x: 1}\n",
        "version: 1\ntries:\n- instruction: x\n  preset: [1]\n",
        "version: 1\ntries: nope\n",
    ],
    "config.yaml": ["keymap: [1, 2]\n", "- keymap\n"],
}
DUPLICATES = {
    "labels.yaml": "version: 1\nqueries:\n  q:\n  - doc: d#1\n    grade: 1\n  q:\n  - doc: d#2\n    grade: 2\n",
    "presets.yaml": "version: 1\npresets:\n  a:\n    instruction: one\n  a:\n    instruction: two\n",
    "history.yaml": "version: 1\nqueries: [a]\nqueries: [b]\n",
    "tries.yaml": "version: 1\ntries:\n- instruction: x\n  instruction: y\n",
    "config.yaml": "keymap:\n  rerank: f5\n  rerank: f6\n",
}
VALID = {
    "labels.yaml": 'version: 1\nqueries:\n  "q":\n  - doc: d#1\n    grade: 2\n',
    "presets.yaml": "version: 1\npresets:\n  a:\n    instruction: one two three\n",
    "history.yaml": "version: 1\nqueries: [alpha, beta]\n",
    "tries.yaml": "version: 1\ntries:\n- instruction: some instruction\n  uses: 2\n",
    "config.yaml": "keymap:\n  rerank: f5\n",
}
FILES = list(VALID)


def _cases():
    for name in FILES:
        yield name, "duplicate keys", DUPLICATES[name]
        yield name, "aliases (billion laughs)", LAUGHS
        yield name, "nesting 20,000 deep (flow)", DEEP
        yield name, "nesting 20,000 deep (block)", DEEP_BLOCK
        for number, text in enumerate(WRONG_TYPES[name]):
            yield name, f"wrong type {number + 1}", text
        yield name, "truncated", VALID[name][: VALID[name].index(":", 12) - 2] + ': "unterminated'
        yield name, "binary", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\x00IHDR"
        yield name, "control characters", "version: 1\nqueries:\n  \x00\x07: x\n"


def _problems(root, name):
    """What opening the workspace (or reading the config) reports for `name`."""
    if name == "config.yaml":
        keymap, problems = load_keymap(root)
        assert keymap == {} or not problems  # a broken config: the default keys stay
        return problems
    workspace = Workspace.open(root)
    stores = {"labels.yaml": workspace.labels, "presets.yaml": workspace.presets, "history.yaml": workspace.history, "tries.yaml": workspace.tries}
    if workspace.problems:
        assert stores[name].read_only
        _try_to_write(workspace, name)
    return [str(p) for p in workspace.problems]


def _try_to_write(workspace, name):
    write = {
        "labels.yaml": lambda: workspace.labels.set("q", "d#9", 1, "t"),
        "presets.yaml": lambda: workspace.presets.save("new", "an instruction"),
        "history.yaml": lambda: workspace.history.add("a new query"),
        "tries.yaml": lambda: workspace.tries.record("a new instruction"),
    }[name]
    with pytest.raises(WorkspaceFileError):
        write()


@pytest.mark.timeout(60)  # a hang guard: billion laughs once hung start-up
@pytest.mark.parametrize("name, case, content", list(_cases()), ids=[f"{n}-{c}" for n, c, _ in _cases()])
def test_hostile_file_is_reported_with_file_and_line_and_left_untouched(tmp_path, name, case, content):
    path = tmp_path / name
    raw = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(raw)
    tracemalloc.start()
    try:
        problems = _problems(tmp_path, name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(problems) == 1, problems
    message = problems[0]
    assert f"{path}:" in message and message.split(f"{path}:", 1)[1].split(":", 1)[0].strip().isdigit(), message
    assert "Traceback" not in message and len(message) < 400
    assert path.read_bytes() == raw
    assert peak < 100 * 2**20


@pytest.mark.parametrize("name", FILES)
def test_an_empty_file_is_an_empty_store_and_stays_as_it_is(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert _problems(tmp_path, name) == []
    assert path.read_bytes() == b""


@pytest.mark.parametrize("name", FILES)
def test_the_valid_example_of_each_file_loads(tmp_path, name):
    (tmp_path / name).write_text(VALID[name])
    assert _problems(tmp_path, name) == []


def test_stray_temp_files_of_an_interrupted_save_are_removed_at_the_next_open(tmp_path):
    for name in ("labels.yaml", "labels.journal", "presets.yaml", "history.yaml", "tries.yaml"):
        (tmp_path / f".{name}.abc123.tmp").write_text("half a save")
    (tmp_path / "notes.txt").write_text("mine")
    Workspace.open(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["notes.txt"]


@pytest.mark.parametrize(
    "value, ok",
    [("f5", True), ("3,p", True), ("ctrl+s", True), ("comma", True), (3, True), ([1, 2], False), (",", False),
     ("", False), ("ctrl+", False), ("florp", False), ("cmd+s", False), ({"a": 1}, False), (True, False)],
)
def test_a_keymap_value_that_is_not_a_key_is_named_and_the_default_kept(tmp_path, value, ok):
    import yaml

    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"keymap": {"rerank": value, "help": "f2"}}))
    keymap, problems = load_keymap(tmp_path)
    assert keymap.get("help") == "f2"
    if ok:
        assert keymap["rerank"] == str(value) and problems == []
    else:
        assert "rerank" not in keymap and len(problems) == 1 and "keymap rerank" in problems[0]
