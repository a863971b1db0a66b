"""Candidates from another system: a TREC run file as the recall stage, instead of BM25.

Results of the engine a user runs in production can be reranked and judged without
connecting to it: its run file gives each query its candidates.

- `read_recall_run` / `parse_recall_run` stream a run of `qid Q0 docid rank score tag` lines
  (the 6-field standard; a line with any other number of fields is refused at its line, as is
  a score that is not a finite number, a rank that is not a whole number, or a doc id twice
  for one query, which trec_eval refuses too). The second field and the tag are not read.
  Each query's documents come in score order, highest first; equal scores by rank (lower
  first), then by file order. (trec_eval breaks ties by doc id instead; the runs this app
  writes back never tie, see ranking.strictly_decreasing.) Blank lines are skipped. Limits:
  `MAX_RUN_BYTES` per file (refused before reading), the same many characters and
  `MAX_RUN_ROWS` rows kept while reading, and judgment_readers' limits per line and id.
  Every refusal is a `JudgmentFileError` naming the file and the line (0: the whole file).
- `run_candidates` maps a run onto an `Index`: per query id, `Hit`s whose rank is the position
  in the run among the documents the corpus has (1, 2, … without gaps) and whose score is the
  run's. Doc ids are passage ids (`Passage.id`, what qrels and the runs this app writes use).
  A doc id the corpus lacks is skipped and counted, per query and in total, never an error.
  A query the run has, even with no document the corpus has, keeps the run's (possibly
  empty) candidates; `RunCandidates.hits_of` falls back to BM25 only for queries the run
  lacks (`missing` lists them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import os
import re
import stat
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rerank_tui.recall.hit import Hit, passage_ids
from rerank_tui.session.judgment_readers import (
    MAX_IMPORT_BYTES,
    STDIN,
    JudgmentFileError,
    Lines,
    _lines,
    check_id,
    input_name,
    open_text,
)

if TYPE_CHECKING:
    from rerank_tui.recall.index import Index

MAX_RUN_BYTES = MAX_IMPORT_BYTES  # 256 MiB: ~5 million lines of a typical run
MAX_RUN_ROWS = 2_000_000  # rows kept (of the queries wanted): well under 1 GB in memory
RUN_LAYOUT = "`qid Q0 docid rank score tag`"
SHOWN_IDS = 5  # ids a report line names
_RANK = re.compile(r"-?[0-9]{1,18}")
_SCORE = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,4})?")

HitsOf = Callable[[str, str, int], list[Hit]]  # (query id, query text, k) → the k best candidates


@dataclass(frozen=True)
class RecallRun:
    """A run file read for recall: query id → [(doc id, score)], best first."""

    path: str  # as errors name it (`<stdin>` for standard input)
    queries: dict[str, list[tuple[str, float]]]
    rows: int

    @property
    def name(self) -> str:
        """The file's stem (`prod` for prod.trec), or `run` for standard input."""
        stem = Path(self.path).stem if self.path != input_name(STDIN) else ""
        return stem or "run"


def parse_recall_run(lines: Lines, path, wanted: Collection[str] | None = None) -> RecallRun:
    """A run from its lines, keeping only the `wanted` query ids (all when None); every line
    is checked, wanted or not."""
    entries: dict[str, list[tuple[float, int, int, str]]] = {}
    first_line: dict[str, dict[str, int]] = {}  # query id → doc id → line, to refuse a repeat
    rows = 0
    for number, line in _lines(lines, path):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 6:
            raise JudgmentFileError(path, number, f"expected {RUN_LAYOUT}, found {len(fields)} field{'s' * (len(fields) != 1)}")
        qid = check_id(path, number, "query id", fields[0])
        doc = check_id(path, number, "doc id", fields[2])
        rank = _parse_rank(path, number, fields[3])
        score = _parse_score(path, number, fields[4])
        if wanted is not None and qid not in wanted:
            continue
        seen = first_line.setdefault(qid, {})
        if doc in seen:
            raise JudgmentFileError(path, number, f"doc id {doc!r} appears twice for query {qid!r} (first on line {seen[doc]})")
        seen[doc] = number
        rows += 1
        if rows > MAX_RUN_ROWS:
            raise JudgmentFileError(path, number, f"more than {MAX_RUN_ROWS:,} rows in one run: split the file or give fewer queries")
        entries.setdefault(qid, []).append((-score, rank, number, doc))
    del first_line
    queries = {qid: [(doc, -negated) for negated, _, _, doc in sorted(rows_of)] for qid, rows_of in entries.items()}
    return RecallRun(str(path), queries, rows)


