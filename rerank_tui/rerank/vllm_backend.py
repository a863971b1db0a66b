"""In-process scoring with vLLM: the checkpoint runs as a two-class scorer (no, yes).

`LLM(model, runner="pooling", hf_overrides=QWEN3_OVERRIDES)` turns Qwen3-Reranker's lm_head
rows for "no"/"yes" into a classifier whose output is p(yes), and `llm.score(query_side,
document_sides)` shares the query's prefix across documents. vLLM before 0.10.2 spelled
`runner="pooling"` as `task="score"`; the engine's own argument list tells which it takes.
"""

from __future__ import annotations

import dataclasses
import os

from .base import BaseReranker, Call
from .checkpoint import Checkpoint
from .errors import BackendUnavailableError, RerankerError, RerankOutOfMemoryError
from .prompt import PREFIX, SUFFIX, document_side, fit_document, may_exceed, query_side

QWEN3_OVERRIDES = {
    "architectures": ["Qwen3ForSequenceClassification"],
    "classifier_from_token": ["no", "yes"],
    "is_original_qwen3_reranker": True,
}


def vllm_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("vllm") is not None


class VllmReranker(BaseReranker):
    device = "vllm"

    def __init__(
        self,
        checkpoint: Checkpoint,
        *,
        max_length: int = 8192,
        batch_size: int = 256,
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float | None = None,
        dtype: str = "auto",
        kv_cache_memory_bytes: int | None = None,
        enforce_eager: bool = False,
        **engine_options,
    ):
        """`max_length` doubles as vLLM's max_model_len; `batch_size` is documents per
        `score` call (the unit of cancellation; vLLM batches inside it). vLLM logs at
        WARNING unless VLLM_LOGGING_LEVEL says otherwise: its INFO lines go to stdout."""
        super().__init__()
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # read when vllm is imported
        try:
            from vllm import LLM
        except ImportError as error:
            raise BackendUnavailableError(
                f"the vllm backend needs vLLM: {error}",
                "pip install 'rerank-tui[vllm]' (CUDA) or use --backend transformers",
            ) from error
        self.checkpoint = checkpoint
        self.max_length = max_length
        self.batch_size = max(1, batch_size)
        options = dict(
            model=str(checkpoint.path),
            hf_overrides=dict(QWEN3_OVERRIDES),
            tensor_parallel_size=tensor_parallel_size,
            max_model_len=max_length,
            dtype=dtype,
            enforce_eager=enforce_eager,
            **_pooling_args(),
            **engine_options,
        )
        if gpu_memory_utilization is not None:
            options["gpu_memory_utilization"] = gpu_memory_utilization
        if kv_cache_memory_bytes is not None:
            options["kv_cache_memory_bytes"] = kv_cache_memory_bytes
        try:
            self.llm = LLM(**options)
        except Exception as error:  # noqa: BLE001 - engine start failures are many and opaque
            if "out of memory" in str(error).lower():
                raise RerankOutOfMemoryError(
                    f"vLLM ran out of memory starting {checkpoint.name}: {error}",
                    "lower --max-length or gpu_memory_utilization, or use a smaller model",
                ) from error
            raise
        tok = self.llm.get_tokenizer()
        self._tokenizer = tok
        self._budget = (
            max_length
            - len(tok.encode(PREFIX, add_special_tokens=False))
            - len(tok.encode(SUFFIX, add_special_tokens=False))
        )
        dtype_name = str(self.llm.llm_engine.model_config.dtype).removeprefix("torch.")
        self.identity = f"vllm:{checkpoint.name}@{checkpoint.revision}:{dtype_name}"

    def _encode(self, text: str):
        enc = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return enc["input_ids"], enc["offset_mapping"]

    def _fit(self, query: str, document: str, instruction: str | None) -> str:
        if not may_exceed(query, document, instruction, self._budget):
            return document  # vLLM tokenizes it anyway: skip a second pass when it surely fits
        return fit_document(self._encode, query, document, instruction, self._budget)[0]

    def _score(self, query, documents, instruction, call: Call):
        q_side = query_side(query, instruction)
        scores: list[float] = []
        tokens: int | None = 0
        for start in range(0, len(documents), self.batch_size):
            call.check()
            chunk = documents[start : start + self.batch_size]
            sides = [document_side(self._fit(query, d, instruction)) for d in chunk]
            outputs = self.llm.score(q_side, sides, use_tqdm=False)
            failed = [o.error for o in outputs if getattr(o, "error", None) is not None]
            if failed:  # vLLM reports a failed request as score 0.0 plus an error: never a score
                raise RerankerError(f"vLLM could not score {len(failed)} of {len(sides)} documents: {failed[0]}")
            scores += [float(o.outputs.score) for o in outputs]
            counts = [getattr(o, "prompt_token_ids", None) for o in outputs]
            tokens = None if tokens is None or None in counts else tokens + sum(len(c) for c in counts if c is not None)
            call.stats.batches += 1
        call.stats.tokens = tokens
        return scores

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is None:
            return
        self.llm = None
        from rerank_tui.vllm_shutdown import shutdown_llm

        shutdown_llm(llm)


def _pooling_args() -> dict:
    """`runner="pooling"` on vLLM >= 0.10.2, `task="score"` before."""
    try:
        from vllm.engine.arg_utils import EngineArgs

        fields = {f.name for f in dataclasses.fields(EngineArgs)}
    except Exception:  # noqa: BLE001 - very old or very new layouts: fall back to the version
        import vllm
        from packaging.version import Version

        fields = {"runner"} if Version(vllm.__version__.split("+")[0]) >= Version("0.10.2") else {"task"}
    return {"runner": "pooling"} if "runner" in fields else {"task": "score"}
