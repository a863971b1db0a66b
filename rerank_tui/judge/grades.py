"""A judge's answer for one passage: the model's probabilities over the grade tokens.

Read from ONE forward pass at the answer position, like the reranker's p(yes): `probs` is the
softmax restricted to the grade tokens' logits (it sums to 1), `mass` how much of the full
next-token distribution the grade tokens hold (how well the model keeps to the answer format).
A server's top-k logprobs give the same restricted softmax exactly for the grades they
include; the others get probability 0 and are counted in `missing`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import JudgeScaleError


def check_grades(grades: Sequence[int]) -> tuple[int, ...]:
    """The grades as a tuple: at least two contiguous integers, ascending (the workspace's
    scale: 0–3, 1–4, ...); anything else raises `JudgeScaleError`."""
    out = tuple(grades)
    if len(out) < 2 or not all(isinstance(g, int) and not isinstance(g, bool) for g in out):
        raise JudgeScaleError(f"a judge's scale is two or more whole numbers, not {list(out)!r}", "pass the workspace's grades, e.g. 0, 1, 2, 3")
    if out != tuple(range(out[0], out[0] + len(out))):
        raise JudgeScaleError(f"a judge's scale is contiguous ascending integers, not {list(out)!r}", "pass the grades low..high in order")
    return out


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    if math.isinf(top):
        return top
    return top + math.log(sum(math.exp(v - top) for v in values))


@dataclass(frozen=True, slots=True)
class GradeDistribution:
    """p(grade) for each grade of the scale, in scale order."""

    grades: tuple[int, ...]
    probs: tuple[float, ...]  # softmax over the grade tokens' logits only; sums to 1
    mass: float | None = None  # p(any grade token) under the full softmax; None: unknown
    missing: int = 0  # grade tokens absent from a server's top-k logprobs (given probability 0)

    @property
    def expected(self) -> float:
        """Σ grade · p(grade)."""
        return sum(g * p for g, p in zip(self.grades, self.probs))

    @property
    def argmax(self) -> int:
        """The most probable grade; a tie goes to the lower grade."""
        best = 0
        for i, p in enumerate(self.probs):
            if p > self.probs[best]:
                best = i
        return self.grades[best]

    @classmethod
    def from_logits(cls, grades: Sequence[int], grade_logits: Sequence[float], logsumexp_all: float | None = None) -> GradeDistribution:
        """From the grade tokens' logits (in grade order); `logsumexp_all`, the log-sum-exp of
        every logit at that position, gives `mass`."""
        logits = [float(x) for x in grade_logits]
        if len(logits) != len(grades):
            raise ValueError(f"{len(logits)} logits for {len(grades)} grades")
        norm = _logsumexp(logits)
        probs = tuple(math.exp(x - norm) for x in logits)
        mass = None if logsumexp_all is None else min(1.0, math.exp(norm - float(logsumexp_all)))
        return cls(tuple(grades), probs, mass)

    @classmethod
    def from_logprobs(cls, grades: Sequence[int], logprobs: Mapping[str, float]) -> GradeDistribution | None:
        """From a server's top-k logprobs at the answer position ({token text: log p}). The
        grades present get the exact restricted softmax (log p_i − logsumexp over them), the
        absent ones 0; `mass` sums the present ones (a lower bound when some are missing).
        None when no grade token is among them."""
        present: dict[int, float] = {}
        for g in grades:
            value = logprobs.get(str(g))
            if value is not None and math.isfinite(value):
                present[g] = float(value)
        if not present:
            return None
        norm = _logsumexp(list(present.values()))
        probs = tuple(math.exp(present[g] - norm) if g in present else 0.0 for g in grades)
        mass = min(1.0, math.exp(norm))
        return cls(tuple(grades), probs, mass, len(grades) - len(present))
