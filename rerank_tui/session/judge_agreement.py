"""How far the judge can be trusted, on the workspace's own data: the pairs people and the
judge both graded, and the workspace's snapshots as the systems whose order the two sets of
qrels should agree on. The statistics are session.agreement's; this module gathers the
inputs (people's labels only: an accepted suggestion is the judge's grade, not a person's).
"""

from __future__ import annotations

from pathlib import Path

from rerank_tui.session.agreement import MIN_SYSTEMS, PairAgreement, SystemAgreement, judge_grades, pair_agreement, system_agreement
from rerank_tui.session.label_sources import HUMAN, source_of
from rerank_tui.session.labels import LabelStore
from rerank_tui.session.query_set import query_id
from rerank_tui.session.snapshots import list_snapshots, load_snapshot
from rerank_tui.session.store import WorkspaceFileError
from rerank_tui.session.suggestions import SuggestionStore

def human_grades(labels: LabelStore) -> dict[str, dict[str, int]]:
    """query text → doc → grade of the labels people gave (accepted suggestions left out)."""
    out: dict[str, dict[str, int]] = {}
    for query, by_doc in labels.queries.items():
        grades = {doc: label.grade for doc, label in by_doc.items() if source_of(label) == HUMAN}
        if grades:
            out[query] = grades
    return out


def _by_id(grades: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {query_id(text): by_doc for text, by_doc in grades.items()}


def snapshot_systems(root: str | Path) -> tuple[dict[str, dict[str, list[tuple[str, float]]]], list[str]]:
    """Every readable snapshot's run keyed by query-text hash (name → qid → run), and the
    problems of the ones that are not."""
    systems, problems = {}, []
    for info in list_snapshots(root):
        if info.error is not None:
            problems.append(f"snapshot {info.name} skipped: {info.error}")
            continue
        try:
            snapshot = load_snapshot(root, info.name)
        except WorkspaceFileError as exc:
            problems.append(f"snapshot {info.name} skipped: {exc}")
            continue
        systems[info.name] = {query_id(snapshot.queries[qid]): run for qid, run in snapshot.run.items() if qid in snapshot.queries}
    return systems, problems


def workspace_agreement(
    root: str | Path,
    labels: LabelStore,
    suggestions: SuggestionStore,
    *,
    metric: str = "nDCG@10",
) -> tuple[PairAgreement, SystemAgreement | None, str]:
    """(pairs both graded, the systems' order under both qrels or None, a note for the user)."""
    judged = judge_grades(suggestions)
    pair = pair_agreement(labels.queries, judged, tuple(labels.scale))
    notes = []
    if pair.n == 0:
        notes.append("no pair is graded by both people and the judge: `rerank-tui judge --labeled` also judges the labeled hits")
    systems, problems = snapshot_systems(root)
    notes += problems
    system = system_agreement(systems, _by_id(human_grades(labels)), _by_id(judged), metric=metric) if systems else None
    if len(systems) < MIN_SYSTEMS:
        notes.append(
            f"Kendall's τ needs {MIN_SYSTEMS} or more systems; the workspace has {len(systems)} snapshot(s): "
            "save one per recall source × instruction (`rerank-tui snapshot save NAME …`, or ctrl+s in the query-set screen)"
        )
    return pair, system, "\n".join(notes)
