"""Parsed user files, cached by the SHA-1 of their bytes, so an unchanged file skips YAML.

Parsing YAML is the floor of a workspace's start: about a second for 20,000 labels with
libyaml, where reading the same data back as JSON takes a tenth of that. The cache is keyed by
the file's content, so a file edited by hand (or by another writer) is simply parsed again;
the cache lives in the user's cache folder and can always be deleted.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rerank_tui.paths import cache_dir

VERSION = 1


def _entry(path: Path) -> Path:
    key = hashlib.sha1(str(Path(path).resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return cache_dir() / "parsed" / f"{Path(path).name}-{key}.json"


def content_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def get(path: Path, text: str):
    """The data cached for exactly this content of `path`, or None."""
    try:
        cached = json.loads(_entry(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(cached, dict) or cached.get("version") != VERSION or cached.get("sha1") != content_key(text):
        return None
    return cached.get("data")


def put(path: Path, text: str, data) -> None:
    """Remember `data` for this content; a cache that cannot be written is no error."""
    from rerank_tui.session.store import atomic_write_text

    try:
        payload = json.dumps({"version": VERSION, "sha1": content_key(text), "data": data}, ensure_ascii=False)
        atomic_write_text(_entry(path), payload)
    except (OSError, TypeError, ValueError):
        pass
