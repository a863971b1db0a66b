"""The judge's errors: one line each, a message and a hint, like the rerank layer's (they are
`RerankerError`s, so whatever reports those reports these)."""

from __future__ import annotations

from pathlib import Path

from rerank_tui.rerank.errors import RerankerError


class JudgeError(RerankerError):
    """Base of every judge-layer error."""


class JudgeScaleError(JudgeError):
    """The rating scale cannot be read from one next token (a grade of several tokens), or is
    not a contiguous range of integers."""


class JudgeServerError(JudgeError):
    """An OpenAI-compatible server is down, too slow, or answers something that is not the API."""


class JudgePromptError(JudgeError):
    """A prompt file that cannot be used: unreadable, not UTF-8, empty, missing {query} or
    {passage}, or naming an unknown {placeholder}."""

    def __init__(self, path: str | Path, message: str):
        self.path = str(path)
        super().__init__(
            f"judge prompt {self.path}: {message}",
            "a prompt file is UTF-8 text with {query} and {passage}, and optionally {scale}, {low} and {high}",
        )
