"""The recall stage of a configuration as plain data, and its short form.

A snapshot's `config.recall` (the CLI's `snapshot save` and the app both write it):

    kind: bm25 | dense | hybrid | run
    bm25: {engine, k1, b, method}        # always: BM25 is also what a run falls back to
    embedder: {identity, model, backend, url (http only), dims, pooling, max_length,
               query_instruction}         # dense and hybrid
    fusion: {method: rrf, rrf_k} | {method: linear, alpha}   # hybrid
    run: {path, sha1, queries_with_run, queries_without_run, unknown_doc_ids}   # run

Snapshots saved before this had `recall: {engine, k1, b, method}` (the app's: `{k1, b,
method}` or `{engine}`); `read_recall` turns any of them into the form above and never fails,
so old snapshots keep listing. `describe_recall` is the short form that `snapshot list`,
`snapshot diff` and the app show: "bm25", "bm25 k1=0.9 b=0.4", "dense Qwen3-Embedding-0.6B",
"hybrid rrf k=60 · Qwen3-Embedding-0.6B", "run prod.trec".
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from rerank_tui.safe_text import one_line

KINDS = ("bm25", "dense", "hybrid", "run")
BM25_DEFAULTS = {"engine": "bm25s", "k1": 1.2, "b": 0.75, "method": "lucene"}
_STDIN = "-"
_HASH_CHUNK = 1 << 20


def recall_config(
    kind: str,
    bm25=None,
    *,
    engine: str | None = None,
    embedder=None,
    fusion=None,
    run: Mapping | None = None,
    query_instruction: str | None = None,
) -> dict:
    """The recall configuration as plain data (the form in the module doc).

    `bm25`: an `Index` (its `params` and its engine's name) or `BM25Params` (None: the
    defaults); `engine` names the engine when `bm25` cannot (default "bm25s"). `embedder`
    (dense, hybrid): any `Embedder`; `query_instruction` is the task given to it (None: its
    default), recorded as what the queries really get (None for models that take no task).
    `fusion` (hybrid): a `recall_sources.Fusion` (None: its defaults). `run` (run): what
    `run_description` gives. A kind missing what it needs is a ValueError."""
    if kind not in KINDS:
        raise ValueError(f"recall {kind!r}: use one of {', '.join(KINDS)}")
    config: dict = {"kind": kind, "bm25": _bm25(bm25, engine)}
    if kind in ("dense", "hybrid"):
        if embedder is None:
            raise ValueError(f"{kind} recall needs an embedder")
        config["embedder"] = embedder_config(embedder, query_instruction)
    if kind == "hybrid":
        if fusion is None:
            from rerank_tui.session.recall_sources import Fusion

            fusion = Fusion()
        config["fusion"] = (
            {"method": "rrf", "rrf_k": float(fusion.rrf_k)}
            if fusion.method == "rrf"
            else {"method": str(fusion.method), "alpha": float(fusion.alpha)}
        )
    if kind == "run":
        if run is None:
            raise ValueError("run recall needs the run's description (run_description)")
        config["run"] = dict(run)
    return config


def _bm25(bm25, engine: str | None) -> dict:
    params = getattr(bm25, "params", bm25)  # an Index, or BM25Params itself
    if engine is None:
        engine = getattr(getattr(bm25, "engine", None), "name", None)
    out: dict[str, object] = {"engine": str(engine or BM25_DEFAULTS["engine"])}
    for key in ("k1", "b", "method"):
        value = getattr(params, key, None) if params is not None else None
        out[key] = BM25_DEFAULTS[key] if value is None else (str(value) if key == "method" else float(value))
    return out


def embedder_config(embedder, query_instruction: str | None = None) -> dict:
    """What an embedder's vectors depend on, as plain data."""
    identity = str(getattr(embedder, "identity", "") or type(embedder).__name__)
    backend = identity.split(":", 1)[0] if ":" in identity else type(embedder).__name__
    model = next(
        (value for value in (getattr(embedder, "name", None), getattr(embedder, "model", None)) if isinstance(value, str) and value),
        identity,
    )
    config: dict[str, object] = {"identity": identity, "model": model, "backend": backend}
    url = getattr(embedder, "base_url", None)
    if isinstance(url, str) and url:
        config["url"] = url
    instruction = None
    if getattr(embedder, "query_style", None) == "instruct":
        instruction = query_instruction if query_instruction is not None else getattr(embedder, "default_instruction", None)
    config |= {
        "dims": int(getattr(embedder, "dims", 0) or 0),
        "pooling": str(getattr(embedder, "pooling", "") or ""),
        "max_length": int(getattr(embedder, "max_length", 0) or 0),
        "query_instruction": None if instruction is None else str(instruction),
    }
    return config


