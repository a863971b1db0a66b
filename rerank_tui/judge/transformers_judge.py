"""In-process judging with transformers: AutoModelForCausalLM, grades from the last logits.

Each prompt is the user message in the tokenizer's own chat template (thinking off) when it
has one, else `chatml()`. One forward pass per batch, `logits_to_keep=1`: the logits at the
answer position, upcast to float32, give the softmax over the grade tokens and their share of
the full softmax. Batches are sorted by length and left-padded, with positions counted over
real tokens, so a row's answer is the one it would get alone; on CUDA out-of-memory the batch
size halves, down to 1 (as the reranker does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rerank_tui.rerank.checkpoint import Checkpoint
from rerank_tui.rerank.errors import BackendUnavailableError
from rerank_tui.rerank.transformers_backend import _oom, _pick_dtype, _plain_copy, _torch_device, _version, last_position_logits

from .base import BaseJudge, Cancel, raise_if_cancelled
from .errors import JudgeError, JudgeScaleError
from .grades import GradeDistribution
from .prompt import DEFAULT_MAX_PASSAGE_CHARS, JudgePrompt, chatml


def grade_token_ids(name: str, grades: Sequence[int], encode, decode) -> list[int]:
    """The one token id of each grade's text; `JudgeScaleError` for a grade that is several
    tokens (or one token that does not read back as the grade, e.g. with a leading space)."""
    ids = []
    for g in grades:
        tokens = list(encode(str(g)))
        if len(tokens) != 1 or decode(tokens) != str(g):
            raise JudgeScaleError(
                f"grade {g} is not one token for {name}'s tokenizer ({len(tokens)} tokens); the judge reads one token per grade",
                "use a scale whose grades are single tokens (for Qwen: single digits, 0–9)",
            )
        ids.append(tokens[0])
    return ids


class TransformersJudge(BaseJudge):
    def __init__(
        self,
        checkpoint: Checkpoint,
        *,
        grades: Sequence[int],
        names: Mapping[int, str] | None = None,
        prompt: JudgePrompt | None = None,
        device: str | None = None,
        dtype: str | None = None,
        batch_size: int = 16,
        max_passage_chars: int = DEFAULT_MAX_PASSAGE_CHARS,
    ):
        super().__init__(grades=grades, names=names, prompt=prompt, max_passage_chars=max_passage_chars)
        try:
            import torch
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as error:
            raise BackendUnavailableError(
                f"the transformers judge needs torch and transformers: {error}",
                "pip install 'rerank-tui[local]' for in-process models, or judge through a server: --judge-url http://host:8000",
            ) from error
        self._torch = torch
        self._oom_error = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)
        hf_logging.disable_progress_bar()
        self._device = _torch_device(torch, device)
        self.device = str(self._device)
        self.dtype = _pick_dtype(torch, self._device, dtype)
        self.batch_size = max(1, batch_size)
        self.checkpoint = checkpoint
        self.model_name = checkpoint.name

        tok = AutoTokenizer.from_pretrained(checkpoint.path, padding_side="left")
        if not tok.is_fast:
            raise JudgeError(f"{checkpoint.name}: no fast tokenizer (tokenizer.json)", "use a checkpoint with tokenizer.json")
        self.tokenizer = tok
        self._fast = _plain_copy(tok.backend_tokenizer)
        fast = self._fast
        self.grade_ids = grade_token_ids(checkpoint.name, self.grades, lambda text: fast.encode(text, add_special_tokens=False).ids, fast.decode)
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
        self.uses_chat_template = bool(getattr(tok, "chat_template", None))

        kwargs = {"dtype" if _version(transformers.__version__) >= (4, 56) else "torch_dtype": self.dtype}
        try:
            model = AutoModelForCausalLM.from_pretrained(checkpoint.path, **kwargs)
            self.model = model.to(self._device).eval()
        except self._oom_error as error:
            raise _oom(checkpoint.name, self._device, "loading the judge model") from error
        self.identity = f"transformers:{checkpoint.name}@{checkpoint.revision}:{str(self.dtype).removeprefix('torch.')}"
        if self._device.type == "cpu":
            self.notes = (f"judging with transformers on CPU ({checkpoint.name}): slow for large models",)

    # -- encoding ---------------------------------------------------------------------------
    def chat(self, message: str) -> str:
        """The whole prompt text for one user message."""
        if self.uses_chat_template:
            text = self.tokenizer.apply_chat_template(
                [{"role": "user", "content": message}], tokenize=False, add_generation_prompt=True, enable_thinking=False
            )
            return str(text)
        return chatml(message)

    def encode(self, messages: Sequence[str]) -> list[list[int]]:
        """Token ids of each prompt (one batched tokenizer pass; the template carries any
        special tokens, so none are added)."""
        return [enc.ids for enc in self._fast.encode_batch([self.chat(m) for m in messages], add_special_tokens=False)]

    # -- judging ----------------------------------------------------------------------------
    def _judge(self, query: str, messages: list[str], cancel: Cancel) -> list[GradeDistribution | None]:
        encoded = self.encode(messages)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]), reverse=True)
        out: list[GradeDistribution | None] = [None] * len(encoded)
        start = 0
        while start < len(order):
            raise_if_cancelled(cancel)
            batch = order[start : start + self.batch_size]
            try:
                rows = self.forward([encoded[i] for i in batch])
            except self._oom_error as error:
                if self.batch_size == 1:
                    raise _oom(self.checkpoint.name, self._device, "judging one passage") from error
                self.batch_size = max(1, self.batch_size // 2)
                if self._device.type == "cuda":
                    self._torch.cuda.empty_cache()
                continue
            for i, (grade_logits, lse) in zip(batch, rows):
                out[i] = GradeDistribution.from_logits(self.grades, grade_logits, lse)
            start += len(batch)
        return out

    def forward(self, rows: list[list[int]]) -> list[tuple[list[float], float]]:
        """One left-padded forward pass: per row, the grade tokens' logits and the
        log-sum-exp of all logits at the last position (float32)."""
        torch = self._torch
        with torch.inference_mode():
            last = last_position_logits(torch, self.model, rows, self.pad_id, self._device).float()
            lse = torch.logsumexp(last, dim=-1)
            grade_logits = last[:, self.grade_ids]
            return list(zip(grade_logits.tolist(), lse.tolist()))

    def close(self) -> None:
        if getattr(self, "model", None) is not None:
            self.model = None
            if self._device.type == "cuda":
                self._torch.cuda.empty_cache()
