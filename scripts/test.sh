#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite: the main environment (.venv), then the
# vLLM-on-CPU tests in their own environment (.venv-vllm, see scripts/vllm-env.sh).
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    skip slow and vLLM tests (a fast local loop)
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quick=0
if [[ "${1:-}" == "--quick" ]]; then quick=1; shift; fi

# torch is pinned: a bare `torch` requirement can pull a multi-GB CUDA build.
python3 -m venv .venv
.venv/bin/python -m pip install --disable-pip-version-check -q torch==2.13.0 -e '.[test]'

# The end-to-end test drives the app in a real terminal through tmux.
if ! command -v tmux >/dev/null 2>&1 && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -qq tmux >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq tmux >/dev/null 2>&1; }) \
        || echo "note: could not install tmux; the terminal test will fail in CI" >&2
fi

# Lint and types first: both are configured in pyproject.toml and must stay clean.
.venv/bin/ruff check rerank_tui tests bench

if [[ $quick == 1 ]]; then
    exec .venv/bin/python -m pytest -m "not slow and not vllm" "$@"
fi

.venv/bin/mypy
status=0
.venv/bin/python -m pytest -m "not vllm" "$@" || status=$?

if [[ -f scripts/vllm-env.sh ]] && grep -rqs "pytest.mark.vllm" tests; then
    bash scripts/vllm-env.sh
    RERANK_TUI_REQUIRE_VLLM=1 .venv-vllm/bin/python -m pytest -m vllm "$@" || status=$?
fi
exit $status
