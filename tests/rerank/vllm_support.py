"""Running the real vLLM engine on this CPU for tests (scripts/vllm-env.sh builds its environment)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

# Let vLLM use every core (it keeps one for itself by default) on a small machine.
CPU_ENV = {"VLLM_CPU_OMP_THREADS_BIND": f"0-{(os.cpu_count() or 2) - 1}", "VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}
KV_CACHE_BYTES = 256 * 2**20  # the default memory fraction asks for more than the NUMA node reports
OVERRIDES = '{"architectures":["Qwen3ForSequenceClassification"],"classifier_from_token":["no","yes"],"is_original_qwen3_reranker":true}'


class VllmServer:
    """`python -m vllm.entrypoints.openai.api_server` on 127.0.0.1:port, as a user would run it."""

    def __init__(self, model: Path, port: int, log_path: Path, max_model_len: int = 2048, cpu_bind: str | None = None):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        command = [
            sys.executable, "-m", "vllm.entrypoints.openai.api_server",
            "--model", str(model), "--runner", "pooling", "--hf-overrides", OVERRIDES,
            "--dtype", "float32", "--max-model-len", str(max_model_len),
            "--kv-cache-memory-bytes", str(KV_CACHE_BYTES), "--enforce-eager",
            "--host", "127.0.0.1", "--port", str(port),
        ]
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env=os.environ | CPU_ENV | ({"VLLM_CPU_OMP_THREADS_BIND": cpu_bind} if cpu_bind else {}),
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vLLM server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2.0, trust_env=False).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(1.0)
        raise RuntimeError(f"vLLM server not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        """SIGINT to the server's PID, then SIGKILL to its own process group if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()