def file_sha1(path: str | Path) -> str | None:
    """The SHA-1 of a regular file's bytes; None for standard input (`-`), a pipe or a file
    that cannot be read."""
    if str(path) == _STDIN:
        return None
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return None
            while chunk := file.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def run_description(path: str | Path, candidates, qids: Iterable[str]) -> dict:
    """A run file used as the recall stage for the queries `qids`: its path (as given), the
    SHA-1 of its bytes, how many of the queries it has (the others get BM25) and how many of
    its doc ids the corpus lacks. `candidates`: the run mapped onto the index
    (`recall_run.RunCandidates`, for those queries)."""
    qids = list(dict.fromkeys(qids))
    missing = len(candidates.missing(qids))
    return {
        "path": str(path),
        "sha1": file_sha1(path),
        "queries_with_run": len(qids) - missing,
        "queries_without_run": missing,
        "unknown_doc_ids": int(candidates.unknown_total),
    }


# -- reading back ---------------------------------------------------------------------------


def read_recall(config) -> dict:
    """The recall configuration of a snapshot's config (or of its `recall` mapping) in the
    current form, whatever form it was saved in; never fails (missing or odd values are left
    out, an unreadable recall is {"kind": "?"})."""
    recall = config
    if isinstance(config, Mapping) and "recall" in config:
        recall = config.get("recall")
    if recall is None:
        return {"kind": "bm25", "bm25": dict(BM25_DEFAULTS)}
    if not isinstance(recall, Mapping):
        return {"kind": "?"}
    if "kind" not in recall:  # the form before recall kinds: BM25's settings themselves
        return {"kind": "bm25", "bm25": {**BM25_DEFAULTS, **{k: v for k, v in recall.items() if k in BM25_DEFAULTS}}}
    out = dict(recall)
    out["kind"] = recall.get("kind") if isinstance(recall.get("kind"), str) else "?"
    return out


def describe_recall(config) -> str:
    """The short form of a recall configuration (a snapshot's config, or its `recall`):
    "bm25" (with k1, b, method, engine where not the defaults), "dense MODEL",
    "hybrid rrf k=60 · MODEL", "hybrid linear alpha=0.5 · MODEL", "run FILE". Never fails:
    what it cannot read shows as "?"."""
    try:
        return one_line(_describe(read_recall(config)), 120)
    except Exception:  # a hand-edited file: a list must still show every snapshot
        return "?"


def _describe(recall: Mapping) -> str:
    kind = recall.get("kind")
    if kind == "bm25":
        return " ".join(["bm25", *_bm25_changes(recall.get("bm25"))])
    if kind == "dense":
        return f"dense {_model_name(recall.get('embedder'))}"
    if kind == "hybrid":
        return f"hybrid {_fusion(recall.get('fusion'))} · {_model_name(recall.get('embedder'))}"
    if kind == "run":
        run = recall.get("run")
        path = str(run.get("path", "")) if isinstance(run, Mapping) else ""
        return f"run {'<stdin>' if path == _STDIN else (Path(path).name or '?')}"
    return str(kind)


def _bm25_changes(bm25) -> list[str]:
    if not isinstance(bm25, Mapping):
        return []
    out = []
    for key in ("k1", "b"):
        value = bm25.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value) != BM25_DEFAULTS[key]:
            out.append(f"{key}={value:g}")
    for key in ("method", "engine"):
        value = bm25.get(key)
        if value is not None and value != BM25_DEFAULTS[key]:
            out.append(str(value))
    return out


def _model_name(embedder) -> str:
    """The model's last path part: `Qwen3-Embedding-0.6B` for Qwen/Qwen3-Embedding-0.6B."""
    if not isinstance(embedder, Mapping):
        return "?"
    model = embedder.get("model") or embedder.get("identity")
    if not isinstance(model, str) or not model.strip("/\\"):
        return "?"
    return model.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]


def _fusion(fusion) -> str:
    if not isinstance(fusion, Mapping):
        return "?"
    if fusion.get("method") == "rrf":
        return f"rrf k={float(fusion.get('rrf_k', 60.0)):g}"
    if fusion.get("method") == "linear":
        return f"linear alpha={float(fusion.get('alpha', 0.5)):g}"
    return str(fusion.get("method"))
