"""`vllm serve` (its module entry point) running the tiny model as a generator for the judge."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.rerank.vllm_support import CPU_ENV, KV_CACHE_BYTES, VllmServer


class VllmGenerateServer(VllmServer):
    """The OpenAI-compatible server with the default (generate) runner, float32, every
    logprob allowed (`--max-logprobs`) and a chat template for /v1/chat/completions."""

    def __init__(self, model: Path, port: int, log_path: Path, *, chat_template: Path, max_logprobs: int, max_model_len: int = 2048):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        command = [
            sys.executable, "-m", "vllm.entrypoints.openai.api_server",
            "--model", str(model), "--dtype", "float32", "--max-model-len", str(max_model_len),
            "--max-logprobs", str(max_logprobs), "--chat-template", str(chat_template),
            "--kv-cache-memory-bytes", str(KV_CACHE_BYTES), "--enforce-eager",
            "--host", "127.0.0.1", "--port", str(port),
        ]
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=os.environ | CPU_ENV, start_new_session=True)
