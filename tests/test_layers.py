"""The layer contracts hold, and start-up imports nothing heavy."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_and_recall_start_without_heavy_imports():
    code = (
        "import sys, rerank_tui.cli, rerank_tui.recall, rerank_tui.corpus, rerank_tui.rerank;"
        "heavy = [m for m in ('torch', 'transformers', 'vllm', 'textual') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_embed_layer_imports_nothing_heavy():
    code = (
        "import sys, rerank_tui.embed, rerank_tui.recall.dense, rerank_tui.recall.fusion;"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers', 'vllm', 'textual') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_judge_layer_imports_nothing_heavy():
    code = (
        "import sys, rerank_tui.judge, rerank_tui.judge.factory, rerank_tui.judge.transformers_judge, rerank_tui.judge.prompt;"
        "rerank_tui.judge.GradeDistribution, rerank_tui.judge.build_judge;"
        "heavy = [m for m in ('torch', 'transformers', 'vllm', 'textual', 'rerank_tui.session') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
