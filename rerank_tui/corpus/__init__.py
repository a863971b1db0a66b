"""Files become passages: walk, decode, split, give stable ids. Knows nothing of BM25 or models.

Modules: `walk` (which files, skip rules, symlinks, id encoding), `gitignore` (.gitignore
rules, as git applies them), `sniff` (text or binary, gzipped names), `decode` (bytes → str),
`html_text` (HTML → the page's content text), `chunking` (text → passage spans), `formats`
(folder and JSONL readers, gzip), `loader` (the entry points below), `model` (data types).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rerank_tui.lazy_exports import lazy_exports

# name → module: imported on first use, so that `rerank_tui.corpus.passage` alone (what the
# app's first frame needs) does not pull in the readers, pathspec and the HTML parser.
_EXPORTS = {
    "corpus_fingerprint": "loader",
    "detect_kind": "loader",
    "load_corpus": "loader",
    "SKIP_REASONS": "model",
    "Corpus": "model",
    "CorpusError": "model",
    "CorpusOptions": "model",
    "Skipped": "model",
    "Passage": "passage",
    "encode_path": "walk",
}

if TYPE_CHECKING:
    from rerank_tui.corpus.loader import corpus_fingerprint, detect_kind, load_corpus
    from rerank_tui.corpus.model import SKIP_REASONS, Corpus, CorpusError, CorpusOptions, Skipped
    from rerank_tui.corpus.passage import Passage
    from rerank_tui.corpus.walk import encode_path

__all__ = [
    "Corpus",
    "CorpusError",
    "CorpusOptions",
    "Passage",
    "SKIP_REASONS",
    "Skipped",
    "corpus_fingerprint",
    "detect_kind",
    "encode_path",
    "load_corpus",
]


__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
