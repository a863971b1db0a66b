"""Judge throughput and the project's overhead over a bare forward pass, in one table.

    .venv/bin/python bench/judge.py                       # random-weight Qwen3 (hidden 256, 4 layers), CPU
    python bench/judge.py --model Qwen/Qwen3-8B --passages 500 --device cuda   # a real judge, on a GPU

Rows, measured interleaved in the same run (`--repeats` rounds, medians):

- judge: `TransformersJudge.judge(query, passages)`: prompt rendering, chat formatting,
  tokenization, length-sorted batching, left padding, the forward pass and the grade
  distributions;
- bare forward: the same model on the same prompts already tokenized, padded and batched
  beforehand (same batches, same padding, `logits_to_keep=1`): the forward passes alone;
- judge_pools: the whole product path of `rerank-tui judge` and f6 — the passages split into
  query pools of `--pool`, each judged (`session.judge_pool.judge_pools`: cache lookup, the
  judge, the suggestions appended and fsynced query by query into a fresh suggestions.jsonl),
  against a bare forward pass of the same per-pool batches.

overhead = median over rounds of judge time / bare time − 1; PASS when ≤ 5%. On a shared
machine the rounds are noisy, so the pipeline's own work before the model (render, chat
format, tokenize: `prep`) is also timed directly, as a second, steadier estimate of the
overhead (prep / bare). Without
`--model` the model is a random-weight Qwen3 built offline in a temp folder with the tests'
tokenizer, sized so the forward pass dominates as it does for a real model on a GPU (its
grades mean nothing). No timed asserts: the table is the result.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rerank_tui.judge.transformers_judge import TransformersJudge  # noqa: E402
from rerank_tui.rerank.checkpoint import resolve  # noqa: E402
from tests.support.tiny_qwen3 import WORDS, build_tokenizer, pseudo_words  # noqa: E402

TARGET = 0.05


def build_model(out: Path, hidden: int, layers: int) -> Path:
    """A random-weight Qwen3ForCausalLM with the tests' 3000-token tokenizer."""
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    tokenizer = build_tokenizer()
    config = Qwen3Config(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=3 * hidden, num_hidden_layers=layers,
        num_attention_heads=hidden // 64, num_key_value_heads=max(1, hidden // 128), head_dim=64,
        max_position_embeddings=8192, initializer_range=0.05, tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, bos_token_id=None, dtype="float32",
    )
    torch.manual_seed(0)
    Qwen3ForCausalLM(config).eval().save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def make_passages(n: int, seed: int = 0) -> tuple[str, list[str]]:
    rng = random.Random(seed)
    vocabulary = WORDS + pseudo_words(500, seed=7)
    query = " ".join(rng.choices(vocabulary, k=6))
    return query, [" ".join(rng.choices(vocabulary, k=rng.randint(30, 120))) for _ in range(n)]


def bare_batches(judge: TransformersJudge, query: str, passages: list[str]):
    """The judge's own batches, tokenized and padded beforehand (untimed)."""
    torch = judge._torch
    encoded = judge.encode(judge.messages(query, passages))
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]), reverse=True)
    batches = []
    for start in range(0, len(order), judge.batch_size):
        rows = [encoded[i] for i in order[start : start + judge.batch_size]]
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), judge.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for j, r in enumerate(rows):
            ids[j, width - len(r) :] = torch.tensor(r, dtype=torch.long)
            mask[j, width - len(r) :] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        batches.append(tuple(t.to(judge._device) for t in (ids, mask, positions)))
    tokens = sum(len(e) for e in encoded)

    def run():
        with torch.inference_mode():
            for ids, mask, positions in batches:
                judge.model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=1).logits[:, -1, :].float().cpu()

    return run, tokens


