"""The interface every judge implements, the plumbing they share, and `same_checkpoint`.

`judge(query, passages)` returns one `GradeDistribution` per passage, in input order (None:
the model gave no grade token a probability, as far as a server's top-k shows). Like the
rerank layer: an in-process model serves one call at a time (a per-instance lock, unless
`thread_safe`); `cancel` (a `Callable[[], bool]`) is checked once the model is ours and
between batches, and raises `RerankCancelled`; `device` says where grades are computed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from rerank_tui.rerank.base import _POLL_S, raise_if_cancelled

from .grades import GradeDistribution, check_grades
from .prompt import DEFAULT_MAX_PASSAGE_CHARS, JudgePrompt, cut_passage, load_prompt

Cancel = Callable[[], bool] | None


@runtime_checkable
class Judge(Protocol):
    """What the session layer and the CLI use."""

    identity: str  # what grades depend on besides the prompt (backend, model + revision, dtype / server)
    model_name: str  # the checkpoint name or served model (for the "judge == reranker" warning)
    notes: tuple[str, ...]  # things the user should see once
    grades: tuple[int, ...]
    prompt: JudgePrompt  # its .sha1 is the other half of what grades depend on

    @property
    def device(self) -> str: ...

    def judge(self, query: str, passages: Sequence[str], *, cancel: Cancel = None) -> list[GradeDistribution | None]: ...

    def close(self) -> None: ...


class BaseJudge:
    """`judge()` on top of one hook, `_judge(query, messages, cancel)`, which gets the
    rendered user messages (passages already cut) and calls `raise_if_cancelled(cancel)`
    between batches. Locking and the first cancel check are done here."""

    identity: str = ""
    model_name: str = ""
    device: str = ""
    notes: tuple[str, ...] = ()
    thread_safe: bool = False  # True: no lock (a server takes overlapping requests)

    def __init__(
        self,
        *,
        grades: Sequence[int],
        names: Mapping[int, str] | None = None,
        prompt: JudgePrompt | None = None,
        max_passage_chars: int = DEFAULT_MAX_PASSAGE_CHARS,
    ):
        self.grades = check_grades(grades)
        self.names = dict(names or {})
        self.prompt = prompt or load_prompt(None)
        self.max_passage_chars = max_passage_chars
        self._lock = threading.Lock()

    def messages(self, query: str, passages: Sequence[str]) -> list[str]:
        """The user message for each passage (cut to `max_passage_chars`), before chat formatting."""
        return [self.prompt.render(query, cut_passage(p, self.max_passage_chars), self.grades, self.names) for p in passages]

    def _judge(self, query: str, messages: list[str], cancel: Cancel) -> list[GradeDistribution | None]:
        raise NotImplementedError

    def judge(self, query: str, passages: Sequence[str], *, cancel: Cancel = None) -> list[GradeDistribution | None]:
        """One distribution per passage, in input order."""
        messages = self.messages(query, passages)
        if self.thread_safe:
            raise_if_cancelled(cancel)
            return self._judge(query, messages, cancel) if messages else []
        while not self._lock.acquire(timeout=_POLL_S if cancel is not None else -1):
            raise_if_cancelled(cancel)
        try:
            raise_if_cancelled(cancel)
            return self._judge(query, messages, cancel) if messages else []
        finally:
            self._lock.release()

    def close(self) -> None:
        """Free the model or the connections. Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identity!r}, grades={self.grades[0]}..{self.grades[-1]})"


def _basename(name: str) -> str:
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].lower()


def reranker_models(identity: str) -> list[str]:
    """The model names in a reranker identity: "transformers:NAME@REV:DTYPE", "vllm:NAME@REV:DTYPE",
    "http:MODEL@URL", "http-plain:MODEL@URL", and both stages of "cascade[A top n -> B top m]"."""
    identity = identity.strip()
    if identity.startswith("cascade[") and identity.endswith("]"):
        out = []
        for stage in identity[len("cascade[") : -1].split(" -> "):
            out += reranker_models(stage.rsplit(" top ", 1)[0])
        return out
    backend, _, rest = identity.partition(":")
    if not rest:
        return [identity]
    if backend in ("transformers", "vllm"):
        rest = rest.rsplit(":", 1)[0]  # the dtype
    return [rest.rsplit("@", 1)[0]]  # the revision, or the server's URL


def same_checkpoint(judge_model_name: str, reranker_identity: str) -> bool:
    """True when the judge's checkpoint is the reranker's (the judge would grade its own
    ranking): the model names, or local folders' basenames, match case-insensitively."""
    judge = _basename(judge_model_name)
    return bool(judge) and any(_basename(name) == judge for name in reranker_models(reranker_identity))
