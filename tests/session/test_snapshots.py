import math

import ir_measures
import pytest

from rerank_tui.session.metrics import per_query
from rerank_tui.session.snapshots import (
    Snapshot,
    SnapshotExists,
    SnapshotNotFound,
    delete_snapshot,
    diff_snapshots,
    export_run,
    list_snapshots,
    load_snapshot,
    save_snapshot,
    snapshot_paths,
    strictly_decreasing,
)
from rerank_tui.session.store import WorkspaceFileError

CONFIG = {"recall": {"k1": 1.2, "b": 0.75}, "model": "Qwen/Qwen3-Reranker-0.6B", "depth": 100, "instruction": "Find\nanswers"}
QUERIES = {"q1": "pytorch dataloader", "2": "yes", "q3": "no hits here"}
RUN = {"q1": [("a.md#1", 0.9), ("b.md#2", 0.5), ("c.md#1", 0.1)], "2": [("b.md#2", 3.0), ("a.md#1", -1.5)]}


def test_save_list_load_round_trip(tmp_path):
    saved = save_snapshot(tmp_path, "bm25-base", CONFIG, QUERIES, RUN)
    assert saved.run == {**RUN, "q3": []}
    loaded = load_snapshot(tmp_path, "bm25-base")
    assert loaded == saved
    assert list(loaded.queries) == ["q1", "2", "q3"] and loaded.config == CONFIG
    yaml_path, trec_path = snapshot_paths(tmp_path, "bm25-base")
    assert trec_path.read_text().splitlines()[0] == "q1 Q0 a.md#1 1 0.9 bm25-base"
    assert yaml_path.read_text().startswith("version: 1\nname: bm25-base\ncreated: ")
    [info] = list_snapshots(tmp_path)
    assert (info.name, info.created, info.config, info.queries, info.error) == ("bm25-base", saved.created, CONFIG, 3, None)


def test_the_saved_run_gives_the_same_metrics_to_ir_measures(tmp_path):
    # Forced ties (and w above them): left as they are, the evaluators order by score, then by
    # doc id, not by the given order, and the metrics change.
    run = {"q1": [("z", 1.0), ("y", 1.0), ("x", 1.0), ("w", 2.0), ("v", 0.25)], "q2": [("k", 0.0), ("j", 0.0)]}
    qrels = {"q1": {"z": 3, "v": 2}, "q2": {"k": 1}}
    metrics = ["nDCG@10", "AP", "RR@10", "P@1"]
    assert per_query(qrels, run, ["RR@10"])["RR@10"] != {"q1": 1.0, "q2": 1.0}  # the ties, untouched

    snap = save_snapshot(tmp_path, "ties", {}, {"q1": "one", "q2": "two"}, run)
    for docs in snap.run.values():
        scores = [s for _, s in docs]
        assert all(x > y for x, y in zip(scores, scores[1:]))
    assert [d for d, _ in snap.run["q1"]] == ["z", "y", "x", "w", "v"]  # the given order
    assert snap.run["q1"][0][1] == 1.0 and snap.run["q1"][4][1] == 0.25  # untied scores kept exactly
    assert per_query(qrels, snap.run, ["RR@10"])["RR@10"] == {"q1": 1.0, "q2": 1.0}  # z and k first

    _, trec_path = snapshot_paths(tmp_path, "ties")
    rows = list(ir_measures.read_trec_run(str(trec_path)))
    from_file: dict = {}
    for row in rows:
        from_file.setdefault(row.query_id, []).append((row.doc_id, row.score))
    assert from_file == snap.run  # repr() round-trips every score exactly
    expected = per_query(qrels, snap.run, metrics)
    # ir-measures on the file itself, not through metrics.per_query
    qrel_rows = [ir_measures.Qrel(q, d, g) for q, docs in qrels.items() for d, g in docs.items()]
    measures = [ir_measures.parse_measure(m) for m in metrics]
    for value in ir_measures.iter_calc(measures, qrel_rows, ir_measures.read_trec_run(str(trec_path))):
        assert value.value == pytest.approx(expected[str(value.measure)][value.query_id])


def test_strictly_decreasing_keeps_decreasing_scores_and_order():
    assert strictly_decreasing([("a", 3.0), ("b", 2.0)]) == [("a", 3.0), ("b", 2.0)]
    out = strictly_decreasing([("a", 0.5), ("b", 0.5), ("c", 0.7)])
    assert [d for d, _ in out] == ["a", "b", "c"] and out[0][1] > out[1][1] > out[2][1]
    assert out[1][1] == math.nextafter(0.5, -math.inf)


