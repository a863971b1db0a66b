"""Find a checkpoint on disk and check it is a Qwen3 reranker, before any heavy import.

`--model` takes a local folder or a Hugging Face id. An id is looked up in the local hub cache
first; it is downloaded only when the hub is reachable (not `HF_HUB_OFFLINE`). Checking
`config.json` and `tokenizer.json` here, with json and `tokenizers` only, turns a wrong
checkpoint into a one-line error instead of a failure deep in a 50-second engine start.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelNotFoundError, NotQwen3RerankerError
from .prompt import NO_TOKEN, YES_TOKEN

DEFAULT_MODEL = "Qwen/Qwen3-Reranker-0.6B"
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")
_DOWNLOAD_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken"]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A checkpoint folder on disk and a string that changes whenever its weights do."""

    name: str  # what the user passed (hub id or path)
    path: Path  # the folder holding config.json
    revision: str  # hub commit hash, or a digest of the local files' names, sizes and mtimes


def resolve(model: str, revision: str | None = None) -> Checkpoint:
    """Locate `model` (folder or hub id) without loading it."""
    local = Path(model).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise ModelNotFoundError(
                f"{local} has no config.json: not a Hugging Face checkpoint folder",
                "pass the folder that holds config.json and the weights",
            )
        return Checkpoint(model, local.resolve(), _local_digest(local))
    if model.count("/") != 1 or model.startswith((".", "/", "~")):
        raise ModelNotFoundError(
            f"model {model!r}: no such folder", "pass a checkpoint folder or a hub id like org/name"
        )
    return _from_hub(model, revision)


def _local_digest(path: Path) -> str:
    """Digest of config.json's bytes and each weight file's name, size and mtime."""
    h = hashlib.sha1((path / "config.json").read_bytes())
    for f in sorted(path.iterdir()):
        if f.suffix in _WEIGHT_SUFFIXES or f.name.endswith(".index.json"):
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _from_hub(repo_id: str, revision: str | None) -> Checkpoint:
    from huggingface_hub import snapshot_download

    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    try:
        folder = snapshot_download(
            repo_id, revision=revision, local_files_only=True, allow_patterns=_DOWNLOAD_PATTERNS
        )
    except Exception as cached_error:  # noqa: BLE001 - any miss means "not in the cache"
        if offline:
            raise _missing(repo_id, "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set") from cached_error
        try:
            folder = snapshot_download(repo_id, revision=revision, allow_patterns=_DOWNLOAD_PATTERNS)
        except Exception as error:  # noqa: BLE001 - network, auth, 404: all "cannot get it"
            reason = f"it is not in the local Hugging Face cache and downloading failed ({type(error).__name__})"
            raise _missing(repo_id, reason) from error
    path = Path(folder)
    return Checkpoint(repo_id, path, path.name)  # snapshot folders are named by commit hash


def _missing(repo_id: str, reason: str) -> ModelNotFoundError:
    return ModelNotFoundError(
        f"model {repo_id!r} not found: {reason}",
        f"on a machine with network run `hf download {repo_id}` (or copy the folder here) "
        "and pass --model PATH",
    )


def max_positions(ckpt: Checkpoint) -> int | None:
    """The model's context size from config.json (max_position_embeddings), if stated."""
    try:
        value = json.loads((ckpt.path / "config.json").read_text(encoding="utf-8")).get("max_position_embeddings")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, int) and value > 0 else None


def check_qwen3(ckpt: Checkpoint) -> None:
    """Raise `NotQwen3RerankerError` unless config and tokenizer fit the p(yes) recipe."""
    try:
        config = json.loads((ckpt.path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise NotQwen3RerankerError(f"{ckpt.path}/config.json is unreadable: {error}") from error
    model_type = config.get("model_type")
    if model_type != "qwen3":
        raise NotQwen3RerankerError(
            f"{ckpt.name} is a {model_type!r} model, not a Qwen3 reranker (model_type 'qwen3')",
            "use a Qwen3-Reranker checkpoint such as Qwen/Qwen3-Reranker-0.6B",
        )
    tokenizer_file = ckpt.path / "tokenizer.json"
    if tokenizer_file.is_file():
        from tokenizers import Tokenizer

        check_yes_no(ckpt.name, Tokenizer.from_file(str(tokenizer_file)).token_to_id)


def check_yes_no(name: str, token_to_id) -> tuple[int, int]:
    """Ids of the "yes" and "no" tokens; an error when either is not a single token."""
    ids = {}
    for token in (YES_TOKEN, NO_TOKEN):
        token_id = token_to_id(token)
        if token_id is None or token_id < 0:
            raise NotQwen3RerankerError(
                f"{name}: the tokenizer has no single {token!r} token, so p(yes) cannot be read",
                "use a Qwen3-Reranker checkpoint such as Qwen/Qwen3-Reranker-0.6B",
            )
        ids[token] = token_id
    return ids[YES_TOKEN], ids[NO_TOKEN]
