"""What a label is: a grade of one passage for one query, and the changes made to labels."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from rerank_tui.session.label_journal import Entry

FORMAT_VERSION = 1
HASH_CHARS = 12
MIN_GRADES = 2  # a scale with one grade tells nothing apart
MAX_GRADES = 101  # 0–100 is the widest scale
MAX_NAME_CHARS = 200  # the name of one grade
_RANGE = re.compile(r"\s*(-?[0-9]{1,6})\s*[-\u2013]\s*(-?[0-9]{1,6})\s*")  # "1-4", "0–10", "-1–4"


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Scale:
    """The workspace's rating scale: the contiguous integer grades `low`..`high`, each with an
    optional name (`names` holds only the named ones). 0–3 by default; any range of
    MIN_GRADES to MAX_GRADES grades otherwise (Cranfield's 1–4, Quepid's 0–10…).

    A Scale is a collection of its grades: `3 in scale`, `list(scale)`, `len(scale)`."""

    low: int
    high: int
    names: dict[int, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not (_is_int(self.low) and _is_int(self.high)):
            raise ValueError(f"a scale runs between two whole numbers, not {self.low!r} and {self.high!r}")
        count = self.high - self.low + 1
        if count < MIN_GRADES:
            raise ValueError(f"a scale needs at least {MIN_GRADES} grades, not {max(count, 0)} ({self.low} to {self.high})")
        if count > MAX_GRADES:
            raise ValueError(f"a scale has at most {MAX_GRADES} grades (0–100), not {count:,} ({self.low}–{self.high})")
        names = {}
        for grade, name in dict(self.names).items():
            if not _is_int(grade) or not self.low <= grade <= self.high:
                raise ValueError(f"grade {grade!r} is named but not on the scale {self.low}–{self.high}")
            if name is None or name == "":
                continue
            if not isinstance(name, str):
                raise ValueError(f"the name of grade {grade} must be text (quote it), not {name!r}")
            if len(name) > MAX_NAME_CHARS:
                raise ValueError(f"the name of grade {grade} is longer than {MAX_NAME_CHARS} characters")
            names[grade] = name
        object.__setattr__(self, "names", dict(sorted(names.items())))

    @property
    def grades(self) -> tuple[int, ...]:
        return tuple(range(self.low, self.high + 1))

    def __contains__(self, grade) -> bool:
        return _is_int(grade) and self.low <= grade <= self.high

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.low, self.high + 1))

    def __len__(self) -> int:
        return self.high - self.low + 1

    def name(self, grade: int) -> str:
        """The grade's name, or "" (an unnamed grade, or one not on the scale)."""
        return self.names.get(grade, "") if grade in self else ""

    @property
    def text(self) -> str:
        """`0–3` (with an en dash), as messages name the scale."""
        return f"{self.low}\u2013{self.high}"

    def to_yaml(self) -> dict[int, str | None]:
        """`{grade: name or None}` for every grade, as labels.yaml's `scale:` holds it."""
        return {grade: self.names.get(grade) for grade in self}

    @classmethod
    def covering(cls, grades: Iterable[int]) -> Scale:
        """The smallest scale holding every one of `grades` (their own range: 1, 2, 4 gives
        1–4). A single grade g is widened to take in 0 (0 alone gives 0–1), no grades give the
        default scale; the default scale's names come along only for exactly 0–3.
        More than MAX_GRADES grades between the lowest and the highest → ValueError."""
        wanted = list(grades)
        bad = next((g for g in wanted if not _is_int(g)), None)
        if bad is not None:
            raise ValueError(f"grade {bad!r} is not a whole number")
        if not wanted:
            return DEFAULT_SCALE
        low, high = min(wanted), max(wanted)
        if low == high:
            low, high = (0, 1) if low == 0 else (min(low, 0), max(high, 0))
        if (low, high) == (DEFAULT_SCALE.low, DEFAULT_SCALE.high):
            return DEFAULT_SCALE
        if high - low + 1 > MAX_GRADES:
            raise ValueError(f"the grades run from {low} to {high}: a scale has at most {MAX_GRADES} grades (0–100)")
        return cls(low, high)

    @classmethod
    def parse(cls, value) -> Scale:
        """A scale from labels.yaml's `scale:` (a mapping of every grade to its name or null,
        e.g. `{1: a, 2: b, 3: c, 4: d}`) or from text such as `1-4` or `0–10` (`0-3` is the
        default scale, with its names).

        The grades must be whole numbers forming one contiguous range of MIN_GRADES to
        MAX_GRADES grades; anything else → ValueError saying what is wrong."""
        if isinstance(value, Scale):
            return value
        if isinstance(value, str):
            match = _RANGE.fullmatch(value)
            if match is None:
                raise ValueError(f"expected LOW-HIGH (e.g. 0-3 or 1-4), not {value[:40]!r}")
            low, high = int(match.group(1)), int(match.group(2))
            if low >= high:
                raise ValueError(f"{value.strip()!r}: the lowest grade comes first and the scale needs at least {MIN_GRADES} grades")
            return DEFAULT_SCALE if (low, high) == (DEFAULT_SCALE.low, DEFAULT_SCALE.high) else cls(low, high)
        if not isinstance(value, Mapping):
            raise ValueError(f"expected a mapping of grades to names, e.g. {{0: irrelevant, 1: relevant}}, or LOW-HIGH, not {value!r:.40}")
        keys = list(value)
        bad = next((k for k in keys if not _is_int(k)), None)
        if bad is not None:
            raise ValueError(f"grade {bad!r} is not a whole number: the grades are the keys, e.g. {{1: a, 2: b}}")
        if len(keys) < MIN_GRADES:
            raise ValueError(f"a scale needs at least {MIN_GRADES} grades, not {len(keys)}")
        low, high = min(keys), max(keys)
        if high - low + 1 > MAX_GRADES:
            raise ValueError(f"the grades run from {low} to {high}: a scale has at most {MAX_GRADES} grades (0–100)")
        if len(keys) != high - low + 1:
            missing = next(g for g in range(low, high + 1) if g not in value)
            raise ValueError(f"grade {missing} is missing between {low} and {high}: a scale is every whole number in its range")
        return cls(low, high, dict(value))


DEFAULT_SCALE = Scale(0, 3, {0: "irrelevant", 1: "related", 2: "relevant", 3: "perfect"})


def text_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Label:
    doc: str
    grade: int
    text_sha1: str = ""
    at: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def is_stale(self, current_text: str) -> bool:
        """True when the passage text differs from the text that was labeled."""
        if not self.text_sha1:
            return False
        return not text_sha1(current_text).startswith(self.text_sha1[:HASH_CHARS])

    def to_yaml(self) -> dict:
        data = {"doc": self.doc, "grade": self.grade}
        if self.text_sha1:
            data["text_sha1"] = self.text_sha1
        if self.at:
            data["at"] = self.at
        return data | self.extra


@dataclass(frozen=True)
class Change:
    """One label change of this store: `label` None is a removal; `previous` is for undo."""

    query: str
    doc: str
    label: Label | None
    previous: Label | None

    def entry(self) -> Entry:
        if self.label is None:
            return Entry(self.query, self.doc, None)
        return Entry(self.query, self.doc, self.label.grade, self.label.text_sha1, self.label.at, self.label.extra)


@dataclass(frozen=True)
class Saved:
    """What the writer reports: these changes are on disk, or they failed with `error`."""

    changes: tuple[Change, ...]
    error: Exception | None = None


Queries = dict[str, dict[str, Label]]  # query → passage id → label