def read_recall_run(path: Path, wanted: Collection[str] | None = None) -> RecallRun:
    """`parse_recall_run` of the file at `path` (`-`: standard input), within the limits."""
    if str(path) != STDIN:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_RUN_BYTES:
            raise JudgmentFileError(path, 0, f"the file has {info.st_size:,} bytes; at most {MAX_RUN_BYTES:,} are read: split the file")
    with open_text(path) as file:
        return parse_recall_run(file, input_name(path), wanted)


def _parse_rank(path, number: int, raw: str) -> int:
    if not _RANK.fullmatch(raw):
        raise JudgmentFileError(path, number, f"rank {raw[:40]!r} is not a whole number")
    return int(raw)


def _parse_score(path, number: int, raw: str) -> float:
    if not _SCORE.fullmatch(raw):
        raise JudgmentFileError(path, number, f"score {raw[:40]!r} is not a number")
    score = float(raw)
    if score != score or score in (float("inf"), float("-inf")):
        raise JudgmentFileError(path, number, f"score {raw[:40]!r} is not a finite number")
    return score


# -- onto the corpus -------------------------------------------------------------------------


@dataclass
class RunCandidates:
    """A run mapped onto an index."""

    name: str  # the run's name (its file's stem)
    source: str  # the file, as reports name it (`<stdin>` for standard input)
    hits: dict[str, list[Hit]]  # query id → candidates, best first (queries the run has)
    unknown: dict[str, list[str]] = field(default_factory=dict)  # query id → doc ids the corpus lacks, in run order

    @property
    def unknown_total(self) -> int:
        return sum(len(ids) for ids in self.unknown.values())

    def unknown_counts(self) -> dict[str, int]:
        """Query id → how many of its doc ids the corpus lacks (queries with none left out)."""
        return {qid: len(ids) for qid, ids in self.unknown.items()}

    def missing(self, qids: Iterable[str]) -> list[str]:
        """The query ids, in the given order, that the run has no entry for."""
        return [qid for qid in qids if qid not in self.hits]

    def hits_of(self, index: Index) -> HitsOf:
        """(query id, text, k) → the run's top k for a query it has, else BM25's top k."""

        def hits_of(qid: str, text: str, k: int) -> list[Hit]:
            hits = self.hits.get(qid)
            return index.search(text, k) if hits is None else hits[: max(k, 0)]

        return hits_of

    def unknown_report(self, shown: int = SHOWN_IDS) -> str | None:
        """One line on the doc ids the corpus lacks (total, queries, the first few), or None."""
        total = self.unknown_total
        if not total:
            return None
        first = [f"{qid} {doc}" for qid, ids in self.unknown.items() for doc in ids][:shown]
        more = ", …" if total > len(first) else ""
        return (
            f"{self.source}: {total} doc id{'s' * (total != 1)} not in the corpus, skipped, in "
            f"{len(self.unknown)} of {len(self.hits)} queries (query doc: {', '.join(first)}{more})"
        )

    def missing_report(self, qids: Iterable[str], shown: int = SHOWN_IDS) -> str | None:
        """One line on the queries the run lacks (they get BM25's candidates), or None."""
        qids = list(qids)
        missing = self.missing(qids)
        if not missing:
            return None
        more = ", …" if len(missing) > shown else ""
        return (
            f"{self.source} has no entry for {len(missing)} of {len(qids)} queries: BM25 candidates "
            f"for them ({', '.join(missing[:shown])}{more})"
        )


def run_candidates(run: RecallRun, index: Index, qids: Collection[str] | None = None) -> RunCandidates:
    """The run's candidates as `Hit`s of `index`, for the `qids` (all of the run's when None)."""
    chosen = [qid for qid in run.queries if qids is None or qid in qids]
    needed = {doc for qid in chosen for doc, _ in run.queries[qid]}
    position: dict[str, int] = {}
    if needed:
        for i, pid in enumerate(passage_ids(index.passages)):  # ids only: no text is read
            if pid in needed:
                position.setdefault(pid, i)
    candidates = RunCandidates(run.name, run.path, {})
    for qid in chosen:
        hits: list[Hit] = []
        for doc, score in run.queries[qid]:
            row = position.get(doc)
            if row is None:
                candidates.unknown.setdefault(qid, []).append(doc)
                continue
            hits.append(Hit(rank=len(hits) + 1, score=score, index=row, passage=index.passages[row]))
        candidates.hits[qid] = hits
    return candidates
