"""Judging a query set's pools with an LLM judge: the work `rerank-tui judge` and the
query-set screen's judge command share.

A query's pool is the judging pool a person works through (session.judging.judging_pool):
the top N of recall and of the reranked list, each passage once. The judge grades the
pool's unlabeled passages (with `include_labeled`, the labeled ones too: agreement needs
pairs both graded), query by query; each query's grades are appended to the suggestions
file as soon as they are known, so a run that is cancelled or killed keeps what it did, and
the next run skips every pair already judged by the same judge with the same prompt on the
same passage text (`SuggestionStore.cached`, earlier records too: going back to a prompt
judged before costs no forward pass, and its grades become the pairs' suggestions again):
resumable, and cached like scores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from rerank_tui.rerank.base import Cancel, raise_if_cancelled
from rerank_tui.session.judging import POOL_DEPTH, judging_pool
from rerank_tui.session.label_model import Label, text_sha1, utc_now
from rerank_tui.session.query_set_scores import QueryRun
from rerank_tui.session.suggestions import Suggestion, SuggestionStore


@dataclass
class JudgeRunStats:
    """What a run did so far (progress callbacks get it after every query)."""

    queries: int = 0  # queries whose pool is done
    total_queries: int = 0
    judged: int = 0  # pairs the judge graded in this run
    cached: int = 0  # pairs skipped: already judged by this judge and prompt on this text
    labeled: int = 0  # pairs skipped: a person labeled them (without include_labeled)
    unreadable: int = 0  # pairs whose grade tokens the server's top-k logprobs did not hold

    def summary(self) -> str:
        parts = [f"{self.judged:,} judged", f"{self.cached:,} already judged (cached)"]
        if self.labeled:
            parts.append(f"{self.labeled:,} labeled by people (skipped)")
        if self.unreadable:
            parts.append(f"{self.unreadable:,} without a grade token in the server's top logprobs")
        return f"{self.queries:,}/{self.total_queries:,} queries: " + ", ".join(parts)


def suggestion_of(query: str, doc: str, text: str, distribution, judge_identity: str, prompt_sha1: str) -> Suggestion:
    """A stored suggestion from one GradeDistribution of the judge."""
    return Suggestion(
        query=query,
        doc=doc,
        grade=distribution.argmax,
        expected=distribution.expected,
        probs=tuple(zip(distribution.grades, distribution.probs)),
        mass=distribution.mass,
        judge=judge_identity,
        prompt=prompt_sha1,
        text_sha1=text_sha1(text),
        at=utc_now(),
    )


def pool_texts(run: QueryRun, depth: int = POOL_DEPTH) -> list[tuple[str, str]]:
    """(passage id, text) of a query's judging pool, in the order a person meets them."""
    return [(item.hit.passage.id, item.hit.passage.text) for item in judging_pool(run.hits, run.ranking, depth)]


def judge_pools(
    judge,
    prompt_sha1: str,
    pools: Iterable[tuple[str, list[tuple[str, str]]]],
    labels: Mapping[str, Mapping[str, Label]],
    store: SuggestionStore,
    *,
    total_queries: int = 0,
    include_labeled: bool = False,
    cancel: Cancel = None,
    progress: Callable[[JudgeRunStats], None] | None = None,
) -> JudgeRunStats:
    """Grade every pool's passages that need it, query by query, saving each query's grades
    before the next one starts. `pools`: (query text, [(doc, text)]) per query; `labels`:
    query text → doc → label (people's labels, skipped unless `include_labeled`).
    Raises RerankCancelled when cancelled (what was saved stays saved)."""
    stats = JudgeRunStats(total_queries=total_queries)
    identity = judge.identity
    for query, pool in pools:
        raise_if_cancelled(cancel)
        labeled = labels.get(query) or {}
        todo, again = [], []
        for doc, text in pool:
            if not include_labeled and doc in labeled:
                stats.labeled += 1
            elif (cached := store.cached(query, doc, identity, prompt_sha1, text_sha1(text))) is not None:
                stats.cached += 1
                if store.get(query, doc) != cached:  # an earlier judgment of this judge and prompt: current again
                    again.append(replace(cached, at=utc_now()))
            else:
                todo.append((doc, text))
        if again:
            store.add_many(again)
        if todo:
            distributions = judge.judge(query, [text for _, text in todo], cancel=cancel)
            new = []
            for (doc, text), distribution in zip(todo, distributions):
                if distribution is None:
                    stats.unreadable += 1
                    continue
                new.append(suggestion_of(query, doc, text, distribution, identity, prompt_sha1))
            if new:
                store.add_many(new)
            stats.judged += len(new)
        stats.queries += 1
        if progress is not None:
            progress(stats)
    return stats