@pytest.mark.parametrize("name", ["a/b", "..", "../x", ".hidden", "", "x" * 81, "has space", "a\\b", "naïve"])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError):
        save_snapshot(tmp_path, name, {}, QUERIES, RUN)
    with pytest.raises(ValueError):
        load_snapshot(tmp_path, name)
    assert not (tmp_path / "snapshots").exists() or not any((tmp_path / "snapshots").iterdir())


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="one word"):
        save_snapshot(tmp_path, "s", {}, {"two words": "x"}, {})
    with pytest.raises(ValueError, match="not in the query set"):
        save_snapshot(tmp_path, "s", {}, {"q1": "x"}, {"q9": [("a", 1.0)]})
    with pytest.raises(ValueError, match="finite"):
        save_snapshot(tmp_path, "s", {}, {"q1": "x"}, {"q1": [("a", math.nan)]})
    with pytest.raises(ValueError, match="twice"):
        save_snapshot(tmp_path, "s", {}, {"q1": "x"}, {"q1": [("a", 2.0), ("a", 1.0)]})
    with pytest.raises(ValueError, match="plain value"):
        save_snapshot(tmp_path, "s", {"path": tmp_path}, {"q1": "x"}, {})
    assert list_snapshots(tmp_path) == []


def test_overwrite_needs_replace(tmp_path):
    save_snapshot(tmp_path, "s", {"v": 1}, QUERIES, RUN)
    with pytest.raises(SnapshotExists, match="exists"):
        save_snapshot(tmp_path, "s", {"v": 2}, QUERIES, {})
    assert load_snapshot(tmp_path, "s").config == {"v": 1}
    save_snapshot(tmp_path, "s", {"v": 2}, {"q1": "x"}, {"q1": [("d", 1.0)]}, replace=True)
    again = load_snapshot(tmp_path, "s")
    assert again.config == {"v": 2} and again.run == {"q1": [("d", 1.0)]}


def test_a_corrupt_run_line_is_reported_with_its_line(tmp_path):
    save_snapshot(tmp_path, "s", {}, QUERIES, RUN)
    _, trec_path = snapshot_paths(tmp_path, "s")
    lines = trec_path.read_text().splitlines(keepends=True)
    for bad, message in [
        ("q1 Q0 b.md#2 2 not-a-number s\n", "must be numbers"),
        ("q1 Q0 b.md#2 2\n", "6 fields"),
        ("q1 Q0 b.md#2 2 0.95 s\n", "below the one before"),
        ("q1 Q0 b.md#2 7 0.5 s\n", "rank 7"),
        ("q9 Q0 b.md#2 2 0.5 s\n", "not among"),
        ("q1 Q0 a.md#1 2 0.5 s\n", "twice"),
    ]:
        trec_path.write_text("".join(lines[:1] + [bad] + lines[2:]))
        with pytest.raises(WorkspaceFileError, match=message) as caught:
            load_snapshot(tmp_path, "s")
        assert caught.value.line == 2 and caught.value.path == trec_path
    trec_path.write_bytes(b"".join(x.encode() for x in lines[:2]) + b"q1 Q0 \xff 3 0.1 s\n")
    with pytest.raises(WorkspaceFileError, match="UTF-8") as caught:
        load_snapshot(tmp_path, "s")
    assert caught.value.line == 3


def test_a_broken_yaml_is_listed_with_its_error_and_refused_on_load(tmp_path):
    save_snapshot(tmp_path, "good", {}, QUERIES, RUN)
    save_snapshot(tmp_path, "broken", {}, QUERIES, RUN)
    yaml_path, _ = snapshot_paths(tmp_path, "broken")
    yaml_path.write_text("version: 1\nname: broken\ncreated: 2026-01-01T00:00:00Z\nqueries: [oops\n")
    save_snapshot(tmp_path, "newer", {}, QUERIES, RUN)
    snapshot_paths(tmp_path, "newer")[0].write_text("version: 2\nqueries: {}\n")
    infos = list_snapshots(tmp_path)
    assert [i.name for i in infos][0] == "good"
    errors = {i.name: i.error for i in infos if i.error}
    assert set(errors) == {"broken", "newer"}
    assert "broken.yaml" in errors["broken"] and "newer rerank-tui" in errors["newer"]
    with pytest.raises(WorkspaceFileError) as caught:
        load_snapshot(tmp_path, "broken")
    assert caught.value.line is not None


