"""A small Python API for notebooks: open a corpus, search, rerank, evaluate.

    from rerank_tui import api

    corpus = api.open_corpus("docs/")                         # BM25 index, built once and cached
    hits = corpus.search("pinned memory", k=20)               # [Hit]: .rank .score .passage.id/.title/.text
    reranker = api.reranker("Qwen/Qwen3-Reranker-0.6B")       # or api.reranker(url="http://host:8000")
    ranked = corpus.rerank("pinned memory", reranker, k=50)   # [RerankedHit]: .rank .score .moved .hit
    table = corpus.evaluate(queries, qrels, reranker, instructions={"code": "Prefer runnable code"})
    table.means()                                             # {"bm25": {"nDCG@10": …}, "code": {…}}

`queries` is a list of (query id, text) or a {query id: text} mapping; `qrels` a
{query id: {doc id: grade}} mapping. The numbers are those `rerank-tui eval` prints for the same
inputs (the same code computes them, with ir-measures), and `table.run(name)` is the run it would
write. Dense and hybrid recall: `corpus.dense(embedder)` embeds the corpus (cached) and
`corpus.search(q, recall="dense"|"hybrid")` uses it. Heavy libraries load only when a model is
built.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rerank_tui.recall.hit import Hit
from rerank_tui.recall.index import Index
from rerank_tui.session.ranking import RerankedHit

if TYPE_CHECKING:
    from rerank_tui.embed.search import DenseRecall

DEFAULT_METRICS = ("nDCG@5", "nDCG@10", "AP@10", "RR@10", "P@5", "R@100")


def reranker(model: str | None = None, *, url: str | None = None, backend: str = "auto", **options):
    """A Qwen3 reranker: a model (hub id or folder) run in-process (transformers or vLLM), or a
    `vllm serve` at `url`. Options go to the backend (max_length, dtype, batch_size…)."""
    from rerank_tui.rerank import build_reranker

    return build_reranker(backend, model, url=url, **options)


def embedder(model: str | None = None, *, url: str | None = None, backend: str = "auto", **options):
    """An embedder for dense recall: a sentence-transformers model (folder or hub id), vLLM, or
    an OpenAI-compatible `/v1/embeddings` server at `url`."""
    from rerank_tui.embed.factory import build_embedder

    return build_embedder(backend, model, url=url, **options)


def open_corpus(path: str | os.PathLike, *, rebuild: bool = False, **bm25) -> Corpus:
    """The corpus at `path` (a folder, a JSONL file or a BEIR folder) with its BM25 index,
    loaded from the cache when the files are unchanged. `bm25`: k1, b, method."""
    from rerank_tui.recall import BM25Params, open_index

    params = BM25Params(**bm25) if bm25 else BM25Params()
    opened = open_index(path, params=params, rebuild=rebuild)
    return Corpus(str(path), opened.index)


@dataclass
class Table:
    """What `Corpus.evaluate` measured: one system per row (BM25 first)."""

    systems: list
    metrics: list[str]

    def means(self) -> dict[str, dict[str, float]]:
        return {s.name: s.means() for s in self.systems}

    def run(self, name: str) -> dict[str, list[tuple[str, float]]]:
        """A system's run: query id → [(doc id, score)], best first, strictly decreasing."""
        return next(s for s in self.systems if s.name == name).run

    def per_query(self, name: str) -> dict[str, dict[str, float]]:
        """A system's metric values per query: metric → {query id: value}."""
        return next(s for s in self.systems if s.name == name).values

    def p_value(self, a: str, b: str, metric: str) -> float:
        """The paired test between two systems on one metric (as eval prints it)."""
        from rerank_tui.session.evaluation import significance

        systems = {s.name: s for s in self.systems}
        return significance(systems[a], systems[b], metric)


@dataclass
class Corpus:
    path: str
    index: Index
    _dense: DenseRecall | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.index)

    def dense(self, embedder, *, progress=None) -> Corpus:
        """Embed the corpus with `embedder` (only what the vector cache lacks) for dense and
        hybrid search. Returns self."""
        from pathlib import Path

        from rerank_tui.session.recall_sources import dense_recall

        self._dense = dense_recall(self.index, embedder, corpus=str(Path(self.path).expanduser().resolve()), progress=progress)
        return self

    def search(self, query: str, k: int = 10, *, recall: str = "bm25", fusion: str = "rrf", alpha: float = 0.5,
               query_instruction: str | None = None) -> list[Hit]:
        """The k best passages of a recall source ("bm25", "dense", "hybrid"), best first."""
        return self._hits_of(recall, fusion, alpha, query_instruction)("", query, k)

    def rerank(self, query: str, reranker, k: int = 50, *, instruction: str | None = None, recall: str = "bm25") -> list[RerankedHit]:
        """The recall source's top k, reordered by the reranker (p(yes) each; `moved` is the
        change of rank against recall). `instruction` None: the reranker's default."""
        from rerank_tui.rerank.prompt import DEFAULT_INSTRUCTION
        from rerank_tui.session.ranking import rerank_hits

        hits = self.search(query, k, recall=recall)
        ranked, _ = rerank_hits(reranker, query, hits, DEFAULT_INSTRUCTION if instruction is None else instruction)
        return ranked

    def evaluate(
        self,
        queries: Sequence[tuple[str, str]] | Mapping[str, str],
        qrels: Mapping[str, Mapping[str, int]],
        reranker=None,
        *,
        instructions: Mapping[str, str | None] | None = None,
        metrics: Sequence[str] = DEFAULT_METRICS,
        depth: int = 100,
        rerank_depth: int = 50,
        recall: str = "bm25",
    ) -> Table:
        """Recall alone, then one reranked system per instruction (name → instruction; None is
        the default instruction), scored on `qrels` with ir-measures, as `rerank-tui eval`."""
        from rerank_tui.rerank.prompt import DEFAULT_INSTRUCTION
        from rerank_tui.session.evaluation import evaluate
        from rerank_tui.session.metrics import parse_metrics

        pairs = list(queries.items()) if isinstance(queries, Mapping) else [(qid, text) for qid, text in queries]
        if reranker is not None and instructions is None:
            instructions = {"default": None}
        systems = [(name, DEFAULT_INSTRUCTION if text is None else text) for name, text in (instructions or {}).items()]
        names = list(metrics)
        parse_metrics(names)  # a name ir-measures cannot parse fails here, before any work
        grades = {str(q): {str(d): int(g) for d, g in docs.items()} for q, docs in qrels.items()}
        results = evaluate(
            self.index, pairs, grades, systems, reranker=reranker, metrics=names, depth=depth,
            rerank_depth=rerank_depth, hits_of=self._hits_of(recall), recall_name=recall,
        )
        return Table(results, names)

    def _hits_of(self, recall: str, fusion: str = "rrf", alpha: float = 0.5, query_instruction: str | None = None):
        from rerank_tui.session.recall_sources import Fusion, hits_function

        if recall != "bm25" and self._dense is None:
            raise ValueError(f"{recall} recall needs the corpus's vectors: call corpus.dense(api.embedder(MODEL)) first")
        return hits_function(recall, self.index, self._dense, instruction=query_instruction, fusion=Fusion(fusion, alpha=alpha))
