"""In-process embeddings with sentence-transformers: any model folder or hub id, its own settings.

The model folder says how it embeds (`modules.json`, `1_Pooling/config.json`,
`sentence_bert_config.json`, `config_sentence_transformers.json`): pooling (mean for e5, gte,
all-MiniLM; CLS for BGE-M3's dense head; last token for Qwen3-Embedding), max sequence length,
and the query/document prompts. This backend keeps all of that and adds three things:

- the output is always L2-normalised float32 (the contract), whether or not the folder ends
  in a `Normalize` module;
- a query prompt of the form `Instruct: {task}\\nQuery:` (how Qwen3-Embedding's folder saves it)
  makes the embedder "instruct"-style: the task is editable per call (`instruction=`), the
  saved task is the default; any other saved prompt is used as is (the "prompt" style);
- last-token pooling runs with left padding (Qwen3-Embedding's recipe).

CUDA is used when available (`device=` overrides). On CUDA the checkpoint's own dtype is used
(`dtype="auto"`: bfloat16 for Qwen3-Embedding, float32 for all-MiniLM); on CPU float32. On CUDA
out-of-memory a batch is split in halves, down to one text. sentence-transformers and torch are
imported when an embedder is built, never when this module is imported.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .base import DEFAULT_QUERY_INSTRUCTION, INSTRUCT, PROMPT, QUERY_STYLES, BaseEmbedder, instruct_task
from .errors import EmbedBackendUnavailableError, EmbedModelNotFoundError, EmbedOutOfMemoryError

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx")
# The files besides the weights whose content changes the vectors.
_CONFIG_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
)
_INSTALL_HINT = "pip install 'rerank-tui[local]' (torch, sentence-transformers), or use a server: --embed-url URL"


class SentenceTransformerEmbedder(BaseEmbedder):
    """`SentenceTransformerEmbedder("BAAI/bge-m3")`, `SentenceTransformerEmbedder("./my-e5")`.

    `max_length` overrides the folder's `max_seq_length` (tokens, prompt included);
    `query_style` ("instruct" or "prompt") overrides the style read from the saved prompts;
    `instruction` replaces the default task of the "instruct" style.
    """

    def __init__(
        self,
        model: str,
        *,
        device: str | None = None,
        dtype: str | None = None,
        max_length: int | None = None,
        batch_size: int = 32,
        query_style: str | None = None,
        instruction: str | None = None,
        revision: str | None = None,
        trust_remote_code: bool = False,
    ):
        super().__init__()
        if query_style is not None and query_style not in QUERY_STYLES:
            raise ValueError(f"query style {query_style!r}: use one of {', '.join(QUERY_STYLES)}")
        try:
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as error:
            raise EmbedBackendUnavailableError(
                f"the sentence-transformers backend needs sentence-transformers and torch: {error}", _INSTALL_HINT
            ) from error
        hf_logging.disable_progress_bar()  # a progress bar on stderr would tear a TUI's screen
        _quiet_hub()
        self._torch = torch
        self._oom_error = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)
        self.batch_size = max(1, batch_size)
        self.name = model

        local = Path(model).expanduser()
        if local.exists():
            if not local.is_dir() or not (local / "config.json").is_file() and not (local / "modules.json").is_file():
                raise EmbedModelNotFoundError(
                    f"{local} is not a model folder (no config.json or modules.json)",
                    "pass the folder that holds the model's config.json and weights",
                )
            source, self.revision = str(local.resolve()), _local_digest(local)
        elif model.count("/") == 1 and not model.startswith((".", "/", "~")):
            source, self.revision = model, revision or "main"
        else:
            raise EmbedModelNotFoundError(f"model {model!r}: no such folder", "pass a model folder or a hub id like org/name")

        chosen = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if chosen.type == "cuda" and chosen.index is None:
            chosen = torch.device("cuda", torch.cuda.current_device())
        dtype_key = "dtype" if _version(transformers.__version__) >= (4, 56) else "torch_dtype"
        model_kwargs = {dtype_key: _pick_dtype(torch, chosen, dtype)}
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        try:
            self.model = SentenceTransformer(
                source,
                device=str(chosen),
                revision=None if local.exists() else revision,
                trust_remote_code=trust_remote_code,
                local_files_only=offline,
                model_kwargs=model_kwargs,
            )
        except self._oom_error as error:
            raise EmbedOutOfMemoryError(f"out of memory on {chosen} loading {model}", "use a smaller model or free the GPU") from error
        except (OSError, ValueError) as error:
            if local.exists():
                raise
            where = "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set" if offline else f"{error}"
            raise EmbedModelNotFoundError(
                f"embedding model {model!r} not found: {where}",
                f"on a machine with network run `hf download {model}` (or copy the folder here) and pass its path",
            ) from error
        if not local.exists():
            self.revision = _hub_commit(model, revision) or self.revision
        self.model.eval()
        self._device = chosen
        self.device = str(chosen)

        notes = []
        positions = _positions(self.model)
        if max_length is not None:
            if positions and max_length > positions:
                notes.append(f"max length {max_length} is more than {model} supports: using {positions}")
                max_length = positions
            self.model.max_seq_length = int(max_length)
        if not self.model.max_seq_length:
            self.model.max_seq_length = _model_limit(self.model)
        self.max_length = int(self.model.max_seq_length)
        self.dims = int(_dims(self.model))
        self.pooling = _pooling(self.model)
        tokenizer = self.model.tokenizer
        if self.pooling == "lasttoken" and tokenizer is not None:
            tokenizer.padding_side = "left"
        self._tokenizer = tokenizer
        self.dtype = str(next(self.model.parameters()).dtype).removeprefix("torch.")

        prompts = dict(getattr(self.model, "prompts", None) or {})
        fallback = prompts.get(self.model.default_prompt_name or "", "") if self.model.default_prompt_name else ""
        self.query_prompt = prompts.get("query") or fallback
        self.document_prompt = next((prompts[k] for k in ("document", "passage", "corpus") if prompts.get(k)), fallback)
        saved_task = instruct_task(self.query_prompt)
        self.query_style = query_style or (INSTRUCT if saved_task is not None else PROMPT)
        self.default_instruction = instruction if instruction is not None else saved_task
        if self.query_style == INSTRUCT and self.default_instruction is None:
            self.default_instruction = DEFAULT_QUERY_INSTRUCTION
        self.identity = f"sentence-transformers:{model}@{self.revision}:{self.dtype}"

        if local.exists() and not (local / "modules.json").is_file():
            notes.append(f"{model} has no sentence-transformers config (modules.json): mean pooling assumed")
        if chosen.type == "cpu":
            notes.append(f"embedding with sentence-transformers on CPU ({model}): slow for large models")
        self.notes = tuple(notes)

    # -- embedding ----------------------------------------------------------------------------
    def _embed_batch(self, texts: list[str], prompt: str, kind: str) -> tuple[np.ndarray, int | None]:
        try:
            vectors = self._encode(texts, prompt, kind)
        except self._oom_error as error:
            if self._device.type == "cuda":
                self._torch.cuda.empty_cache()
            if len(texts) == 1:
                raise EmbedOutOfMemoryError(
                    f"out of memory on {self._device} embedding one text with {self.name}",
                    "lower --embed-max-length or --embed-batch-size, use a smaller model, or free the GPU",
                ) from error
            half = len(texts) // 2
            self.batch_size = max(1, half)  # remembered for later calls
            first, t1 = self._embed_batch(texts[:half], prompt, kind)
            second, t2 = self._embed_batch(texts[half:], prompt, kind)
            return np.concatenate([first, second]), None if t1 is None or t2 is None else t1 + t2
        return vectors, self._count_tokens(texts, prompt)

    def _encode(self, texts: list[str], prompt: str, kind: str) -> np.ndarray:
        # An explicit prompt ("" included) stops sentence-transformers from adding its own;
        # encode_query/encode_document still route asymmetric (Router) models by task.
        encode = self.model.encode_query if kind == "query" else self.model.encode_document
        out = encode(
            texts,
            prompt=prompt,
            batch_size=len(texts),
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=False,
        )
        return np.asarray(out, dtype=np.float32)

    def _count_tokens(self, texts: list[str], prompt: str) -> int | None:
        if self._tokenizer is None:
            return None
        try:
            ids = self._tokenizer([prompt + t for t in texts], truncation=True, max_length=self.max_length)["input_ids"]
        except Exception:  # noqa: BLE001 - counting is for display only
            return None
        return sum(len(x) for x in ids)

    def close(self) -> None:
        if getattr(self, "model", None) is not None:
            # Typed as the live model for every other use; None only after close(), which ends it.
            self.model = None  # type: ignore[assignment]
            if self._device.type == "cuda":
                self._torch.cuda.empty_cache()


def _dims(model) -> int:
    get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dims = get()
    if not dims:  # a model whose last module does not declare it: ask it
        dims = model.encode(["dimension probe"], convert_to_numpy=True).shape[-1]
    return int(dims)


def _pooling(model) -> str:
    """The Pooling module's mode ("mean", "cls", "lasttoken", ...), "+"-joined when several,
    or "custom" for a model without one."""
    for module in model:
        mode = getattr(module, "pooling_mode", None)
        if mode is None and hasattr(module, "get_pooling_mode_str"):
            mode = module.get_pooling_mode_str()
        if mode:
            return mode if isinstance(mode, str) else "+".join(mode)
    return "custom"


def _model_limit(model) -> int:
    """A max length for a model whose folder states none: the tokenizer's, capped by the
    position embeddings."""
    limits = []
    tokenizer = model.tokenizer
    if tokenizer is not None and 0 < getattr(tokenizer, "model_max_length", 0) < 10**7:
        limits.append(int(tokenizer.model_max_length))
    positions = _positions(model)
    if positions:
        limits.append(positions)
    return min(limits) if limits else 512


def _positions(model) -> int | None:
    """The checkpoint's position limit (config.json's max_position_embeddings), if stated."""
    try:
        first = model[0]
    except (IndexError, TypeError):
        return None
    config = getattr(getattr(first, "auto_model", None) or getattr(first, "model", None), "config", None)
    positions = getattr(config, "max_position_embeddings", None)
    return positions if isinstance(positions, int) and positions > 0 else None


def _local_digest(path: Path) -> str:
    """Digest of the config files' bytes and each weight file's name, size and mtime."""
    h = hashlib.sha1()
    for name in _CONFIG_FILES:
        file = path / name
        if file.is_file():
            h.update(name.encode() + b"\0" + file.read_bytes())
    for f in sorted(path.rglob("*")):
        if f.suffix in _WEIGHT_SUFFIXES and f.is_file():
            st = f.stat()
            h.update(f"{f.relative_to(path).as_posix()}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _hub_commit(repo_id: str, revision: str | None) -> str | None:
    """The commit of the cached snapshot sentence-transformers loaded (snapshot folders are
    named by commit hash), or None."""
    try:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(repo_id, revision=revision, local_files_only=True, allow_patterns=["modules.json"])
    except Exception:  # noqa: BLE001 - any miss: fall back to the revision asked for
        return None
    return Path(folder).name


def _quiet_hub() -> None:
    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    except ImportError:  # pragma: no cover - very old huggingface_hub
        pass


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def _pick_dtype(torch, device, dtype: str | None):
    if dtype and dtype != "auto":
        try:
            return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16,
                    "fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
        except KeyError:
            raise ValueError(f"dtype {dtype!r}: use auto, float32, bfloat16 or float16") from None
    if device.type == "cuda":
        return "auto"  # the checkpoint's own dtype
    return torch.float32
