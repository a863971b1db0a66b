"""An LLM judge: grades (query, passage) pairs on the workspace's scale, as a distribution.

    from rerank_tui.judge import build_judge
    judge = build_judge("Qwen/Qwen3-8B", grades=(0, 1, 2, 3))          # or url="http://host:8000"
    for d in judge.judge(query, passages, cancel=None):                # input order
        d.probs, d.expected, d.argmax, d.mass                           # None: no grade token seen

The grade is read from the next-token probabilities of the grade tokens at the answer
position of an UMBRELA-style prompt (one forward pass, no generated text to parse).

Modules: `prompt` (template, rendering, chat format), `grades` (GradeDistribution), `base`
(protocol, locking, cancellation, same_checkpoint), `errors`, `transformers_judge`,
`http_judge`, `factory`. Layer: above rerank, below session. Importing this package imports
no torch, transformers or httpx; each name is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rerank_tui.lazy_exports import lazy_exports

_EXPORTS = {
    "BaseJudge": "base",
    "Judge": "base",
    "same_checkpoint": "base",
    "GradeDistribution": "grades",
    "JudgeError": "errors",
    "JudgePromptError": "errors",
    "JudgeScaleError": "errors",
    "JudgeServerError": "errors",
    "DEFAULT_TEMPLATE": "prompt",
    "JudgePrompt": "prompt",
    "chatml": "prompt",
    "load_prompt": "prompt",
    "TransformersJudge": "transformers_judge",
    "HttpJudge": "http_judge",
    "build_judge": "factory",
}
if TYPE_CHECKING:
    from rerank_tui.judge.base import BaseJudge, Judge, same_checkpoint
    from rerank_tui.judge.errors import JudgeError, JudgePromptError, JudgeScaleError, JudgeServerError
    from rerank_tui.judge.factory import build_judge
    from rerank_tui.judge.grades import GradeDistribution
    from rerank_tui.judge.http_judge import HttpJudge
    from rerank_tui.judge.prompt import DEFAULT_TEMPLATE, JudgePrompt, chatml, load_prompt
    from rerank_tui.judge.transformers_judge import TransformersJudge

__all__ = [
    "DEFAULT_TEMPLATE",
    "BaseJudge",
    "GradeDistribution",
    "HttpJudge",
    "Judge",
    "JudgeError",
    "JudgePrompt",
    "JudgePromptError",
    "JudgeScaleError",
    "JudgeServerError",
    "TransformersJudge",
    "build_judge",
    "chatml",
    "load_prompt",
    "same_checkpoint",
]
__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
