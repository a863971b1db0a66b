"""The corpus watcher: real file-system events through watchfiles, filtered as the walk filters."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from rerank_tui.session.corpus_watch import corpus_changes, counts


def test_counts_follows_the_walk_rules(tmp_path):
    root = tmp_path
    assert counts(root / "notes.md", root)
    assert counts(root / "sub" / "deep.txt", root)
    assert counts(root / "sub" / ".gitignore", root)  # decides what is a document
    assert not counts(root / ".rerank-tui" / "labels.yaml", root)  # the workspace beside the documents
    assert not counts(root / ".git" / "index", root)
    assert not counts(root / "node_modules" / "x.js", root)
    assert not counts(root / ".notes.md.swp", root)
    assert not counts(root / "notes.md~", root)
    assert not counts(tmp_path.parent / "elsewhere.md", root)


def _watch(source: Path):
    stop = threading.Event()
    batches: queue.Queue = queue.Queue()
    ready = threading.Event()

    def run():
        ready.set()
        for batch in corpus_changes(source, stop, debounce_ms=100):
            batches.put(batch)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)
    time.sleep(0.5)  # the watcher registers before the first change
    return stop, batches, thread


def test_a_batch_names_the_changed_documents_and_not_the_workspace(tmp_path):
    corpus = tmp_path / "docs"
    (corpus / ".rerank-tui").mkdir(parents=True)
    (corpus / "old.md").write_text("# Old\n\ntext\n")
    stop, batches, thread = _watch(corpus)
    try:
        (corpus / ".rerank-tui" / "labels.yaml").write_text("labels: {}\n")
        (corpus / "new.md").write_text("# New\n\nmore text\n")
        (corpus / "old.md").unlink()
        seen: set[Path] = set()
        deadline = time.monotonic() + 30
        while {corpus.resolve() / "new.md", corpus.resolve() / "old.md"} - seen and time.monotonic() < deadline:
            try:
                seen |= batches.get(timeout=1)
            except queue.Empty:
                pass
        assert seen == {corpus.resolve() / "new.md", corpus.resolve() / "old.md"}  # no workspace path
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()  # the stop event ends the watch


def test_a_jsonl_corpus_counts_only_its_own_file(tmp_path):
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text('{"id": "1", "text": "a"}\n')
    stop, batches, thread = _watch(corpus)
    try:
        (tmp_path / "other.jsonl").write_text("{}\n")
        with corpus.open("a") as fh:
            fh.write('{"id": "2", "text": "b"}\n')
        batch = batches.get(timeout=30)
        assert batch == {corpus.resolve()}
    finally:
        stop.set()
        thread.join(10)
