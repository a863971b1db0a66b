"""BM25 recall benchmark: this project's engine against its peers, measured in the same run.

    .venv/bin/python bench/recall.py            # 10k and 100k passages
    .venv/bin/python bench/recall.py --million  # adds 1M passages (this project only)

Peers (install the `bench` extra for tantivy; rows are left out without it):
- `bm25s`: the bm25s library used directly, fed the same token lists (this project's
  tokenizer; tokenizing is included in its build, as it is in ours); a query is tokenized by
  the same tokenizer and answered by `BM25.retrieve([tokens], k=100)` (scores + top-k, numpy
  backend, no thread pool): what a program using bm25s would call.
- `tantivy`: tantivy-py with its `en_stem` tokenizer (lowercase + English Snowball stemmer,
  no stopwords: comparable work to ours), default multi-threaded writer, build = add every
  passage + commit + reload; a query is `parse_query_lenient` + `search(k=100)`.
- `rank-bm25`: the pure-Python library (the parity oracle), at 10k and 100k only.

Passages are synthetic: words drawn with Zipf frequencies from the SciFact vocabulary (read
at run time from ../shared/eval, never stored), ~120 words each; queries are SciFact's 300.
Every measurement runs in a fresh subprocess, so peak memory (max RSS, worker processes
included) is per configuration. Columns:

- build s: passages (already in memory) → searchable index, tokenizing included
- peak MB: max resident memory of the process or of any of its worker processes
- p50/p95 ms: one query, k=100, tokenizing the query included
- cold open s / reopen s: `open_index` of a JSONL corpus in a new process, first (read +
  build + save) and again (the cached index: fingerprint + load), imports excluded
- refresh s: a FOLDER corpus (1,000 Markdown files × 100 passages at 100k) opened from its
  cache, then one file changed / added / deleted: `refresh_index(persist=False)` seconds
  each, against `open_index`'s full build of the same folder; persist s: writing the
  refreshed cache entry afterwards
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import SCIFACT, percentile, queries, synthetic_passages, write_jsonl

K = 100


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _passages(n: int):
    from rerank_tui.corpus.passage import Passage

    docs = synthetic_passages(n)
    passages = [Passage(d["id"], d["id"], d["title"], d["text"]) for d in docs]
    del docs
    return passages


def _time_queries(run, max_queries: int) -> dict:
    qs = queries()[:max_queries]
    run(qs[0])  # warm-up
    times = []
    for q in qs:
        t = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": percentile(times, 0.5), "p95_ms": percentile(times, 0.95), "queries": len(qs)}


def worker_search(engine: str, n: int, max_queries: int) -> dict:
    from rerank_tui.recall.index import Index

    passages = _passages(n)
    started = time.perf_counter()
    index = Index.build(passages, engine=engine)
    build = time.perf_counter() - started
    timed = _time_queries(lambda q: index.search(q, K), max_queries)
    return {"build_s": build, **timed, "peak_mb": _peak_mb()}


def worker_bm25s(n: int, max_queries: int) -> dict:
    import bm25s

    from rerank_tui.recall.index import index_text
    from rerank_tui.recall.tokenize import Tokenizer

    passages = _passages(n)
    tok = Tokenizer()
    started = time.perf_counter()
    tokens = [tok.tokenize(index_text(p)) for p in passages]
    model = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    model.index(tokens, show_progress=False)
    build = time.perf_counter() - started
    del tokens

    def run(q: str):
        return model.retrieve([tok.tokenize(q)], k=K, show_progress=False, n_threads=0)

    return {"build_s": build, **_time_queries(run, max_queries), "peak_mb": _peak_mb()}


def worker_tantivy(n: int, max_queries: int) -> dict:
    import tantivy

    passages = _passages(n)
    with tempfile.TemporaryDirectory() as tmp:
        schema = tantivy.SchemaBuilder()
        schema.add_text_field("id", stored=True, tokenizer_name="raw")
        schema.add_text_field("text", stored=False, tokenizer_name="en_stem")
        index = tantivy.Index(schema.build(), path=tmp)
        started = time.perf_counter()
        writer = index.writer()  # default heap, threads chosen by tantivy
        for p in passages:
            writer.add_document(tantivy.Document(id=p.id, text=f"{p.title}\n{p.text}" if p.title else p.text))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        build = time.perf_counter() - started
        searcher = index.searcher()

        def run(q: str):
            query, _errors = index.parse_query_lenient(q, ["text"])
            return searcher.search(query, K).hits

        timed = _time_queries(run, max_queries)
    return {"build_s": build, **timed, "peak_mb": _peak_mb()}


def worker_reopen(corpus: str) -> dict:
    from rerank_tui.recall import open_index

    started = time.perf_counter()
    opened = open_index(corpus)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "built": opened.built, "passages": len(opened.index), "peak_mb": _peak_mb()}


def write_folder(root: Path, n: int, files: int) -> None:
    docs = synthetic_passages(n)
    per = n // files
    for f in range(files):
        sections = [f"## {d['id']}\n\n{d['text']}\n" for d in docs[f * per : (f + 1) * per]]
        (root / f"f{f:05d}.md").write_text("\n".join(sections), encoding="utf-8")


def _touch(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def worker_refresh(folder: str) -> dict:
    from rerank_tui.recall import open_index
    from rerank_tui.recall.refresh import persist_refresh, refresh_index

    root = Path(folder)
    started = time.perf_counter()
    cold = open_index(root)
    full = time.perf_counter() - started
    assert cold.built
    opened = open_index(root)  # from the cache, as the app holds it
    assert not opened.built
    out: dict = {"full_s": full, "passages": len(opened.index)}
    first = sorted(root.iterdir())[0]
    text = first.read_text(encoding="utf-8")
    steps = {
        "changed": lambda: _touch(first, text.replace("##", "## changed", 1) + "\n## extra\n\nzebra notes\n"),
        "added": lambda: _touch(root / "zz-new.md", text),
        "deleted": lambda: (root / "zz-new.md").unlink(),
    }
    for name, change in steps.items():
        change()
        result = refresh_index(opened, persist=False)
        assert result.changed and not result.full_rebuild, result
        out[f"{name}_s"] = result.seconds
        out[f"{name}_persist_s"] = persist_refresh(result)
        opened = result.opened
    out["peak_mb"] = _peak_mb()
    return out


def run_worker(*args: str, env: dict | None = None) -> dict | None:
    done = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        print(f"worker {' '.join(args)} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _dispatch(kind: str, rest: list[str]) -> dict:
    if kind == "search":
        return worker_search(rest[0], int(rest[1]), int(rest[2]))
    if kind == "bm25s":
        return worker_bm25s(int(rest[0]), int(rest[1]))
    if kind == "tantivy":
        return worker_tantivy(int(rest[0]), int(rest[1]))
    if kind == "refresh":
        return worker_refresh(rest[0])
    return worker_reopen(rest[0])


def _has_tantivy() -> bool:
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--million", action="store_true", help="also 1M passages (this project only)")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated corpus sizes (default 10k, 100k)")
    parser.add_argument("--no-refresh", action="store_true", help="skip the incremental-update row")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        print(json.dumps(_dispatch(kind, rest)))
        return
    if not (SCIFACT / "docs.jsonl").exists():
        sys.exit(f"needs the shared SciFact collection at {SCIFACT}")

    sizes = [int(s) for s in args.sizes.split(",") if s] + ([1_000_000] if args.million else [])
    tantivy = _has_tantivy()
    table: list[tuple] = []  # (n, engine, build, peak, p50, p95, cold, reopen)
    refresh = None
    for n in sizes:
        ours = run_worker("search", "bm25s", str(n), "300")
        peers = []
        if n <= 100_000:
            peers.append(("bm25s lib", run_worker("bm25s", str(n), "300")))
            if tantivy:
                peers.append(("tantivy", run_worker("tantivy", str(n), "300")))
            peers.append(("rank-bm25", run_worker("search", "rank-bm25", str(n), "300" if n <= 10_000 else "30")))
        with tempfile.TemporaryDirectory() as tmp:
            corpus = write_jsonl(Path(tmp) / "corpus.jsonl", n)
            env = os.environ | {"RERANK_TUI_CACHE_DIR": str(Path(tmp) / "cache")}
            cold = run_worker("reopen", str(corpus), env=env)
            warm = run_worker("reopen", str(corpus), env=env)
        table.append((n, "ours", ours, cold, warm))
        table.extend((n, name, peer, None, None) for name, peer in peers)
        if n == 100_000 and not args.no_refresh:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp) / "docs"
                folder.mkdir()
                write_folder(folder, n, 1000)
                env = os.environ | {"RERANK_TUI_CACHE_DIR": str(Path(tmp) / "cache")}
                refresh = run_worker("refresh", str(folder), env=env)

    def f(d, key, fmt):
        return format(d[key], fmt) if d else "-"

    header = (
        f"{'passages':>9} | {'engine':<9} | {'build s':>7} | {'vs ours':>7} | {'peak MB':>7} | {'p50 ms':>7} | "
        f"{'p95 ms':>7} | {'vs ours':>7} | {'cold open s':>11} | {'reopen s':>8}"
    )
    print(header)
    print("-" * len(header))
    ours_by_n = {n: r for n, name, r, _, _ in table if name == "ours"}
    for n, name, r, cold, warm in table:
        base = ours_by_n.get(n)
        build_ratio = f"{r['build_s'] / base['build_s']:.2f}x" if r and base and name != "ours" else ""
        p50_ratio = f"{r['p50_ms'] / base['p50_ms']:.2f}x" if r and base and name != "ours" else ""
        print(
            f"{n:>9,} | {name:<9} | {f(r, 'build_s', '>7.2f')} | {build_ratio:>7} | {f(r, 'peak_mb', '>7.0f')} | "
            f"{f(r, 'p50_ms', '>7.2f')} | {f(r, 'p95_ms', '>7.2f')} | {p50_ratio:>7} | "
            f"{f(cold, 'seconds', '>11.2f') if cold else '':>11} | {f(warm, 'seconds', '>8.2f') if warm else '':>8}"
        )
    if refresh:
        print(
            f"\nincremental refresh, {refresh['passages']:,}-passage folder of 1,000 files (full build by open_index: "
            f"{refresh['full_s']:.2f} s): one file changed {refresh['changed_s']:.2f} s, added {refresh['added_s']:.2f} s, "
            f"deleted {refresh['deleted_s']:.2f} s; persisting each afterwards {refresh['changed_persist_s']:.2f} / "
            f"{refresh['added_persist_s']:.2f} / {refresh['deleted_persist_s']:.2f} s; peak {refresh['peak_mb']:.0f} MB"
        )
    print(
        f"\nqueries: SciFact's 300 (rank-bm25 at 100k: the first 30); k={K}; 'vs ours' = peer / ours (> 1: ours is faster)."
        "\ntargets: 100k build <= tantivy's; 100k p50 <= bm25s lib's; refresh of one file at 100k <= 1 s;"
        "\n         1M: build <= 120 s, p50 <= 10 ms, peak <= 4096 MB, reopen <= 1 s"
        + ("" if tantivy else "\n(tantivy not installed: `pip install -e .[bench]` adds its row)")
    )


if __name__ == "__main__":
    main()
