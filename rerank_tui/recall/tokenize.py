"""One tokenizer for passages and queries.

- Unicode-aware: text is NFKC-normalised (full-width ＡＢＣ → ABC) and split on `\\w` runs.
- English words: lowercased, Lucene's 33 English stopwords dropped (the list Anserini uses),
  Snowball-stemmed with PyStemmer.
- Code identifiers: `num_workers`, `DataLoader`, `HTTPServer` emit the whole identifier
  (lowercased and stemmed like a plain word) *and* their stemmed parts, so both
  `dataloader` and `data loader` match `DataLoader`.
- CJK (Han, Kana, Hangul): runs are indexed as overlapping character bigrams (a lone
  character as itself), the approach of Lucene's CJKBigramFilter, so a Chinese query finds
  Chinese text that has no spaces.

The output is cached per distinct raw token: corpora repeat their vocabulary, so tokenizing
costs one dict lookup per word once warm.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Protocol

# Bump when the output for any input changes: persisted indexes are keyed by it.
TOKENIZER_VERSION = "1"

_CJK_RANGES = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3040-\u309f"  # Hiragana
    "\u30a0-\u30ff"  # Katakana
    "\u3100-\u312f"  # Bopomofo
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul Jamo extended-A
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # CJK extensions B–G
)
_CJK_RUN = re.compile(f"[{_CJK_RANGES}]+")
# A token is either a run of CJK characters or a run of other word characters.
_TOKEN = re.compile(f"[{_CJK_RANGES}]+|[^\\W{_CJK_RANGES}]+")
# Identifier parts: acronyms (HTTP in HTTPServer), capitalised or lower words, digits.
_IDENT_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W\d_A-Za-z]+")
# Split only real identifiers: snake_case, camelCase, Acronym+Word; not "GPUs" or "fp16".
_NEEDS_SPLIT = re.compile(r"_|[a-z0-9][A-Z]|[A-Z]{2}[a-z]{2}")

# ASCII text: `\w` is [A-Za-z0-9_], so the raw tokens are the runs left after mapping every
# other byte to a space; bytes.translate + split does that in C, ~3x faster than the regex.
_ASCII_NON_WORD = bytes(c if chr(c).isascii() and (chr(c).isalnum() or c == 95) else 32 for c in range(256))

# Lucene's EnglishAnalyzer stop set (also bm25s's STOPWORDS_EN), inlined to keep it fixed.
ENGLISH_STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)


class _Stemmer(Protocol):
    """What a PyStemmer `Stemmer.Stemmer` is used for here."""

    def stemWord(self, word: str) -> str: ...

    def stemWords(self, words: list[str]) -> list[str]: ...


@dataclass
class Tokenizer:
    """Text → index terms. Equal settings give equal tokens; `cache_key` names them."""

    stem: bool = True
    stopwords: bool = True
    split_identifiers: bool = True
    cjk_bigrams: bool = True
    _cache: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    _stemmer: _Stemmer | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.stem:
            import Stemmer  # PyStemmer: C Snowball stemmers

            self._stemmer = Stemmer.Stemmer("english")

    def cache_key(self) -> str:
        flags = "".join(
            "1" if f else "0"
            for f in (self.stem, self.stopwords, self.split_identifiers, self.cjk_bigrams)
        )
        return f"tok{TOKENIZER_VERSION}-{flags}"

    def __call__(self, text: str) -> list[str]:
        return self.tokenize(text)

    def tokenize(self, text: str) -> list[str]:
        cache = self._cache
        out: list[str] = []
        for raw in self.raw_tokens(text):
            terms = cache.get(raw)
            if terms is None:
                terms = self.terms(raw)
            out.extend(terms)
        return out

    def raw_tokens(self, text: str) -> list[str]:
        """The raw tokens of `text` (NFKC-normalised `\\w` or CJK runs), before `terms`."""
        if not text:
            return []
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        return _TOKEN.findall(text)

    @staticmethod
    def ascii_raw_tokens(text: str) -> list[bytes]:
        """`raw_tokens` of an ASCII `text`, as bytes (the same runs, found faster)."""
        return text.encode("ascii").translate(_ASCII_NON_WORD).split()

    # -- one raw token --------------------------------------------------------------------

    def terms(self, raw: str) -> tuple[str, ...]:
        """The index terms of one raw token, cached."""
        terms = self._cache.get(raw)
        if terms is None:
            terms = self._terms(raw)
            if len(self._cache) < 2_000_000:  # bound memory on pathological input
                self._cache[raw] = terms
        return terms

    def _terms(self, raw: str) -> tuple[str, ...]:
        if _CJK_RUN.fullmatch(raw):
            return self._cjk_terms(raw)
        if self.split_identifiers and _NEEDS_SPLIT.search(raw):
            words = [p.lower() for p in _IDENT_PART.findall(raw.replace("_", " "))]
            # The whole identifier is stemmed like a plain word, so that `DataLoader` and a
            # typed `dataloader` give the same term.
            whole = raw.lower().strip("_")
            terms = [self._stemmer.stemWord(whole) if self.stem and self._stemmer is not None else whole] if whole else []
            if len(words) > 1:
                terms.extend(self._words(words))
            return tuple(terms)
        return tuple(self._words([raw.lower()]))

    def _words(self, words: list[str]) -> list[str]:
        if self.stopwords:
            words = [w for w in words if w not in ENGLISH_STOPWORDS]
        if self.stem and self._stemmer is not None and words:
            words = self._stemmer.stemWords(words)
        return words

    def _cjk_terms(self, run: str) -> tuple[str, ...]:
        if not self.cjk_bigrams or len(run) == 1:
            return (run,) if len(run) == 1 else tuple(run)
        return tuple(run[i : i + 2] for i in range(len(run) - 1))
