"""Files become passages: walk, decode, split, give stable ids. Knows nothing of BM25 or models.

Modules: `walk` (which files, skip rules, symlinks, id encoding), `gitignore` (.gitignore
rules, as git applies them), `sniff` (text or binary, gzipped names), `decode` (bytes → str),
`html_text` (HTML → the page's content text), `chunking` (text → passage spans), `formats`
(folder and JSONL readers, gzip), `loader` (the entry points below), `model` (data types).
"""

from rerank_tui.corpus.loader import corpus_fingerprint, detect_kind, load_corpus
from rerank_tui.corpus.model import SKIP_REASONS, Corpus, CorpusError, CorpusOptions, Skipped
from rerank_tui.corpus.passage import Passage
from rerank_tui.corpus.walk import encode_path

__all__ = [
    "SKIP_REASONS",
    "Corpus",
    "CorpusError",
    "CorpusOptions",
    "Passage",
    "Skipped",
    "corpus_fingerprint",
    "detect_kind",
    "encode_path",
    "load_corpus",
]
