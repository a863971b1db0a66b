"""Bytes → str without ever crashing, or a clear "undecodable".

Order: a byte-order mark (UTF-8, UTF-32, UTF-16 LE/BE) decides; then UTF-8 (also when only a
few sequences are broken: those become U+FFFD); then `charset-normalizer` guesses a legacy
encoding (GB18030, Shift-JIS, Latin-1, ...). The text is otherwise kept verbatim: no newline
or Unicode normalization, escape sequences and markup stay (the UI sanitizes for display).
"""

from __future__ import annotations

import codecs
import functools
import re
from collections import Counter

DETECT_BYTES = 256 * 1024  # what the legacy-encoding detector looks at
CHECK_CHARS = 64 * 1024  # what the "mostly control characters" check looks at
# Single-byte Western code pages the detector often confuses; cp1252 (a superset of Latin-1's
# printable range) is by far the most common, so it wins when the detector's own pick is one of
# these and cp1252 decodes the text about as plausibly.
_WESTERN_LOOKALIKES = frozenset(
    {"cp1250", "cp1252", "cp1257", "cp775", "iso8859_2", "iso8859_4", "iso8859_10", "iso8859_13",
     "iso8859_15", "latin_1", "mac_latin2", "mac_roman", "cp850", "cp437", "cp1254", "iso8859_9"}
)  # fmt: skip
_CHAOS_MARGIN = 0.1

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters a text does not consist of (tab, newlines, form feed and ESC are fine),
# plus the replacement character and lone surrogates.
_JUNK = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
_JUNK_SHARE = 0.3


class Undecodable(ValueError):
    """The bytes do not decode to text."""


def decode_bytes(data: bytes) -> str:
    """Decode file contents; raise `Undecodable` when the result would be mostly junk."""
    text = _decode(data)
    sample = text[:CHECK_CHARS]
    if sample:
        junk = len(sample) - len(_JUNK.sub("", sample))
        if junk > _JUNK_SHARE * len(sample):
            raise Undecodable(f"{junk} of {len(sample)} characters are control or invalid")
    return text


def _decode(data: bytes) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                if codec == "utf-32":  # FF FE 00 00 may be UTF-16 LE + U+0000: try that next
                    continue
                return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return data.decode("utf-8", errors="replace")
    encoding = _detect(data)
    return data.decode(encoding, errors="replace")


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few broken sequences (a truncated character, a stray Latin-1 byte)?

    Legacy encodings almost never form valid multi-byte UTF-8 sequences by chance, so: at
    least one valid non-ASCII sequence and at most one broken one per ten valid ones.
    """
    text = data[:DETECT_BYTES].decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - broken
    return valid > 0 and broken * 10 <= valid


def _detect(data: bytes) -> str:
    """Pick a legacy encoding for bytes that are not UTF-8.

    charset-normalizer alone misreads short texts (a GB18030 paragraph as cp949, a Latin-1
    sentence as cp1257), so its candidates are re-ranked:
    - CJK: every main CJK code page that decodes the sample is scored by the share of common
      characters it yields (level-1 ideographs of GB2312, Big5 or JIS X 0208, which are the
      frequent ones; kana; KS X 1001 Hangul; CJK punctuation). A wrong CJK decoding yields rare
      ideographs, or Hangul mixed with ideographs. A score of at least 0.95 wins; ties keep
      charset-normalizer's order (its language model tells Korean from Chinese).
    - Western: when charset-normalizer picks a Western single-byte page and cp1252 decodes the
      text about as cleanly, cp1252 (the common one, Latin-1's printable superset) wins.
    """
    from charset_normalizer import from_bytes

    sample = data[:DETECT_BYTES]
    if len(data) > DETECT_BYTES:  # cut at a line end, not inside a multi-byte character
        cut = sample.rfind(b"\n")
        if cut > DETECT_BYTES // 2:
            sample = sample[: cut + 1]
    matches = [m for m in from_bytes(sample) if not m.encoding.startswith("utf")]
    ranked = [m.encoding for m in matches]
    cjk = [e for e in dict.fromkeys([*ranked, *_CJK_CODECS]) if e in _CJK_FAMILY]
    best_cjk, best_score = None, 0.0
    for encoding in cjk:
        try:
            score = _cjk_score(sample.decode(encoding))
        except (UnicodeDecodeError, LookupError):
            continue
        if score > best_score + _TIE:
            best_cjk, best_score = encoding, score
    if best_cjk is not None and best_score >= _CJK_MIN_SCORE:
        return best_cjk
    if not matches:
        return _western(data)
    best = matches[0]
    if best.encoding in _WESTERN_LOOKALIKES:
        for m in matches:
            if m.encoding == "cp1252" and m.chaos <= best.chaos + _CHAOS_MARGIN:
                return _western(data)
    return best.encoding


_CJK_CODECS = ("gb18030", "big5", "cp932", "euc_jp", "cp949")
_CJK_FAMILY = frozenset(
    {*_CJK_CODECS, "gb2312", "gbk", "hz", "big5hkscs", "cp950", "shift_jis", "shift_jis_2004",
     "shift_jisx0213", "euc_jis_2004", "euc_jisx0213", "iso2022_jp", "euc_kr", "johab"}
)  # fmt: skip
_CJK_MIN_SCORE = 0.95
_TIE = 0.02
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# (codec, first and last lead byte of its level-1, i.e. most frequent, ideographs)
_COMMON_HAN = (("gb2312", 0xB0, 0xD7), ("big5", 0xA4, 0xC6), ("shift_jis", 0x88, 0x98))


@functools.lru_cache(maxsize=65536)
def _cjk_class(c: str) -> str:
    """"han" (a common ideograph), "hangul" (a KS X 1001 syllable), "ok" or "rare"."""
    o = ord(c)
    if 0x3000 <= o <= 0x30FF or 0xFF01 <= o <= 0xFF65 or 0x2010 <= o <= 0x2026:
        return "ok"  # CJK punctuation, kana, full-width forms, dashes and quotes
    if 0xAC00 <= o <= 0xD7A3:
        try:
            c.encode("euc_kr")
        except UnicodeEncodeError:
            return "rare"
        return "hangul"
    if 0x4E00 <= o <= 0x9FFF:
        for codec, low, high in _COMMON_HAN:
            try:
                b = c.encode(codec)
            except UnicodeEncodeError:
                continue
            if len(b) == 2 and low <= b[0] <= high:
                return "han"
    return "rare"


def _cjk_score(text: str) -> float:
    """Share of the non-ASCII characters that are common CJK text."""
    counts = Counter(_NON_ASCII.findall(text, 0, 50_000))
    total = sum(counts.values())
    if not total:
        return 0.0
    by_class: Counter[str] = Counter()
    for c, n in counts.items():
        by_class[_cjk_class(c)] += n
    good = by_class["ok"] + by_class["hangul"] + by_class["han"]
    # Korean uses few ideographs; Hangul mixed with many is Chinese decoded as Korean.
    if by_class["hangul"] and by_class["han"] * 10 > by_class["hangul"] + by_class["han"]:
        good -= by_class["han"]
    return good / total


def _western(data: bytes) -> str:
    """cp1252 if every byte is defined there, else Latin-1 (which decodes any byte)."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"
