"""Read a sentence-transformers model folder's settings with json alone (no heavy import).

The HTTP backend uses this to embed exactly as the in-process backend would when it has the
checkpoint's folder at hand: the same prompts, and, with the folder's `tokenizer.json`, the
same truncation. Both layouts are read: the classic one (`pooling_mode_mean_tokens: true`, ...)
most hub models carry, and sentence-transformers ≥ 5's (`pooling_mode: "mean"`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

_CLASSIC_POOLING = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}


@dataclass(frozen=True, slots=True)
class StSettings:
    """What a folder says; None (or empty) where it says nothing."""

    prompts: dict[str, str] = field(default_factory=dict)
    default_prompt_name: str | None = None
    pooling: str | None = None
    max_seq_length: int | None = None
    tokenizer_file: Path | None = None

    @property
    def query_prompt(self) -> str:
        fallback = self.prompts.get(self.default_prompt_name, "") if self.default_prompt_name else ""
        return self.prompts.get("query") or fallback

    @property
    def document_prompt(self) -> str:
        fallback = self.prompts.get(self.default_prompt_name, "") if self.default_prompt_name else ""
        return next((self.prompts[k] for k in ("document", "passage", "corpus") if self.prompts.get(k)), fallback)


def read_st_settings(folder: str | Path) -> StSettings:
    """The settings of a model folder; files that are missing or unreadable count as silent."""
    root = Path(folder).expanduser()
    config = _json(root / "config_sentence_transformers.json")
    prompts = config.get("prompts") if isinstance(config.get("prompts"), dict) else {}
    prompts = {str(k): str(v) for k, v in prompts.items() if isinstance(v, str)}
    default = config.get("default_prompt_name") if isinstance(config.get("default_prompt_name"), str) else None
    bert = _json(root / "sentence_bert_config.json")
    length = bert.get("max_seq_length")
    if not (isinstance(length, int) and length > 0):  # sentence-transformers >= 5 keeps it with the tokenizer
        limit = _json(root / "tokenizer_config.json").get("model_max_length")
        length = limit if isinstance(limit, int) and 0 < limit < 10**7 else None
    tokenizer = root / "tokenizer.json"
    return StSettings(
        prompts=prompts,
        default_prompt_name=default,
        pooling=_pooling(root),
        max_seq_length=length if isinstance(length, int) and not isinstance(length, bool) and length > 0 else None,
        tokenizer_file=tokenizer if tokenizer.is_file() else None,
    )


def _pooling(root: Path) -> str | None:
    modules = _json(root / "modules.json", default=[])
    paths = [m.get("path") for m in modules if isinstance(m, dict) and "Pooling" in str(m.get("type", ""))]
    for sub in paths or ["1_Pooling"]:
        config = _json(root / str(sub) / "config.json")
        mode = config.get("pooling_mode")
        if isinstance(mode, str) and mode:
            return mode
        if isinstance(mode, list) and mode:
            return "+".join(str(m) for m in mode)
        modes = [name for key, name in _CLASSIC_POOLING.items() if config.get(key) is True]
        if modes:
            return "+".join(modes)
    return None


def _json(path: Path, default=None):
    """The JSON in `path` if it is of `default`'s type (a dict when None), else `default`."""
    fallback = {} if default is None else default
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return fallback
    return data if isinstance(data, type(fallback)) else fallback
