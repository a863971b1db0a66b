"""Build an index in a child process, so the process that asked (the app) stays responsive.

A build in the app's own worker thread shares the interpreter with the UI: the garbage
collector's full passes over hundreds of thousands of new passages, and every C call that holds
the GIL while it merges or saves the postings, freeze typing for up to seconds at a million
passages (`bench/app_build.py`). Here `python -m rerank_tui.recall.child_build SPEC` runs
`open_index` itself, which writes the cache entry; the caller then opens that entry, memory-mapped,
in well under a second. Progress comes back as JSON lines on the child's standard output; a
corpus error as `{"error": …}` and exit status 2. The child reads its standard input until
the end and exits when it ends, so it never outlives a caller that quit (or was killed).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import rerank_tui
from rerank_tui.corpus.model import CorpusError, CorpusOptions
from rerank_tui.recall.params import BM25Params

EXIT_CORPUS_ERROR = 2


def build_in_child(source: str | os.PathLike, *, options: CorpusOptions, engine: str, params: BM25Params,
                   rebuild: bool = False, progress=None) -> None:
    """Run `open_index(source, …)` in a child process (which stores the index in the cache).

    Raises CorpusError with the child's message, or when it fails without one."""
    spec = json.dumps({
        "source": str(source), "options": dataclasses.asdict(options), "engine": engine,
        "params": dataclasses.asdict(params), "rebuild": rebuild,
    })
    package_root = str(Path(rerank_tui.__file__).resolve().parents[1])
    env = os.environ | {"PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)}
    errors = tempfile.TemporaryFile("w+", encoding="utf-8")  # a file, not a pipe: a chatty child never blocks
    child = subprocess.Popen([sys.executable, "-m", "rerank_tui.recall.child_build", spec], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=errors, env=env, text=True, encoding="utf-8")
    error = ""
    try:
        assert child.stdout is not None
        for line in child.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "error" in record:
                error = record["error"]
            elif progress is not None:
                progress(record["done"], record["total"], record.get("what", ""))
        code = child.wait()
    finally:
        if child.poll() is None:  # the caller is being torn down: take the child with it
            child.kill()
        if child.stdin is not None:
            child.stdin.close()
    errors.seek(0)
    stderr = errors.read().strip().splitlines()
    errors.close()
    if code != 0:
        raise CorpusError(error or f"building the index failed (exit status {code}): {stderr[-1] if stderr else 'no message'}")


def _exit_with_the_caller() -> None:
    # os.read, not sys.stdin: a thread blocked in sys.stdin.read() holds its buffer's lock, and
    # the tokenizing workers forked from this process would hang closing their copy of stdin.
    while os.read(0, 4096):  # b"" when the caller closes the pipe or dies
        pass
    os._exit(1)


def main(argv: list[str]) -> int:
    from rerank_tui.recall.store import open_index

    spec = json.loads(argv[0])
    threading.Thread(target=_exit_with_the_caller, daemon=True).start()

    def progress(done: int, total: int | None, what: str = "") -> None:
        print(json.dumps({"done": done, "total": total, "what": what}), flush=True)

    try:
        open_index(spec["source"], options=CorpusOptions(**spec["options"]), engine=spec["engine"],
                   params=BM25Params(**spec["params"]), rebuild=spec["rebuild"], progress=progress)
    except CorpusError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return EXIT_CORPUS_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
