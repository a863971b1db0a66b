"""Which rating scale an import ends up with: the workspace's, or the one its grades bring.

The scale is the workspace's (labels.yaml `scale:`, 0–3 by default). An import keeps it when
every imported grade is on it; into a workspace without labels it takes the grades' own range
(Cranfield's 1–4 imports as 1–4, a Quepid file graded 0–10 as 0–10); `--scale LOW-HIGH`
(`requested`) sets it outright. Anything else is refused before anything is written, naming
the grades that do not fit. `LabelStore.merge(..., scale=...)` then also refuses when a label
already in the workspace is off the chosen scale.
"""

from __future__ import annotations

from collections.abc import Iterable

from rerank_tui.session.label_model import Queries, Scale

SHOWN = 5  # offending grades named in a refusal


def judgment_grades(judgments: Queries) -> set[int]:
    """Every grade in `judgments` (query → doc → label), as `import_scale` takes them."""
    return {label.grade for labels in judgments.values() for label in labels.values()}


def _named(grades: list[int]) -> str:
    shown = ", ".join(map(str, grades[:SHOWN]))
    return shown + (f" and {len(grades) - SHOWN} more" if len(grades) > SHOWN else "")


def import_scale(current: Scale, store_is_empty: bool, grades: Iterable[int], requested: Scale | None = None) -> Scale:
    """The scale the workspace has after importing labels with `grades`.

    - `requested` (from `--scale`) when given (`current` when it is the same range without
      names, so the names stay); a grade not on it → ValueError naming it;
    - else `current` when every grade is on it;
    - else, when the workspace has no labels yet (`store_is_empty`), the grades' own range
      (`Scale.covering`: 1, 2, 4 gives 1–4; ValueError past 101 grades);
    - else ValueError naming the grades that are off `current` and how to change the scale.
    """
    wanted = sorted(set(grades))
    if requested is not None:
        off = [g for g in wanted if g not in requested]
        if off:
            raise ValueError(f"grade {off[0]} is not on the requested scale {requested.text}; nothing imported")
        if not requested.names and (requested.low, requested.high) == (current.low, current.high):
            return current  # the same grades: keep the names the workspace gave them
        return requested
    off = [g for g in wanted if g not in current]
    if not off:
        return current
    if store_is_empty:
        return Scale.covering(wanted)
    grade_s = "grade" if len(off) == 1 else "grades"
    verb = "is" if len(off) == 1 else "are"
    raise ValueError(
        f"{grade_s} {_named(off)} {verb} not on this workspace's scale {current.text} (labels.yaml `scale:`); "
        "pass --scale LOW-HIGH to change it; nothing imported"
    )
