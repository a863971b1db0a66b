"""Collate functions for variable-length text batches.

The default ``collate_fn`` of ``torch.utils.data.DataLoader`` calls
``torch.stack`` on the samples of a batch, which fails as soon as two token
sequences have different lengths::

    RuntimeError: stack expects each tensor to be equal size,
    but got [37] at entry 0 and [52] at entry 1

The functions here pad each batch to the length of its longest member instead
of padding the whole dataset to a global maximum. Padding per batch keeps
batches small when most sequences are short.

Keep these functions at module level in a real ``.py`` file. With the ``spawn``
start method (the default on macOS and Windows) worker processes must be able
to import the collate function by name; a lambda or a function defined in a
notebook cell cannot be pickled for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch.nn.utils.rnn import pad_sequence


@dataclass
class TextBatch:
    """A padded batch.

    ``input_ids`` and ``attention_mask`` have shape ``(batch, max_len)``.
    ``labels`` has shape ``(batch,)``.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor

    def pin_memory(self) -> "TextBatch":
        # The DataLoader calls this when pin_memory=True. Without it a custom
        # batch type is returned unpinned and non_blocking copies gain nothing.
        self.input_ids = self.input_ids.pin_memory()
        self.attention_mask = self.attention_mask.pin_memory()
        self.labels = self.labels.pin_memory()
        return self

    def to(self, device, non_blocking: bool = False) -> "TextBatch":
        return TextBatch(
            self.input_ids.to(device, non_blocking=non_blocking),
            self.attention_mask.to(device, non_blocking=non_blocking),
            self.labels.to(device, non_blocking=non_blocking),
        )


def pad_collate(samples, pad_id: int = 0, max_len: int | None = None) -> TextBatch:
    """Pad a list of ``{"input_ids": LongTensor, "label": int}`` samples.

    ``max_len`` truncates long sequences *before* padding, which bounds memory
    when a corpus contains a few pathological documents (a 40k-token log file
    in a corpus of short notes is enough to cause a CUDA OOM).
    """
    seqs = []
    for s in samples:
        ids = s["input_ids"]
        if max_len is not None:
            ids = ids[:max_len]
        seqs.append(ids)

    # pad_sequence pads on the right and, with batch_first=True,
    # returns (batch, longest).
    input_ids = pad_sequence(seqs, batch_first=True, padding_value=pad_id)

    # Build the mask from the true lengths rather than from input_ids != pad_id:
    # the pad id can legitimately appear inside a sequence for some tokenizers.
    lengths = torch.tensor([len(s) for s in seqs])
    positions = torch.arange(input_ids.size(1))
    attention_mask = (positions[None, :] < lengths[:, None]).long()

    labels = torch.tensor([s["label"] for s in samples], dtype=torch.long)
    return TextBatch(input_ids, attention_mask, labels)


def make_collate(pad_id: int, max_len: int | None = None):
    """Return a picklable collate function bound to a tokenizer's pad id.

    ``functools.partial`` of a module-level function pickles fine, unlike
    ``lambda batch: pad_collate(batch, pad_id)``.
    """
    return partial(pad_collate, pad_id=pad_id, max_len=max_len)


if __name__ == "__main__":
    # Tiny self-check: python collate.py
    batch = pad_collate(
        [
            {"input_ids": torch.tensor([5, 6, 7]), "label": 1},
            {"input_ids": torch.tensor([8]), "label": 0},
        ],
        pad_id=0,
    )
    print(batch.input_ids)        # tensor([[5, 6, 7], [8, 0, 0]])
    print(batch.attention_mask)   # tensor([[1, 1, 1], [1, 0, 0]])