def test_list_is_newest_first_and_delete_removes_both_files(tmp_path):
    assert list_snapshots(tmp_path) == []
    for name, created in [("old", "2026-01-01T00:00:00Z"), ("new", "2026-03-01T00:00:00Z")]:
        save_snapshot(tmp_path, name, {}, QUERIES, RUN)
        path = snapshot_paths(tmp_path, name)[0]
        text = path.read_text()
        path.write_text("\n".join(f"created: '{created}'" if x.startswith("created:") else x for x in text.splitlines()) + "\n")
    assert [i.name for i in list_snapshots(tmp_path)] == ["new", "old"]
    delete_snapshot(tmp_path, "new")
    assert not any(p.exists() for p in snapshot_paths(tmp_path, "new"))
    assert [i.name for i in list_snapshots(tmp_path)] == ["old"]
    with pytest.raises(SnapshotNotFound):
        delete_snapshot(tmp_path, "new")
    with pytest.raises(SnapshotNotFound):
        load_snapshot(tmp_path, "new")


def test_export_run_writes_the_trec_run(tmp_path):
    snap = Snapshot("s", "2026-01-01T00:00:00Z", {}, {"q1": "x"}, {"q1": [("a", 1.0), ("b", 1.0)]})
    assert export_run(snap, tmp_path / "out.run", tag="mine") == 2
    first, second = (tmp_path / "out.run").read_text().splitlines()
    assert first == "q1 Q0 a 1 1.0 mine"
    assert second.startswith("q1 Q0 b 2 0.9999999999999") and second.endswith(" mine")


def _snap(name, run):
    return Snapshot(name, "2026-01-01T00:00:00Z", {}, {q: q for q in run}, run)


def test_diff_of_two_small_snapshots():
    a = _snap("a", {
        "q1": [("r1", 3.0), ("n1", 2.0), ("r2", 1.0)],
        "q2": [("r3", 2.0), ("n2", 1.0)],
        "q3": [("x", 1.0)],  # no labels
        "qa": [("x", 1.0)],
    })
    b = _snap("b", {
        "q1": [("n1", 3.0), ("r1", 2.0), ("new", 1.0)],
        "q2": [("r3", 2.0), ("n2", 1.0)],
        "q3": [("x", 1.0)],
        "qb": [("x", 1.0)],
    })
    qrels = {"q1": {"r1": 1, "r2": 1}, "q2": {"r3": 1}}
    diff = diff_snapshots(a, b, qrels, "RR@10", top=3)
    # RR@10: q1 a: r1 at 1 → 1.0; b: r1 at 2 → 0.5; q2 the same on both sides: 1.0.
    assert [(d.qid, d.a, d.b, d.delta) for d in diff.queries] == [
        ("q1", 1.0, 0.5, -0.5), ("q2", 1.0, 1.0, 0.0), ("q3", None, None, None),
    ]
    q1 = diff.queries[0]
    assert [(c.doc, c.rank_a, c.rank_b, c.moved) for c in q1.moved_up] == [("n1", 2, 1, 1)]
    assert [(c.doc, c.rank_a, c.rank_b, c.moved) for c in q1.moved_down] == [("r1", 1, 2, -1)]
    assert [(c.doc, c.rank_a, c.rank_b) for c in q1.only_a] == [("r2", 3, None)]
    assert [(c.doc, c.rank_a, c.rank_b) for c in q1.only_b] == [("new", None, 3)]
    assert q1.overlap.jaccard == 2 / 4
    assert diff.queries[1].moved_up == diff.queries[1].moved_down == diff.queries[1].only_a == []
    assert diff.queries[1].overlap.jaccard == 1.0
    assert (diff.mean_a, diff.mean_b, diff.mean_delta) == (1.0, 0.75, -0.25)
    assert (diff.counts.better, diff.counts.worse, diff.counts.same) == (0, 1, 1)
    assert 0.0 <= diff.p_value <= 1.0
    assert (diff.only_in_a, diff.only_in_b) == (["qa"], ["qb"])


def test_a_large_snapshot_saves_and_loads(tmp_path):
    queries = {f"q{i}": f"query number {i}" for i in range(500)}
    run = {q: [(f"doc{(i * 7 + j) % 1000}.md#{j}", 1.0 - j / 100) for j in range(100)] for i, q in enumerate(queries)}
    saved = save_snapshot(tmp_path, "big", {"depth": 100}, queries, run)
    _, trec_path = snapshot_paths(tmp_path, "big")
    assert sum(1 for _ in trec_path.open()) == 50_000
    loaded = load_snapshot(tmp_path, "big")
    assert loaded == saved and len(loaded.run["q499"]) == 100
    assert list_snapshots(tmp_path)[0].queries == 500
