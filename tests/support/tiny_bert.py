"""Build a tiny random-weight BERT in sentence-transformers folder layout, offline, in seconds.

The folder is what `SentenceTransformer.save()` writes for an all-MiniLM-style model, in the
classic layout most hub models still carry (and which every sentence-transformers ≥ 3 reads):
`modules.json` (Transformer → Pooling → Normalize), `sentence_bert_config.json`,
`1_Pooling/config.json` (mean pooling), `2_Normalize/`, `config_sentence_transformers.json`
(prompts), and the checkpoint itself: `config.json`, `model.safetensors`, a WordPiece
`vocab.txt` written here (whole words plus single letters and `##` letters, so any ASCII
text tokenizes without [UNK]) and the fast tokenizer's files. Used by the embedding tests:

    python tests/support/tiny_bert.py OUT_DIR [--seed N] [--pooling mean|cls|lasttoken]
"""

from __future__ import annotations

import json
import string
from pathlib import Path

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

POOLING_KEYS = {
    "cls": "pooling_mode_cls_token",
    "mean": "pooling_mode_mean_tokens",
    "max": "pooling_mode_max_tokens",
    "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
    "weightedmean": "pooling_mode_weightedmean_tokens",
    "lasttoken": "pooling_mode_lasttoken",
}


def vocabulary() -> list[str]:
    """Special tokens, whole words, then every character alone and as a `##` continuation."""
    from tests.support.tiny_qwen3 import WORDS

    chars = string.ascii_lowercase + string.digits + string.punctuation
    words = list(dict.fromkeys(w.lower() for w in WORDS))
    return SPECIAL + words + list(chars) + [f"##{c}" for c in chars] + ["##s", "##ing", "##ed", "##er"]


def write_st_files(
    out: Path,
    dims: int,
    *,
    pooling: str = "mean",
    normalize: bool = True,
    max_seq_length: int = 256,
    prompts: dict[str, str] | None = None,
) -> None:
    """The sentence-transformers files beside a checkpoint, as `SentenceTransformer.save` writes
    them in the classic layout (`sentence_transformers.models.*` module names)."""
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "modules.json").write_text(json.dumps(modules, indent=2))
    (out / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_seq_length, "do_lower_case": False}))
    (out / "1_Pooling").mkdir(exist_ok=True)
    pool = {"word_embedding_dimension": dims} | {key: mode == pooling for mode, key in POOLING_KEYS.items()}
    (out / "1_Pooling" / "config.json").write_text(json.dumps(pool | {"include_prompt": True}, indent=2))
    (out / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": prompts or {}, "default_prompt_name": None, "similarity_fn_name": "cosine"}, indent=2)
    )


def build_tiny_bert(
    out_dir: str | Path,
    *,
    seed: int = 0,
    pooling: str = "mean",
    prompts: dict[str, str] | None = None,
    max_seq_length: int = 256,
) -> Path:
    """Write a random-weight `BertModel` (hidden 32, 2 layers, float32) with its WordPiece
    tokenizer and sentence-transformers files into `out_dir`."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vocab = out / "vocab.txt"
    vocab.write_text("\n".join(vocabulary()) + "\n", encoding="utf-8")
    import inspect

    # transformers 5 names the argument `vocab`, 4.x `vocab_file`
    arg = "vocab" if "vocab" in inspect.signature(BertTokenizerFast.__init__).parameters else "vocab_file"
    tokenizer = BertTokenizerFast(**{arg: str(vocab)}, do_lower_case=True, model_max_length=512)
    config = BertConfig(
        vocab_size=len(vocabulary()),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=512,
        initializer_range=0.2,
        pad_token_id=0,
    )
    torch.manual_seed(seed)
    BertModel(config).eval().save_pretrained(out)
    tokenizer.save_pretrained(out)
    write_st_files(out, config.hidden_size, pooling=pooling, prompts=prompts, max_seq_length=max_seq_length)
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pooling", default="mean", choices=sorted(POOLING_KEYS))
    args = parser.parse_args()
    print(build_tiny_bert(args.out_dir, seed=args.seed, pooling=args.pooling))
