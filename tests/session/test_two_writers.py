"""Two writers on one workspace (two app instances, or `import` while the app is open) lose nothing."""

import os
import signal
import subprocess
import sys
import textwrap

from rerank_tui.session.labels import LabelStore
from rerank_tui.session.presets import BUILTIN_PRESETS, PresetStore
from rerank_tui.session.tries import TryLog
from rerank_tui.session.workspace import Workspace

LABELER = textwrap.dedent(
    """
    import sys, time
    from rerank_tui.session.labels import LabelStore
    store = LabelStore.load(sys.argv[1])
    store.on_saved = lambda saved: print("saved", len(saved.changes), flush=True)
    for i in range(int(sys.argv[3])):
        store.set(f"query {i % 7}", f"{sys.argv[2]}/doc{i}.md#1", i % 4, "text")
        store.flush()
        time.sleep(0.002)
    store.close()
    """
)

PRESET_SAVER = textwrap.dedent(
    """
    import sys
    from rerank_tui.session.presets import PresetStore
    from rerank_tui.session.tries import TryLog
    from rerank_tui.session.history import QueryHistory
    root = sys.argv[1]
    presets, tries, history = PresetStore.load(root + "/presets.yaml"), TryLog.load(root + "/tries.yaml"), QueryHistory.load(root + "/history.yaml")
    for i in range(25):
        presets.save(f"{sys.argv[2]}-{i}", f"instruction {sys.argv[2]} {i}")
        tries.record(f"try {sys.argv[2]} {i}")
        history.add(f"query {sys.argv[2]} {i}")
    """
)


def _spawn(script, *args):
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, text=True)


def test_two_processes_writing_100_labels_each_end_with_200(tmp_path):
    path = tmp_path / "labels.yaml"
    writers = [_spawn(LABELER, path, name, 100) for name in ("a", "b")]
    for w in writers:
        assert w.wait(timeout=120) == 0
    store = LabelStore.load(path)
    assert len(store) == 200
    store.compact()  # and folding the journal into labels.yaml keeps them all
    assert len(LabelStore.load(path)) == 200


def test_an_import_while_the_app_labels_keeps_both_sides(tmp_path):
    path = tmp_path / "labels.yaml"
    app = LabelStore.load(path)
    app.set("q", "app#1", 3, "t")
    app.flush()
    importer = LabelStore.load(path)  # `rerank-tui import` in another process
    importer.merge({"q": {}, "imported query": {}})
    from rerank_tui.session.labels import Label

    importer.merge({"q": {"imp#1": Label("imp#1", 1)}, "other": {"imp#2": Label("imp#2", 2)}})
    app.set("q", "app#2", 2, "t")  # the app's next label sees the import first
    app.flush()
    assert set(app.for_query("q")) == {"app#1", "app#2", "imp#1"}
    final = LabelStore.load(path)
    assert set(final.for_query("q")) == {"app#1", "app#2", "imp#1"} and set(final.for_query("other")) == {"imp#2"}
    app.close()


def test_presets_tries_and_history_from_two_processes_are_all_kept(tmp_path):
    writers = [_spawn(PRESET_SAVER, tmp_path, name) for name in ("a", "b")]
    for w in writers:
        assert w.wait(timeout=120) == 0
    presets = PresetStore.load(tmp_path / "presets.yaml")
    assert {f"{n}-{i}" for n in "ab" for i in range(25)} | set(BUILTIN_PRESETS) == set(presets.names())
    assert len(TryLog.load(tmp_path / "tries.yaml").tries) == 50
    workspace = Workspace.open(tmp_path)
    assert len(workspace.history.entries) == 50 and not workspace.problems


def test_a_preset_saved_elsewhere_is_not_lost_by_our_next_save(tmp_path):
    ours = PresetStore.load(tmp_path / "presets.yaml")
    theirs = PresetStore.load(tmp_path / "presets.yaml")
    theirs.save("theirs", "their instruction")
    ours.save("ours", "our instruction")
    assert {"theirs", "ours"} <= set(PresetStore.load(tmp_path / "presets.yaml").names())
    ours.delete("theirs")  # and a delete applies to what is there now
    assert "theirs" not in PresetStore.load(tmp_path / "presets.yaml").names()


def test_labels_reported_saved_survive_kill_9(tmp_path):
    path = tmp_path / "labels.yaml"
    writer = _spawn(LABELER, path, "k", 10_000)
    saved = 0
    for line in writer.stdout:
        saved += int(line.split()[1])
        if saved >= 40:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert len(LabelStore.load(path)) >= saved
