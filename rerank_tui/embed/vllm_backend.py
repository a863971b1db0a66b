"""In-process embeddings with vLLM: `LLM(model, runner="pooling", convert="embed")` + `llm.embed`.

Same contract as the sentence-transformers backend for the same checkpoint: the model folder's
sentence-transformers files (read by `st_config.read_st_settings`) give the pooling, the max
sequence length and the prompts; a saved query prompt `Instruct: {task}\\nQuery:` makes the
embedder "instruct"-style (Qwen3-Embedding: queries `Instruct: {task}\\nQuery:{query}`,
documents plain), any other saved prompt is used as is. The pooling read from the folder is
handed to vLLM explicitly (`PoolerConfig`), so vLLM pools exactly as sentence-transformers
would (a folder without `modules.json`: mean pooling, as sentence-transformers assumes).
Texts are truncated to `max_length` tokens by the folder's own tokenizer with its special
tokens (vLLM's `truncate_prompt_tokens`, the tokenizer's own side: the end for Qwen3, keeping
the appended `<|endoftext|>` that last-token pooling reads), as sentence-transformers does.

`max_length` doubles as vLLM's `max_model_len`; `batch_size` is texts per `embed` call (the
unit of cancellation and progress; vLLM batches inside it). vllm and torch are imported when
an embedder is built, never when this module is imported. vLLM logs at WARNING unless
VLLM_LOGGING_LEVEL says otherwise (its INFO lines go to stdout and would tear a TUI's screen).
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .base import DEFAULT_QUERY_INSTRUCTION, INSTRUCT, PROMPT, QUERY_STYLES, BaseEmbedder, instruct_task
from .errors import (
    EmbedBackendUnavailableError,
    EmbedderError,
    EmbedModelNotFoundError,
    EmbedOutOfMemoryError,
)
from .st_backend import _local_digest
from .st_config import _json, read_st_settings

# sentence-transformers pooling modes vLLM can do, as vLLM names them
_VLLM_POOLING = {"lasttoken": "LAST", "mean": "MEAN", "cls": "CLS"}
_INSTALL_HINT = "pip install 'rerank-tui[vllm]' (CUDA) or use --embed-backend sentence-transformers"
_START_HINT = (
    "check the model folder; lower --embed-max-length, gpu_memory_utilization or kv_cache_memory_bytes; "
    "or use --embed-backend sentence-transformers"
)


class VllmEmbedder(BaseEmbedder):
    """`VllmEmbedder("Qwen/Qwen3-Embedding-0.6B")`, `VllmEmbedder("./my-qwen3-embedding")`.

    `max_length` overrides the folder's `max_seq_length` (tokens, prompt included; capped by
    the checkpoint's position limit); `query_style` ("instruct" or "prompt") overrides the style
    read from the saved prompts; `instruction` replaces the default task of the "instruct"
    style. `dtype` "auto" is the checkpoint's own (vLLM's rule); pass "float32" for vectors
    that match the sentence-transformers backend on CPU. Other keyword options go to
    `vllm.LLM` as they are.
    """

    device = "vllm"

    def __init__(
        self,
        model: str,
        *,
        dtype: str = "auto",
        max_length: int | None = None,
        batch_size: int = 256,
        query_style: str | None = None,
        instruction: str | None = None,
        revision: str | None = None,
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float | None = None,
        kv_cache_memory_bytes: int | None = None,
        enforce_eager: bool = False,
        trust_remote_code: bool = False,
        **engine_options,
    ):
        super().__init__()
        if query_style is not None and query_style not in QUERY_STYLES:
            raise ValueError(f"query style {query_style!r}: use one of {', '.join(QUERY_STYLES)}")
        self.name = model
        self.batch_size = max(1, batch_size)
        folder, source, self.revision = _resolve(model, revision)
        settings = read_st_settings(folder)
        notes: list[str] = []

        # pooling: the folder's, as sentence-transformers reads it
        has_st = (folder / "modules.json").is_file()
        self.pooling = settings.pooling if has_st and settings.pooling else "mean"
        if self.pooling not in _VLLM_POOLING:
            raise EmbedderError(
                f"{model} pools with {self.pooling!r}, which vLLM cannot do (it pools by "
                f"{', '.join(sorted(_VLLM_POOLING))})",
                "use --embed-backend sentence-transformers for this model",
            )
        if not has_st:
            notes.append(f"{model} has no sentence-transformers config (modules.json): mean pooling assumed")

        # max length: explicit > the folder's > the checkpoint's limit (vLLM's default)
        positions = _json(folder / "config.json").get("max_position_embeddings")
        positions = positions if isinstance(positions, int) and not isinstance(positions, bool) and positions > 0 else None
        limit = max_length if max_length is not None else settings.max_seq_length
        if limit is not None and positions and limit > positions:
            if max_length is not None:
                notes.append(f"max length {max_length} is more than {model} supports: using {positions}")
            limit = positions

        # prompts and style: explicit > the folder's
        self.query_prompt = settings.query_prompt
        self.document_prompt = settings.document_prompt
        saved_task = instruct_task(self.query_prompt)
        self.query_style = query_style or (INSTRUCT if saved_task is not None else PROMPT)
        self.default_instruction = instruction if instruction is not None else saved_task
        if self.query_style == INSTRUCT and self.default_instruction is None:
            self.default_instruction = DEFAULT_QUERY_INSTRUCTION

        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # read when vllm is imported
        try:
            from vllm import LLM
        except ImportError as error:
            raise EmbedBackendUnavailableError(f"the vllm embedding backend needs vLLM: {error}", _INSTALL_HINT) from error
        options = dict(
            model=source,
            revision=None if source == str(folder) else self.revision,
            tensor_parallel_size=tensor_parallel_size,
            max_model_len=int(limit) if limit else None,
            dtype=dtype,
            enforce_eager=enforce_eager,
            trust_remote_code=trust_remote_code,
            **_pooling_args(_VLLM_POOLING[self.pooling]),
            **engine_options,
        )
        if gpu_memory_utilization is not None:
            options["gpu_memory_utilization"] = gpu_memory_utilization
        if kv_cache_memory_bytes is not None:
            options["kv_cache_memory_bytes"] = kv_cache_memory_bytes
        try:
            self.llm = LLM(**options)
        except Exception as error:  # noqa: BLE001 - engine start failures are many and opaque
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            if "out of memory" in str(error).lower():
                raise EmbedOutOfMemoryError(
                    f"vLLM ran out of memory starting {model}: {first}",
                    "lower --embed-max-length, gpu_memory_utilization or kv_cache_memory_bytes, or use a smaller model",
                ) from error
            raise EmbedderError(f"vLLM could not start the embedding model {model}: {first}", _START_HINT) from error

        config = self.llm.llm_engine.model_config
        self.max_length = int(limit or config.max_model_len)
        self.dims = int(_dims(config))
        self.dtype = str(config.dtype).removeprefix("torch.")
        self._embed_kwargs = _truncation_kwargs(self.llm.embed, self.max_length)
        try:
            from vllm.platforms import current_platform

            platform = str(current_platform.device_type)
        except Exception:  # noqa: BLE001 - display only
            platform = ""
        if platform == "cpu":
            notes.append(f"embedding with vLLM on CPU ({model}): slow for large models")
        self.notes = tuple(notes)
        self.identity = f"vllm:{model}@{self.revision}:{self.dtype}"

    # -- embedding ----------------------------------------------------------------------------
    def _embed_batch(self, texts: list[str], prompt: str, kind: str) -> tuple[np.ndarray, int | None]:
        if self.llm is None:
            raise EmbedderError(f"the vLLM embedder for {self.name} is closed")
        outputs = self.llm.embed([prompt + t for t in texts], use_tqdm=False, **self._embed_kwargs)
        failed = [o.error for o in outputs if getattr(o, "error", None) is not None]
        if failed:  # a failed request comes back with an empty vector and an error
            raise EmbedderError(
                f"vLLM could not embed {len(failed)} of {len(texts)} texts: {failed[0]}",
                "lower --embed-max-length or check the vLLM log",
            )
        vectors = np.stack([np.asarray(o.outputs.embedding, dtype=np.float32) for o in outputs])
        counts = [getattr(o, "prompt_token_ids", None) for o in outputs]
        tokens = None if any(c is None for c in counts) else sum(len(c) for c in counts if c is not None)
        return vectors, tokens

    def close(self) -> None:
        """Stop the engine (its worker processes) and free its memory. Safe to call twice."""
        llm = getattr(self, "llm", None)
        if llm is None:
            return
        self.llm = None
        from rerank_tui.vllm_shutdown import shutdown_llm

        shutdown_llm(llm)


def _resolve(model: str, revision: str | None) -> tuple[Path, str, str]:
    """(folder whose settings to read, what vLLM loads, revision for the identity).

    A local folder: itself, its digest. A hub id: its cached snapshot (json files only are
    fetched here when the hub is reachable; vLLM downloads the weights), its commit."""
    local = Path(model).expanduser()
    if local.exists():
        if not local.is_dir() or not (local / "config.json").is_file():
            raise EmbedModelNotFoundError(
                f"{local} is not a model folder (no config.json)",
                "pass the folder that holds the model's config.json and weights",
            )
        folder = local.resolve()
        return folder, str(folder), _local_digest(folder)
    if model.count("/") != 1 or model.startswith((".", "/", "~")):
        raise EmbedModelNotFoundError(f"model {model!r}: no such folder", "pass a model folder or a hub id like org/name")
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    try:
        from huggingface_hub import snapshot_download

        folder = Path(
            snapshot_download(
                model, revision=revision, local_files_only=offline, allow_patterns=["*.json", "*/config.json"]
            )
        )
    except Exception as error:  # noqa: BLE001 - not cached, no network, no such repo
        where = "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set" if offline else f"{error}"
        raise EmbedModelNotFoundError(
            f"embedding model {model!r} not found: {where}",
            f"on a machine with network run `hf download {model}` (or copy the folder here) and pass its path",
        ) from error
    return folder, model, folder.name  # snapshot folders are named by commit hash


def _pooling_args(pooling_type: str) -> dict:
    """The engine arguments that make it an embedder pooling as the folder says: `runner=
    "pooling", convert="embed", pooler_config=...` on vLLM >= 0.10.2 (`task="embed"` and
    `override_pooler_config` before; `pooling_type`/`normalize` before `seq_pooling_type`/
    `use_activation`)."""
    from vllm.config import PoolerConfig
    from vllm.engine.arg_utils import EngineArgs

    engine_fields = {f.name for f in dataclasses.fields(EngineArgs)}
    pooler_fields = {f.name for f in dataclasses.fields(PoolerConfig)}
    kind = "seq_pooling_type" if "seq_pooling_type" in pooler_fields else "pooling_type"
    activation = "use_activation" if "use_activation" in pooler_fields else "normalize"
    args: dict = {"runner": "pooling", "convert": "embed"} if "convert" in engine_fields else {"task": "embed"}
    key = "pooler_config" if "pooler_config" in engine_fields else "override_pooler_config"
    args[key] = PoolerConfig(**{kind: pooling_type, activation: True})
    return args


def _truncation_kwargs(embed, max_length: int) -> dict:
    """How `llm.embed` is told to cut prompts to `max_length` tokens: `tokenization_kwargs`
    (vLLM >= 0.11), else its own `truncate_prompt_tokens` argument."""
    parameters: Mapping[str, inspect.Parameter]
    try:
        parameters = inspect.signature(embed).parameters
    except (TypeError, ValueError):
        parameters = {}
    if "truncate_prompt_tokens" in parameters and "tokenization_kwargs" not in parameters:
        return {"truncate_prompt_tokens": max_length}
    return {"tokenization_kwargs": {"truncate_prompt_tokens": max_length}}


def _dims(model_config) -> int:
    for name in ("embedding_size", "get_hidden_size"):
        value = getattr(model_config, name, None)
        value = value() if callable(value) else value
        if isinstance(value, int) and value > 0:
            return value
    return int(model_config.hf_config.hidden_size)
