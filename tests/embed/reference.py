"""Reference vectors computed straight from transformers, as the model cards do it.

Mean pooling: the attention-mask-weighted mean of the last hidden states. Last-token pooling
(Qwen3-Embedding's `last_token_pool`): left padding, the last position's hidden state. Then
L2 normalisation. Texts go in exactly as given (callers add prompts), tokenized by the
folder's own tokenizer with its special tokens, truncated to `max_length`.
"""

from __future__ import annotations

import numpy as np


def reference_vectors(model_dir, texts: list[str], *, pooling: str, max_length: int = 512) -> np.ndarray:
    import torch
    from transformers import AutoModel, AutoTokenizer

    side = "left" if pooling == "lasttoken" else "right"
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), padding_side=side)
    model = AutoModel.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"]
    if pooling == "mean":
        m = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    elif pooling == "lasttoken":
        assert bool((mask[:, -1] == 1).all()), "left padding: the last position is real for every row"
        pooled = hidden[:, -1]
    elif pooling == "cls":
        pooled = hidden[:, 0]
    else:
        raise ValueError(pooling)
    pooled = torch.nn.functional.normalize(pooled.double(), p=2, dim=1)
    return pooled.float().numpy()


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest row-wise cosine between two matrices of the same shape."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(cos.min())
