"""A tiny random-weight Qwen3 laid out like Qwen/Qwen3-Embedding-*, built offline in seconds.

Like the real folders: a `Qwen3Model` (no LM head) with a byte-level BPE tokenizer that pads on
the left and appends `<|endoftext|>` to every text (the token last-token pooling reads), and
the sentence-transformers files: last-token pooling, Normalize, and the query prompt
`Instruct: Given a web search query, retrieve relevant passages that answer the query\\nQuery:`.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.tiny_bert import write_st_files
from tests.support.tiny_qwen3 import build_tokenizer

QUERY_PROMPT = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"


def build_tiny_qwen3_embedding(
    out_dir: str | Path, *, seed: int = 0, max_seq_length: int = 512, query_prompt: str = QUERY_PROMPT
) -> Path:
    """Write the model into `out_dir`; `query_prompt` is the saved query prompt (another task
    makes a folder whose default instruction is not the library's default)."""
    import torch
    from tokenizers import processors
    from transformers import Qwen3Config, Qwen3Model

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(seed=0)
    eos = "<|endoftext|>"
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"$A:0 {eos}:0", pair=f"$A:0 {eos}:0 $B:1 {eos}:1", special_tokens=[(eos, tokenizer.convert_tokens_to_ids(eos))]
    )
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,
        max_position_embeddings=8192,
        initializer_range=0.2,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.convert_tokens_to_ids(eos),
        bos_token_id=None,
        dtype="float32",
    )
    torch.manual_seed(seed)
    Qwen3Model(config).eval().save_pretrained(out)
    tokenizer.save_pretrained(out)
    settings = out / "tokenizer_config.json"
    data = json.loads(settings.read_text())
    data["padding_side"] = "left"
    settings.write_text(json.dumps(data, indent=2))
    write_st_files(
        out, config.hidden_size, pooling="lasttoken", max_seq_length=max_seq_length,
        prompts={"query": query_prompt, "document": ""},
    )
    return out
