#!/usr/bin/env bash
# Set up (idempotent) and open rerank-tui on a corpus (default: the demo corpus).
#   scripts/app.sh [PATH] [options]        e.g. scripts/app.sh ~/notes --model Qwen/Qwen3-Reranker-4B
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -m venv .venv
# The demo reranks in-process: the [local] extra (torch, transformers, sentence-transformers).
# torch is pinned: a bare `torch` requirement can pull a multi-GB build you may not want.
.venv/bin/python -m pip install --disable-pip-version-check -q torch==2.13.0 -e '.[local]'
if [[ $# -eq 0 ]]; then set -- corpora/demo; fi
exec .venv/bin/rerank-tui "$@"
