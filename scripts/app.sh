#!/usr/bin/env bash
# Set up (idempotent) and open rerank-tui on a corpus (default: the demo corpus).
#   scripts/app.sh [PATH] [options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -m venv .venv
# torch is pinned: a bare `torch` requirement can pull a multi-GB CUDA build.
.venv/bin/python -m pip install --disable-pip-version-check -q torch==2.13.0 -e .
if [[ $# -eq 0 ]]; then set -- corpora/demo; fi
# Until the interactive app lands (step 3), show the index and a headless search.
.venv/bin/rerank-tui index "$1"
exec .venv/bin/rerank-tui search "$@" "why does the DataLoader hang with num_workers > 0 in Jupyter"
