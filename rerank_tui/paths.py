"""Where rebuildable caches and the user's config live (platformdirs; env vars override)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "rerank-tui"


def cache_dir() -> Path:
    """Root of all rebuildable caches (BM25 indexes, scores). `RERANK_TUI_CACHE_DIR` overrides."""
    override = os.environ.get("RERANK_TUI_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def config_dir() -> Path:
    """The user's config folder (keymap, defaults). `RERANK_TUI_CONFIG_DIR` overrides."""
    override = os.environ.get("RERANK_TUI_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)
