"""`build_judge`: from CLI/config options to a ready `Judge`.

A server `url` gives an `HttpJudge` (its `model` is the served model's name, or the server's
first); otherwise `model` (a hub id or a local folder, found by `rerank.checkpoint.resolve`)
runs in-process with transformers. torch and transformers are imported only then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rerank_tui.rerank.checkpoint import resolve

from .base import Judge
from .prompt import load_prompt


def build_judge(
    model: str | None,
    *,
    url: str | None = None,
    endpoint: str = "completions",
    grades: Sequence[int],
    names: Mapping[int, str] | None = None,
    prompt_path: str | Path | None = None,
    device: str | None = None,
    dtype: str | None = None,
    batch_size: int = 16,
    api_key: str | None = None,
    top_logprobs: int = 20,
    **backend_options,
) -> Judge:
    """`backend_options` go to the judge class (http: timeout, concurrency, retries,
    ca_bundle, ...; transformers: max_passage_chars). Options one backend ignores are noted."""
    prompt = load_prompt(prompt_path)
    notes: list[str] = []
    judge: Judge
    if url:
        from .http_judge import HttpJudge

        for what, value in {"the device": device, "the dtype": dtype}.items():
            if value is not None:
                notes.append(f"{what} applies to an in-process judge only: ignored by the judge server")
        judge = HttpJudge(
            url, model=model, endpoint=endpoint, grades=grades, names=names, prompt=prompt, api_key=api_key,
            top_logprobs=top_logprobs, batch_size=batch_size, **backend_options,
        )
    else:
        if not model:
            raise ValueError("a judge needs a model (a hub id or a checkpoint folder) or a server url")
        from .transformers_judge import TransformersJudge

        if api_key is not None:
            notes.append("the API key applies to a judge server only: ignored by the in-process judge")
        judge = TransformersJudge(
            resolve(model), grades=grades, names=names, prompt=prompt, device=device, dtype=dtype, batch_size=batch_size, **backend_options
        )
    judge.notes = tuple(dict.fromkeys(notes + list(judge.notes)))
    return judge
