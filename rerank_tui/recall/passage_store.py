"""Passages on disk for a fast re-open: small fields as JSON, texts as one memory-mapped blob.

Re-opening 100k passages must take well under a second, so texts are not parsed at all: a
`StoredPassages` sequence decodes a passage's text only when that passage is asked for (the
top hits of a search, the one on screen).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from rerank_tui.corpus.passage import Passage

_FIELDS = ("id", "doc", "title", "start", "end")


def save_passages(passages: Sequence[Passage], directory: Path) -> None:
    columns = {f: [getattr(p, f) for p in passages] for f in _FIELDS}
    with open(directory / "passages.json", "w", encoding="utf-8") as fh:
        json.dump(columns, fh, ensure_ascii=False)
    encoded = [p.text.encode("utf-8", "surrogatepass") for p in passages]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    np.save(directory / "text_offsets.npy", offsets)
    with open(directory / "texts.bin", "wb") as fh:
        for b in encoded:
            fh.write(b)


class StoredPassages(Sequence[Passage]):
    """A read-only list of passages whose texts stay on disk until used."""

    def __init__(self, directory: Path) -> None:
        with open(directory / "passages.json", encoding="utf-8") as fh:
            columns = json.load(fh)
        self._columns = [columns[f] for f in _FIELDS]
        self._offsets = np.load(directory / "text_offsets.npy", mmap_mode="r")
        size = int(self._offsets[-1])
        self._texts = np.memmap(directory / "texts.bin", dtype=np.uint8, mode="r") if size else np.zeros(0, np.uint8)
        if len(self._offsets) != len(self._columns[0]) + 1 or self._texts.size != size:
            raise ValueError("passage store is inconsistent")

    def __len__(self) -> int:
        return len(self._columns[0])

    def ids(self) -> list[str]:
        """Every passage's id, in order, without decoding a text."""
        return self._columns[0]

    def _get(self, i: int) -> Passage:
        ids, docs, titles, starts, ends = self._columns
        a, b = int(self._offsets[i]), int(self._offsets[i + 1])
        text = self._texts[a:b].tobytes().decode("utf-8", "surrogatepass")
        return Passage(ids[i], docs[i], titles[i], text, starts[i], ends[i])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._get(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._get(index)

    def __iter__(self) -> Iterator[Passage]:
        for i in range(len(self)):
            yield self._get(i)


class SplicedPassages(Sequence[Passage]):
    """Runs of existing passage sequences and new passages, as one read-only sequence.

    An incremental refresh keeps the passages of unchanged files where they are (on disk,
    decoded on use) and adds only the re-read files' passages. Blocks of a spliced sequence
    are flattened into their own sources, so repeated refreshes never nest.
    """

    def __init__(self, blocks: Sequence[tuple[Sequence[Passage], int, int]]) -> None:
        flat: list[tuple[Sequence[Passage], int, int]] = []
        for seq, a, b in blocks:
            if a >= b:
                continue
            if isinstance(seq, SplicedPassages):
                flat.extend(seq._slice(a, b))
                continue
            last = flat[-1] if flat else None
            if last is not None and last[0] is seq and last[2] == a:
                flat[-1] = (seq, last[1], b)
            else:
                flat.append((seq, a, b))
        self._blocks = flat
        self._starts = [0]
        for _, a, b in flat:
            self._starts.append(self._starts[-1] + b - a)

    def _slice(self, start: int, stop: int) -> list[tuple[Sequence[Passage], int, int]]:
        out = []
        for (seq, a, b), lo in zip(self._blocks, self._starts):
            hi = lo + b - a
            if hi <= start or lo >= stop:
                continue
            out.append((seq, a + max(start, lo) - lo, a + min(stop, hi) - lo))
        return out

    def __len__(self) -> int:
        return self._starts[-1]

    def ids(self) -> list[str]:
        out: list[str] = []
        for seq, a, b in self._blocks:
            ids = getattr(seq, "ids", None)
            out.extend(ids()[a:b] if callable(ids) else [p.id for p in seq[a:b]])
        return out

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        k = bisect.bisect_right(self._starts, index) - 1
        seq, a, _ = self._blocks[k]
        return seq[a + index - self._starts[k]]

    def __iter__(self) -> Iterator[Passage]:
        for seq, a, b in self._blocks:
            for i in range(a, b):
                yield seq[i]
