"""Errors a user can act on: one line each, with a hint saying what to do."""

from __future__ import annotations


class RerankerError(Exception):
    """Base of every rerank-layer error. `str()` is one line: the message, then the hint."""

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message} (hint: {hint})")


class ModelNotFoundError(RerankerError):
    """A model path that does not exist, or a hub id neither cached nor downloadable."""


class NotQwen3RerankerError(RerankerError):
    """The checkpoint is not a Qwen3 causal LM with single "yes"/"no" tokens."""


class RerankOutOfMemoryError(RerankerError):
    """The accelerator ran out of memory even at batch size 1."""


class BackendUnavailableError(RerankerError):
    """The requested backend's library (vllm, torch, ...) is not installed or cannot run."""


class RerankServerError(RerankerError):
    """A remote rerank server is down, too slow, or answers something that is not the API."""


class PromptTooLongError(RerankerError):
    """The instruction and query alone exceed max_length (only documents are truncated)."""

    def __init__(self, head_tokens: int, budget: int):
        self.head_tokens = head_tokens
        self.budget = budget
        super().__init__(
            f"instruction + query take {head_tokens} tokens, more than the {budget} left "
            "for them within max_length",
            "shorten the instruction or query, or raise --max-length",
        )


class RerankCancelled(Exception):
    """Raised between batches when the caller's cancel check says stop. Not an error."""
