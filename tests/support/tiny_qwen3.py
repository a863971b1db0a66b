"""Build a tiny random-weight Qwen3 "reranker" offline, in seconds.

The tokenizer is a byte-level BPE trained here on generated text, with "yes" and "no" as
single tokens and the chat special tokens as single ids, so the official Qwen3-Reranker
prompt and p(yes) scoring run unchanged. `initializer_range=0.2` spreads scores over
roughly 0.02-0.99, so ordering bugs show. Used by the tests and by bench/rerank.py:

    python tests/support/tiny_qwen3.py OUT_DIR [--seed N]
"""

from __future__ import annotations

import random
from pathlib import Path

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]

# Enough real words that prompts, queries and documents tokenize into a few tokens each.
WORDS = """
the of and to in is was for on that with as by at from it an be this are or which his her
their has have had not but were they one all can more its also been new first would when
who will most other into time some than these after only two may over such years used
city state world system data model search query document passage answer relevant judge
instruction requirements provided note assistant user system retrieve given web python
code function error install package version memory model training batch index score rank
river mountain history science music language water energy light cell protein gene study
result method paper table figure network learning neural vector token text file folder
pytorch dataloader worker thread process server client request response cache disk
""".split()


def pseudo_words(n: int, seed: int = 0) -> list[str]:
    """Pronounceable made-up words ("tobaku", "relin"): variety for the BPE merges."""
    rng = random.Random(seed)
    onsets, vowels, codas = "bdfgklmnprstvz", "aeiou", ["", "", "n", "r", "s", "t"]
    return [
        "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 3)))
        + rng.choice(codas)
        for _ in range(n)
    ]


def corpus_lines(n_lines: int = 6000, seed: int = 0) -> list[str]:
    """Generated training text: random word sequences plus the prompt's fixed phrases."""
    from rerank_tui.rerank.prompt import DEFAULT_INSTRUCTION, PREFIX, SUFFIX

    rng = random.Random(seed)
    vocabulary = WORDS + pseudo_words(3000, seed)
    lines = []
    for _ in range(n_lines):
        words = rng.choices(vocabulary, k=rng.randint(4, 16))
        if rng.random() < 0.3:
            words[rng.randrange(len(words))] = rng.choice(["yes", "no", "Yes", "No"])
        lines.append(" ".join(words) + rng.choice([".", "?", "!", ",", ":"]))
        if rng.random() < 0.05:
            lines.append(str(rng.randint(0, 10**6)))
    # "yes" and "no" at the start of a line: the exact tokens p(yes) reads.
    lines += ["yes", "no"] * 200
    lines += [PREFIX, SUFFIX, "<Instruct>: " + DEFAULT_INSTRUCTION, "<Query>: ", "<Document>: "] * 20
    return lines


def build_tokenizer(vocab_size: int = 3000, *, seed: int = 0, single_yes_no: bool = True):
    """A `PreTrainedTokenizerFast` (left padding) over a freshly trained byte-level BPE."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    lines = corpus_lines(seed=seed)
    if not single_yes_no:  # a vocabulary in which "yes"/"no" need several tokens
        lines = [ln for ln in lines if "yes" not in ln.lower() and "no" not in ln.lower()]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(lines, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        padding_side="left",
        pad_token="<|endoftext|>",
        eos_token="<|im_end|>",
        model_max_length=8192,
    )
    if single_yes_no:
        for word in ("yes", "no"):
            ids = fast.encode(word, add_special_tokens=False)
            assert len(ids) == 1, f"{word!r} is not a single token: {ids}"
    for special in SPECIAL_TOKENS:
        assert len(fast.encode(special, add_special_tokens=False)) == 1, special
    return fast


def build_tiny_qwen3(out_dir: str | Path, *, seed: int = 0, single_yes_no: bool = True) -> Path:
    """Write tokenizer + random-weight `Qwen3ForCausalLM` (float32, ~3 MB) into `out_dir`."""
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(seed=0, single_yes_no=single_yes_no)
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,  # the smallest head size vLLM's CPU attention supports
        max_position_embeddings=8192,
        initializer_range=0.2,
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        dtype="float32",
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(config).eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(build_tiny_qwen3(args.out_dir, seed=args.seed))