def pool_rows(judge: TransformersJudge, query: str, passages: list[str], pool: int, folder: Path):
    """(the product's judge_pools over pools of `pool` passages, a bare forward of the same pools)."""
    from rerank_tui.session.judge_pool import judge_pools
    from rerank_tui.session.suggestions import SuggestionStore

    pools = [(f"{query} {i}", [(f"d{i}-{j}#1", p) for j, p in enumerate(passages[start : start + pool])])
             for i, start in enumerate(range(0, len(passages), pool))]
    bares = [bare_batches(judge, q, [t for _, t in docs])[0] for q, docs in pools]
    rounds = [0]

    def pipeline():
        rounds[0] += 1
        store = SuggestionStore.load(folder / f"suggestions-{rounds[0]}.jsonl")  # nothing cached: every pair judged
        stats = judge_pools(judge, judge.prompt.sha1, pools, {}, store, total_queries=len(pools))
        assert stats.judged == len(passages), stats

    def bare():
        for run in bares:
            run()

    return pipeline, bare, len(pools)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="hub id or folder (default: a random-weight Qwen3 built here)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--passages", type=int, default=240)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default=None)
    parser.add_argument("--pool", type=int, default=10, help="passages per query pool for the judge_pools rows (0: skip them)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 is steadier on a shared machine)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="judge-bench-") as tmp:
        model = args.model or str(build_model(Path(tmp) / "qwen3-random", args.hidden, args.layers))
        judge = TransformersJudge(resolve(model), grades=(0, 1, 2, 3), device=args.device, batch_size=args.batch_size)
        query, passages = make_passages(args.passages)
        bare, tokens = bare_batches(judge, query, passages)
        pipeline = lambda: judge.judge(query, passages)  # noqa: E731 - the product's call
        pipeline(), bare()  # warm-up: allocator, kernels
        prep = lambda: judge.encode(judge.messages(query, passages))  # noqa: E731 - the pipeline's own work before the model
        runs = {"judge": pipeline, "bare": bare}
        n_pools = 0
        if args.pool > 0:
            runs["pools"], runs["pools_bare"], n_pools = pool_rows(judge, query, passages, args.pool, Path(tmp))
            runs["pools"](), runs["pools_bare"]()
        times: dict[str, list[float]] = {name: [] for name in [*runs, "prep"]}
        for i in range(args.repeats):
            names = list(runs) if i % 2 == 0 else list(reversed(runs))  # alternate the order
            for name in names:
                times[name].append(timed(runs[name]))
            times["prep"].append(timed(prep))
            print(f"round {i + 1}: " + ", ".join(f"{n} {times[n][-1]:.3f} s" for n in runs), file=sys.stderr, flush=True)
        judge.close()
    overhead = statistics.median(j / b for j, b in zip(times["judge"], times["bare"])) - 1
    label = model if args.model else f"random Qwen3 h{args.hidden} L{args.layers}"
    threads = f" · {args.threads} thread(s)" if args.threads else ""
    print(f"model: {label} · {args.passages} passages · {tokens} prompt tokens · batch {args.batch_size} · {judge.device}{threads} · {args.repeats} rounds")
    header = f"{'path':<14} | {'judgments/s':>11} | {'median s':>8} | {'tokens/s':>9}"
    print(header)
    print("-" * len(header))
    rows = [("judge", "judge()"), ("bare", "bare forward")]
    if n_pools:
        rows += [("pools", "judge_pools"), ("pools_bare", "bare (pools)")]
    for name, title in rows:
        median = statistics.median(times[name])
        print(f"{title:<14} | {args.passages / median:>11.1f} | {median:>8.3f} | {tokens / median:>9.0f}")
    prep_share = statistics.median(times["prep"]) / statistics.median(times["bare"])
    print(f"{'prep only':<14} | {'':>11} | {statistics.median(times['prep']):>8.3f} | {'':>9}   (render + chat format + tokenize, timed alone)")
    print(f"overhead (median of per-round judge/bare − 1): {overhead:+.1%}  {'PASS' if overhead <= TARGET else 'FAIL'} (target ≤ {TARGET:.0%})")
    print(f"prep / bare: {prep_share:+.1%}  {'PASS' if prep_share <= TARGET else 'FAIL'}")
    if n_pools:
        pools_overhead = statistics.median(j / b for j, b in zip(times["pools"], times["pools_bare"])) - 1
        print(f"judge_pools ({n_pools} pools of {args.pool}, suggestions saved) over its bare forward: {pools_overhead:+.1%}  "
              f"{'PASS' if pools_overhead <= TARGET else 'FAIL'} (target ≤ {TARGET:.0%})")


if __name__ == "__main__":
    main()
