"""Errors a user can act on: one line each, with a hint saying what to do."""

from __future__ import annotations


class EmbedderError(Exception):
    """Base of every embed-layer error. `str()` is one line: the message, then the hint."""

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message} (hint: {hint})")


class EmbedModelNotFoundError(EmbedderError):
    """A model path that does not exist, or a hub id neither cached nor downloadable."""


class EmbedBackendUnavailableError(EmbedderError):
    """The requested backend's library (sentence-transformers, torch, ...) is not installed."""


class EmbedServerError(EmbedderError):
    """A remote embedding server is down, too slow, or answers something that is not the API."""


class EmbedOutOfMemoryError(EmbedderError):
    """The accelerator ran out of memory even at batch size 1."""


class BadVectorsError(EmbedderError):
    """A backend produced vectors of the wrong shape, non-finite values or a zero vector."""


class EmbedCancelled(Exception):
    """Raised between batches when the caller's cancel check says stop. Not an error."""
