"""The base install is light: no torch, transformers, sentence-transformers, faiss or vLLM; the
app, BM25 and eval run without them, and a missing in-process backend names the extra."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "sentence-transformers", "sentence_transformers", "faiss-cpu", "vllm")


def _name(requirement: str) -> str:
    for stop in "<>=!~[ ;":
        requirement = requirement.split(stop)[0]
    return requirement.strip().lower()


def test_the_base_dependencies_pull_nothing_heavy():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = {_name(r) for r in project["dependencies"]}
    assert not base & set(HEAVY), base & set(HEAVY)
    extras = project["optional-dependencies"]
    assert {"torch", "transformers", "sentence-transformers"} <= {_name(r) for r in extras["local"]}
    assert project["license"] == "MIT" and (REPO / "LICENSE").is_file() and (REPO / "rerank_tui" / "py.typed").is_file()


# Python with the heavy libraries made unimportable, as in a base install.
BLOCKED = (
    "import sys\n"
    "for name in ('torch', 'transformers', 'sentence_transformers', 'faiss', 'vllm'):\n"
    "    sys.modules[name] = None\n"
    "from rerank_tui.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _run(tmp_path, *argv: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(REPO), "RERANK_TUI_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", BLOCKED, *argv], capture_output=True, text=True, env=env, timeout=120)


def test_bm25_search_and_eval_run_without_torch(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Pinned memory\n\npin_memory speeds up host to GPU copies.\n")
    (docs / "b.md").write_text("# Workers\n\nnum_workers loads batches in parallel.\n")
    done = _run(tmp_path, "search", str(docs), "pinned memory", "--json", "--workspace", str(tmp_path / "ws"))
    assert done.returncode == 0, done.stderr
    assert '"a.md#1"' in done.stdout.splitlines()[0]


def test_a_missing_local_backend_names_the_extra(tmp_path, tiny_model_dir):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nsome text\n")
    done = _run(tmp_path, "search", str(docs), "text", "--rerank", "--backend", "transformers", "--model", str(tiny_model_dir), "--workspace", str(tmp_path / "ws"))
    assert done.returncode == 2 and "rerank-tui[local]" in done.stderr and "Traceback" not in done.stderr
    done = _run(tmp_path, "search", str(docs), "text", "--recall", "dense", "--embedder", str(tiny_model_dir), "--workspace", str(tmp_path / "ws"))
    assert done.returncode == 2 and "rerank-tui[local]" in done.stderr and "Traceback" not in done.stderr
