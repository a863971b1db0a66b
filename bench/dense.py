"""Dense recall benchmark: the project's pipeline next to its floor or peer, in the same run.

    .venv/bin/python bench/dense.py            # the spec's sizes (about 10 minutes on 2 cores)
    .venv/bin/python bench/dense.py --quick    # small sizes, a minute or two
    .venv/bin/python bench/dense.py --ann-rows 500000 --ann-dims 768

Every case runs in a fresh subprocess (its own peak memory, no torch and faiss thread pools in
one process). One table, `case | ours | floor/peer | ratio | target | ok`:

- embed: `embed_corpus` (the vector store: hashing, length-sorted batches, chunk files, the
  memory-mapped matrix) against a bare `SentenceTransformer.encode` of the same texts with the
  same batch size on the same model object, alternating, median of `--rounds`. The model is a
  random-weight BERT of all-MiniLM-L6-v2's shape (6 layers, hidden 384), built offline into a
  temp folder (tests/support/tiny_bert.py's vocabulary and sentence-transformers files), so the
  model dominates as a real one does. Target: overhead <= 5%.
- exact: `DenseIndex.search(q, 100)` over the store's memory-mapped matrix against the bare
  floor `matrix @ q` + `argpartition` on an in-RAM array, interleaved query by query.
- approximate: `ApproximateIndex` (faiss IVF + SQ8, candidates re-scored exactly) read back
  from its file, against exact search over the same memory-mapped matrix; recall@100 against
  exact. Build and re-open times are shown.
- reopen: a new process opening a 100k-passage dense index whose every vector is stored
  (`embed_corpus` + `DenseRecall`, what starting the app or CLI costs the second time),
  against the floor `np.load(matrix.npy, mmap_mode="r")`. Median of 3 processes.

Vectors for the search cases are synthetic unit vectors with cluster structure (see
`clustered_unit_vectors`); their neighbour cosines are printed under the table. Queries are
new draws from the same distribution, not rows of the matrix.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rerank_tui.embed.base import BaseEmbedder  # noqa: E402 - light: numpy only

K = 100


# -- data --------------------------------------------------------------------------------------
def clustered_unit_vectors(n: int, dims: int, seed: int, *, clusters: int, noise: float = 0.5,
                           out: np.ndarray | None = None, chunk: int = 65_536) -> np.ndarray:
    """Unit vectors in `clusters` clusters of about 50 rows (so a top-100 spans several), 20
    clusters to a topic. A row is its cluster's centre plus variation along the cluster's own
    32-dimensional subspace (norm 0.8) plus isotropic noise (norm `noise`, 0.5: a low intrinsic
    dimension, as text embeddings have; the more noise, the more alike a query's top 100 and
    its next 1000 look, which is what makes any approximate index miss). Centres and subspaces depend only on `clusters` and
    `dims`, so `seed` draws new rows (queries) from the same distribution."""
    rank, pool = 32, 256
    r = np.random.default_rng(1234)
    topics = max(1, clusters // 20)
    tops = r.standard_normal((topics, dims), dtype=np.float32)
    tops /= np.linalg.norm(tops, axis=1, keepdims=True)
    centres = tops[np.arange(clusters) % topics] + r.standard_normal((clusters, dims), dtype=np.float32) * (0.8 / np.sqrt(dims))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    bases = r.standard_normal((pool, rank, dims), dtype=np.float32) / np.float32(np.sqrt(dims))
    rng = np.random.default_rng(seed)
    out = np.empty((n, dims), np.float32) if out is None else out
    for first in range(0, n, chunk):
        m = min(chunk, n - first)
        label = rng.integers(0, clusters, m)
        x = rng.standard_normal((m, dims), dtype=np.float32) * np.float32(noise / np.sqrt(dims))
        x += centres[label]
        z = rng.standard_normal((m, rank), dtype=np.float32) * np.float32(0.8 / np.sqrt(rank))
        basis = label % pool
        for b in np.unique(basis):
            rows = np.flatnonzero(basis == b)
            x[rows] += z[rows] @ bases[b]
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[first : first + m] = x
    return out


def unit_queries(n_queries: int, dims: int, clusters: int, noise: float = 0.5) -> np.ndarray:
    return clustered_unit_vectors(n_queries, dims, seed=99, clusters=clusters, noise=noise)


def exact_top(matrix: np.ndarray, queries: np.ndarray, k: int, block: int = 131_072) -> tuple[np.ndarray, np.ndarray]:
    """The exact top-k rows of each query (unordered) and the neighbour-cosine profile."""
    n = matrix.shape[0]
    best_rows = np.empty((len(queries), 0), np.int64)
    best_scores = np.empty((len(queries), 0), np.float32)
    thousandth = []
    for first in range(0, n, block):
        scores = queries @ np.asarray(matrix[first : first + block]).T
        rows = np.broadcast_to(np.arange(first, first + scores.shape[1]), scores.shape)
        s = np.concatenate([best_scores, scores], axis=1)
        r = np.concatenate([best_rows, rows], axis=1)
        keep = np.argpartition(-s, min(k, s.shape[1] - 1), axis=1)[:, :k]
        best_scores, best_rows = np.take_along_axis(s, keep, 1), np.take_along_axis(r, keep, 1)
    ordered = np.sort(best_scores, axis=1)[:, ::-1]
    profile = {"top1": float(ordered[:, 0].mean()), f"top{k}": float(ordered[:, k - 1].mean())}
    sample = np.asarray(matrix[: min(n, 100_000)])
    thousandth = np.sort(queries[:20] @ sample.T, axis=1)[:, -min(1000, sample.shape[0])]
    profile["1000th_of_100k"] = float(thousandth.mean())
    profile["mean"] = float((queries[:20] @ sample.T).mean())
    return best_rows, profile


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q * 100))


# -- case: corpus embedding --------------------------------------------------------------------
def build_bench_bert(out: Path, *, layers: int, hidden: int, heads: int, max_seq_length: int) -> Path:
    """A random-weight BERT with all-MiniLM's layout and the given size, in sentence-transformers
    folder layout, offline (the tests' vocabulary and sentence-transformers files)."""
    import inspect

    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from tests.support.tiny_bert import vocabulary, write_st_files

    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.txt").write_text("\n".join(vocabulary()) + "\n", encoding="utf-8")
    arg = "vocab" if "vocab" in inspect.signature(BertTokenizerFast.__init__).parameters else "vocab_file"
    tokenizer = BertTokenizerFast(**{arg: str(out / "vocab.txt")}, do_lower_case=True, model_max_length=512)
    config = BertConfig(vocab_size=len(vocabulary()), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=4 * hidden, max_position_embeddings=512,
                        pad_token_id=0)
    torch.manual_seed(0)
    BertModel(config).eval().save_pretrained(out)
    tokenizer.save_pretrained(out)
    write_st_files(out, hidden, pooling="mean", max_seq_length=max_seq_length)
    return out


def worker_embed(texts_n: int, batch: int, rounds: int) -> dict:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from rerank_tui.corpus.passage import Passage
    from rerank_tui.embed.st_backend import SentenceTransformerEmbedder
    from rerank_tui.embed.vectors import embed_corpus
    from tests.support.tiny_qwen3 import WORDS

    rng = random.Random(3)
    words = [w.lower() for w in WORDS]
    texts = [" ".join(rng.choices(words, k=rng.randint(60, 140))) for _ in range(texts_n)]
    passages = [Passage(id=f"p{i}", doc=f"p{i}", title="", text=t) for i, t in enumerate(texts)]
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_bench_bert(Path(tmp) / "bert", layers=6, hidden=384, heads=12, max_seq_length=256)
        embedder = SentenceTransformerEmbedder(str(model_dir), batch_size=batch, device="cpu")
        model = embedder.model

        def bare():
            return model.encode(texts, batch_size=batch, show_progress_bar=False, convert_to_numpy=True,
                                normalize_embeddings=True)

        def ours(root):
            return embed_corpus(passages, embedder, corpus="bench", root=root, batch_size=batch)

        model.encode(texts[:batch], batch_size=batch, show_progress_bar=False)  # warm-up
        embedder.embed_documents(texts[:batch])
        ours_s, bare_s = [], []
        for r in range(rounds):
            for side in ("ours", "bare") if r % 2 == 0 else ("bare", "ours"):
                t = time.perf_counter()
                if side == "ours":
                    vectors = ours(Path(tmp) / f"store{r}")
                    assert vectors.embedded == texts_n
                    ours_s.append(time.perf_counter() - t)
                    got = np.asarray(vectors.matrix)
                else:
                    want = bare()
                    bare_s.append(time.perf_counter() - t)
        agree = float(np.min(np.sum(got * want, axis=1)))
        tokens = vectors.stats.tokens
    return {"ours_s": ours_s, "bare_s": bare_s, "agree": agree, "tokens": tokens, "threads": _torch_threads(),
            "peak_mb": peak_mb()}


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


# -- case: exact search ------------------------------------------------------------------------
def worker_exact(n: int, dims: int, n_queries: int) -> dict:
    from rerank_tui.recall.dense import DenseIndex

    clusters = max(1, n // 50)
    matrix = clustered_unit_vectors(n, dims, seed=0, clusters=clusters)
    queries = unit_queries(n_queries, dims, clusters)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "matrix.npy", matrix)
        mapped = np.load(Path(tmp) / "matrix.npy", mmap_mode="r")
        index = DenseIndex(mapped)

        def floor(q):
            s = matrix @ q
            return np.argpartition(-s, K - 1)[:K]

        for q in queries[:10]:  # warm-up: page cache, BLAS threads
            index.search(q, K), floor(q)
        ours_ms, floor_ms = [], []
        for i, q in enumerate(queries):
            for side in ("ours", "floor") if i % 2 == 0 else ("floor", "ours"):
                t = time.perf_counter()
                index.search(q, K) if side == "ours" else floor(q)
                (ours_ms if side == "ours" else floor_ms).append((time.perf_counter() - t) * 1000)
        same = all(
            sorted(r for r, _ in index.search(q, K)) == sorted(floor(q).tolist()) for q in queries[:20]
        )
    return {"ours_ms": ours_ms, "floor_ms": floor_ms, "same": same, "peak_mb": peak_mb()}


# -- case: approximate search ------------------------------------------------------------------
def worker_ann(n: int, dims: int, n_queries: int, exact_queries: int, noise: float, nprobe: int) -> dict:
    import faiss

    from rerank_tui.recall.approximate import ApproximateIndex
    from rerank_tui.recall.dense import DenseIndex

    clusters = max(1, n // 50)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        started = time.perf_counter()
        out = np.lib.format.open_memmap(Path(tmp) / "matrix.npy", mode="w+", dtype=np.float32, shape=(n, dims))
        clustered_unit_vectors(n, dims, seed=0, clusters=clusters, noise=noise, out=out)
        out.flush()
        del out
        generate_s = time.perf_counter() - started
        mapped = np.load(Path(tmp) / "matrix.npy", mmap_mode="r")
        queries = unit_queries(n_queries, dims, clusters, noise)
        truth, profile = exact_top(mapped, queries, K)

        t = time.perf_counter()
        built = ApproximateIndex.build(mapped)
        build_s = time.perf_counter() - t
        path = Path(tmp) / "index.faiss"
        with open(path, "wb") as f:
            built.write(f)
        nlist = built.nlist
        del built
        t = time.perf_counter()
        index = ApproximateIndex.read(path, mapped, **({"nprobe": nprobe} if nprobe else {}))
        reopen_s = time.perf_counter() - t

        for q in queries[:10]:
            index.search(q, K)
        ann_ms, recall = [], []
        for q, want in zip(queries, truth):
            t = time.perf_counter()
            got = index.search(q, K)
            ann_ms.append((time.perf_counter() - t) * 1000)
            recall.append(len({r for r, _ in got} & set(want.tolist())) / K)
            rows = [r for r, _ in got]
            assert np.allclose([s for _, s in got], np.asarray(mapped[rows]) @ q, atol=1e-5)  # exact scores
        exact = DenseIndex(mapped)
        exact.search(queries[0], K)
        exact_ms = []
        for q in queries[:exact_queries]:
            t = time.perf_counter()
            exact.search(q, K)
            exact_ms.append((time.perf_counter() - t) * 1000)
        size_mb = path.stat().st_size / 2**20
    return {"ann_ms": ann_ms, "exact_ms": exact_ms, "recall": recall, "build_s": build_s, "reopen_s": reopen_s,
            "generate_s": generate_s, "nlist": nlist, "nprobe": index.nprobe, "noise": noise, "candidates": index.candidates(K),
            "size_mb": size_mb, "profile": profile, "peak_mb": peak_mb(), "faiss": faiss.__version__}


# -- case: warm re-open ------------------------------------------------------------------------
class RandomEmbedder(BaseEmbedder):
    """Stands in for a model when only the store is measured: seeded random vectors."""

    identity, max_length, pooling, device = "bench:random", 512, "mean", "cpu"

    def __init__(self, dims: int):
        super().__init__()
        self.dims = dims
        self.batch_size = 1024
        self.rng = np.random.default_rng(0)

    def _embed_batch(self, texts, prompt, kind):
        return self.rng.standard_normal((len(texts), self.dims), dtype=np.float32), None


def read_passages(path: Path):
    from rerank_tui.corpus.passage import Passage

    with open(path, encoding="utf-8") as fh:
        return [Passage(d["id"], d["id"], d["title"], d["text"]) for d in map(json.loads, fh)]


def worker_fill(corpus: str, dims: int, root: str) -> dict:
    from rerank_tui.embed.vectors import embed_corpus

    passages = read_passages(Path(corpus))
    t = time.perf_counter()
    vectors = embed_corpus(passages, RandomEmbedder(dims), corpus="bench-reopen", root=root)
    return {"seconds": time.perf_counter() - t, "embedded": vectors.embedded, "location": str(vectors.location)}


def worker_reopen(corpus: str, dims: int, root: str) -> dict:
    import filelock  # noqa: F401 - imports are not what a reopen costs

    from rerank_tui.embed.search import DenseRecall
    from rerank_tui.embed.vectors import embed_corpus

    passages = read_passages(Path(corpus))
    embedder = RandomEmbedder(dims)
    t = time.perf_counter()
    vectors = embed_corpus(passages, embedder, corpus="bench-reopen", root=root)
    dense = DenseRecall(embedder, passages, vectors)
    seconds = time.perf_counter() - t
    assert vectors.embedded == 0 and len(dense) == len(passages)
    t = time.perf_counter()
    np.load(Path(vectors.location) / "matrix.npy", mmap_mode="r")
    floor = time.perf_counter() - t
    return {"seconds": seconds, "floor": floor}


def write_corpus(path: Path, n: int) -> Path:
    try:
        from synthetic import SCIFACT, synthetic_passages

        if not (SCIFACT / "docs.jsonl").exists():
            raise FileNotFoundError(SCIFACT)
        docs = synthetic_passages(n)
    except (ImportError, OSError):  # no SciFact here: words from the tests' vocabulary
        from tests.support.tiny_qwen3 import WORDS

        rng = random.Random(7)
        docs = [{"id": f"p{i}", "title": "", "text": " ".join(rng.choices(WORDS, k=120))} for i in range(n)]
    with open(path, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d) + "\n")
    return path


# -- driver ------------------------------------------------------------------------------------
def run_worker(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", *map(str, args)], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"worker {args[0]} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


WORKERS = {"embed": (worker_embed, (int, int, int)), "exact": (worker_exact, (int, int, int)),
           "ann": (worker_ann, (int, int, int, int, float, int)), "fill": (worker_fill, (str, int, str)),
           "reopen": (worker_reopen, (str, int, str))}


def machine() -> str:
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB RAM, Python {platform.python_version()}, numpy {np.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a minute or two")
    parser.add_argument("--texts", type=int, help="texts embedded (default 1000, quick 200)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, help="embedding rounds per side (default 3, quick 2)")
    parser.add_argument("--exact-rows", type=int, help="rows for exact search (default 100000)")
    parser.add_argument("--exact-dims", type=int, default=384)
    parser.add_argument("--ann-rows", type=int, help="rows for the approximate index (default 1000000, quick 100000)")
    parser.add_argument("--ann-dims", type=int, default=1024)
    parser.add_argument("--ann-noise", type=float, default=0.5, help="isotropic noise of the synthetic vectors (harder: 1.0)")
    parser.add_argument("--nprobe", type=int, default=0, help="lists a query scans (default: the index's own)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reopen-rows", type=int, help="passages for the warm re-open (default 100000)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["embed", "exact", "ann", "reopen"])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        fn, types = WORKERS[args.worker[0]]
        print(json.dumps(fn(*(t(v) for t, v in zip(types, args.worker[1:])))))
        return

    quick = args.quick
    texts = args.texts or (200 if quick else 1000)
    rounds = args.rounds or (2 if quick else 3)
    exact_rows = args.exact_rows or (20_000 if quick else 100_000)
    ann_rows = args.ann_rows or (100_000 if quick else 1_000_000)
    reopen_rows = args.reopen_rows or (20_000 if quick else 100_000)
    print(f"machine: {machine()}")
    print(f"sizes: embed {texts} texts × batch {args.batch_size} × {rounds} rounds; exact {exact_rows:,} × {args.exact_dims}; "
          f"approximate {ann_rows:,} × {args.ann_dims}; reopen {reopen_rows:,} passages; {args.queries} queries, k={K}", flush=True)

    rows = []  # (case, ours, floor, ratio, target, ok)
    notes = []
    if "embed" not in args.skip:
        e = run_worker("embed", texts, args.batch_size, rounds)
        ours, bare = statistics.median(e["ours_s"]), statistics.median(e["bare_s"])
        over = ours / bare - 1
        rows.append((f"embed {texts} texts, batch {args.batch_size}: texts/s", f"{texts / ours:.1f}", f"{texts / bare:.1f}",
                     f"{over:+.1%} time", "overhead <= 5%", over <= 0.05))
        notes.append(f"embed: random-weight BERT 6 layers × 384 (all-MiniLM-L6-v2's shape), CPU, {e['threads']} torch threads, "
                     f"{e['tokens']:,} tokens; seconds ours {['%.2f' % s for s in e['ours_s']]}, bare {['%.2f' % s for s in e['bare_s']]}; "
                     f"min cosine ours vs bare {e['agree']:.6f}")
    if "exact" not in args.skip:
        x = run_worker("exact", exact_rows, args.exact_dims, args.queries)
        size = f"{exact_rows // 1000}k × {args.exact_dims}"
        for q, name in ((0.5, "p50"), (0.95, "p95")):
            ours, floor = pct(x["ours_ms"], q), pct(x["floor_ms"], q)
            rows.append((f"exact search {size}: {name} ms", f"{ours:.2f}", f"{floor:.2f}", f"{ours / floor:.2f}x",
                         "<= 5 ms" if name == "p50" else "-", ours <= 5 if name == "p50" else None))
        notes.append(f"exact: ours = DenseIndex over the memory-mapped matrix (sorted top {K}); floor = in-RAM matrix @ q "
                     f"+ argpartition (unsorted); same rows: {x['same']}")
    if "ann" not in args.skip:
        a = run_worker("ann", ann_rows, args.ann_dims, args.queries, 10 if quick else 20, args.ann_noise, args.nprobe)
        size = f"{ann_rows / 1e6:g}M × {args.ann_dims}" if ann_rows >= 1e6 else f"{ann_rows // 1000}k × {args.ann_dims}"
        for q, name in ((0.5, "p50"), (0.95, "p95")):
            ours = pct(a["ann_ms"], q)
            rows.append((f"approximate {size}: {name} ms", f"{ours:.2f}", f"{pct(a['exact_ms'], q):.1f} exact",
                         f"{pct(a['exact_ms'], q) / ours:.0f}x faster", "<= 20 ms" if name == "p50" else "-",
                         ours <= 20 if name == "p50" else None))
        recall = float(np.mean(a["recall"]))
        rows.append((f"approximate {size}: recall@{K}", f"{recall:.4f}", "1 exact", f"min {min(a['recall']):.2f}",
                     ">= 0.98", recall >= 0.98))
        rows.append((f"approximate {size}: build s", f"{a['build_s']:.1f}", "-", "-", "-", None))
        rows.append((f"approximate {size}: re-open s", f"{a['reopen_s']:.3f}", f"{a['build_s']:.1f} build",
                     f"{a['build_s'] / max(a['reopen_s'], 1e-9):.0f}x", "-", None))
        p = a["profile"]
        notes.append(f"approximate: faiss {a['faiss']} IVF{a['nlist']},SQ8 ({a['size_mb']:.0f} MiB file, memory-mapped), "
                     f"nprobe {a['nprobe']}, {a['candidates']} candidates re-scored exactly; noise {a['noise']:g}; exact p50 over "
                     f"{len(a['exact_ms'])} queries; vectors generated in {a['generate_s']:.0f} s; peak {a['peak_mb']:.0f} MB; "
                     f"neighbour cosines: top-1 {p['top1']:.2f}, top-{K} {p['top' + str(K)]:.2f}, "
                     f"1000th of the first 100k {p['1000th_of_100k']:.2f}, mean {p['mean']:.3f}")
    if "reopen" not in args.skip:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = write_corpus(Path(tmp) / "corpus.jsonl", reopen_rows)
            fill = run_worker("fill", corpus, 384, Path(tmp) / "cache")
            runs = [run_worker("reopen", corpus, 384, Path(tmp) / "cache") for _ in range(3)]
        ours = statistics.median(r["seconds"] for r in runs)
        floor = statistics.median(r["floor"] for r in runs)
        rows.append((f"warm re-open {reopen_rows // 1000}k passages: s", f"{ours:.3f}", f"{floor * 1000:.2f} ms",
                     f"{ours / floor:.0f}x", "<= 0.5 s", ours <= 0.5))
        notes.append(f"reopen: embed_corpus + DenseRecall in a new process, every vector stored (first fill took "
                     f"{fill['seconds']:.1f} s); floor = np.load(matrix.npy, mmap_mode='r'); runs {['%.3f' % r['seconds'] for r in runs]}")

    header = ("case", "ours", "floor/peer", "ratio", "target", "ok")
    cells = [header] + [(c, o, f, r, t, "-" if ok is None else ("yes" if ok else "NO")) for c, o, f, r, t, ok in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print()
    for i, row in enumerate(cells):
        print(" | ".join(cell.ljust(w) if j == 0 else cell.rjust(w) for j, (cell, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("-+-".join("-" * w for w in widths))
    print()
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
