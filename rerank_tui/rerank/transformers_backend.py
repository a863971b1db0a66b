"""In-process scoring with transformers: AutoModelForCausalLM, p(yes) from the last logits.

CUDA runs bf16 (fp16 where bf16 is unsupported); CPU runs float32. Documents are sorted by
length so each batch pads little, batches are left-padded (the last position is the answer
position for every row), and on CUDA out-of-memory the batch size halves and the batch is
retried, down to 1.
"""

from __future__ import annotations

from .base import BaseReranker, Call
from .checkpoint import Checkpoint, check_yes_no
from .errors import BackendUnavailableError, NotQwen3RerankerError, RerankOutOfMemoryError
from .prompt import PREFIX, SUFFIX, body, fit_document


class TransformersReranker(BaseReranker):
    def __init__(
        self,
        checkpoint: Checkpoint,
        *,
        device: str | None = None,
        dtype: str | None = None,
        max_length: int = 8192,
        batch_size: int = 16,
        attn_implementation: str | None = None,
    ):
        super().__init__()
        try:
            import torch
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as error:
            raise BackendUnavailableError(
                f"the transformers backend needs torch and transformers: {error}",
                "pip install 'rerank-tui[local]' for in-process models (pin torch for your CUDA or CPU), "
                "or use a server: --url http://host:8000",
            ) from error
        self._torch = torch
        self._oom_error = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)  # torch < 2.5
        hf_logging.disable_progress_bar()  # a progress bar on stderr would tear a TUI's screen
        self._device = _torch_device(torch, device)
        self.device = str(self._device)  # "cpu", "cuda:0": for display
        self.dtype = _pick_dtype(torch, self._device, dtype)
        self.max_length = max_length
        self.batch_size = max(1, batch_size)
        self.checkpoint = checkpoint

        tok = AutoTokenizer.from_pretrained(checkpoint.path, padding_side="left")
        if not tok.is_fast:
            raise NotQwen3RerankerError(
                f"{checkpoint.name}: no fast tokenizer (tokenizer.json) to truncate documents by",
                "use a Qwen3-Reranker checkpoint with tokenizer.json",
            )
        vocab = tok.get_vocab()
        self.yes_id, self.no_id = check_yes_no(checkpoint.name, vocab.get)
        self.tokenizer = tok
        self._fast = _plain_copy(tok.backend_tokenizer)  # batched, offsets included
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        self.prefix_ids = tok.encode(PREFIX, add_special_tokens=False)
        self.suffix_ids = tok.encode(SUFFIX, add_special_tokens=False)

        # transformers < 4.56 calls it torch_dtype
        kwargs = {"dtype" if _version(transformers.__version__) >= (4, 56) else "torch_dtype": self.dtype}
        if attn_implementation:
            kwargs["attn_implementation"] = attn_implementation
        try:
            model = AutoModelForCausalLM.from_pretrained(checkpoint.path, **kwargs)
            self.model = model.to(self._device).eval()
        except self._oom_error as error:
            raise _oom(checkpoint.name, self._device, "loading the model") from error
        self.identity = f"transformers:{checkpoint.name}@{checkpoint.revision}:{str(self.dtype).removeprefix('torch.')}"
        if self._device.type == "cpu":
            self.notes = (f"reranking with transformers on CPU ({checkpoint.name}): slow for large models",)

    # -- encoding ---------------------------------------------------------------------------
    def _encode(self, text: str):
        enc = self._fast.encode(text, add_special_tokens=False)
        return enc.ids, enc.offsets

    def encode_pairs(self, query: str, documents: list[str], instruction: str | None) -> list[list[int]]:
        """Token ids of each full prompt; only documents are cut to fit `max_length`.

        One batched tokenizer pass over the bodies; only the ones that do not fit are
        re-tokenized to be cut."""
        budget = self.max_length - len(self.prefix_ids) - len(self.suffix_ids)
        bodies = [body(query, d, instruction) for d in documents]
        out = []
        for d, enc in zip(documents, self._fast.encode_batch(bodies, add_special_tokens=False)):
            ids = enc.ids
            if len(ids) > budget:
                _, ids = fit_document(self._encode, query, d, instruction, budget, (ids, enc.offsets))
            out.append(self.prefix_ids + ids + self.suffix_ids)
        return out

    def encode_pair(self, query: str, document: str, instruction: str | None) -> list[int]:
        return self.encode_pairs(query, [document], instruction)[0]

    # -- scoring ----------------------------------------------------------------------------
    def _score(self, query, documents, instruction, call: Call):
        encoded = self.encode_pairs(query, documents, instruction)
        call.stats.tokens = sum(len(ids) for ids in encoded)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]), reverse=True)
        scores = [0.0] * len(encoded)
        start = 0
        while start < len(order):
            call.check()
            batch = order[start : start + self.batch_size]
            try:
                probs = self._forward([encoded[i] for i in batch])
            except self._oom_error as error:
                if self.batch_size == 1:
                    raise _oom(self.checkpoint.name, self._device, "scoring one document") from error
                self.batch_size = max(1, self.batch_size // 2)  # remembered for later calls
                if self._device.type == "cuda":
                    self._torch.cuda.empty_cache()
                continue
            for i, p in zip(batch, probs):
                scores[i] = p
            call.stats.batches += 1
            start += len(batch)
        return scores

    def _forward(self, rows: list[list[int]]) -> list[float]:
        torch = self._torch
        with torch.inference_mode():
            last = last_position_logits(torch, self.model, rows, self.pad_id, self._device)
            pair = torch.stack([last[:, self.no_id], last[:, self.yes_id]], dim=1).float()
            return torch.softmax(pair, dim=1)[:, 1].tolist()

    def close(self) -> None:
        if getattr(self, "model", None) is not None:
            self.model = None
            if self._device.type == "cuda":
                self._torch.cuda.empty_cache()


def last_position_logits(torch, model, rows: list[list[int]], pad_id: int, device):
    """One forward pass over token-id rows, left-padded into a batch: the logits at each row's
    last position (the answer position of every row). Positions count real tokens only, so a
    padded row sees the positions it would alone. Call it under `torch.inference_mode()`."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for j, r in enumerate(rows):
        ids[j, width - len(r) :] = torch.tensor(r, dtype=torch.long)
        mask[j, width - len(r) :] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    out = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device), logits_to_keep=1)
    return out.logits[:, -1, :]


def _torch_device(torch, device: str | None):
    """The requested device, or CUDA when there is one; a CUDA device always gets its index."""
    chosen = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if chosen.type == "cuda" and chosen.index is None:
        chosen = torch.device("cuda", torch.cuda.current_device())
    return chosen


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def _plain_copy(backend):
    """A private copy of the Rust tokenizer with padding and truncation off: the HF wrapper
    leaves its last call's padding switched on in the shared one."""
    from tokenizers import Tokenizer

    copy = Tokenizer.from_str(backend.to_str())
    copy.no_padding()
    copy.no_truncation()
    return copy


def _pick_dtype(torch, device, dtype: str | None):
    if dtype and dtype != "auto":
        try:
            return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16,
                    "fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
        except KeyError:
            raise ValueError(f"dtype {dtype!r}: use auto, float32, bfloat16 or float16") from None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _oom(name: str, device, doing: str) -> RerankOutOfMemoryError:
    return RerankOutOfMemoryError(
        f"out of memory on {device} {doing} with {name}",
        "lower --max-length or --batch-size, use a smaller model, or free the GPU",
    )
