"""Decoding never crashes and gets common encodings right."""

import codecs

import pytest

from rerank_tui.corpus.decode import Undecodable, decode_bytes

CHINESE = (
    "在 Jupyter 中把 num_workers 设为 0，数据加载就不会卡住。多进程加载数据时，每个子进程都会"
    "复制数据集对象，因此内存占用会随着工作进程数量的增加而上升。"
)
FRENCH = "Le garçon a mangé une crêpe à la crème près de la fenêtre, où l'été était déjà très chaud.\n"


def test_utf8_and_boms():
    assert decode_bytes("héllo 中文".encode()) == "héllo 中文"
    assert decode_bytes(codecs.BOM_UTF8 + "héllo".encode()) == "héllo"
    assert decode_bytes(codecs.BOM_UTF16_LE + "héllo 中文".encode("utf-16-le")) == "héllo 中文"
    assert decode_bytes(codecs.BOM_UTF16_BE + "héllo 中文".encode("utf-16-be")) == "héllo 中文"
    assert decode_bytes(codecs.BOM_UTF32_LE + "héllo".encode("utf-32-le")) == "héllo"


def test_gb18030_chinese_round_trips_exactly():
    assert decode_bytes(CHINESE.encode("gb18030")) == CHINESE


def test_latin1_french_decodes_right():
    assert decode_bytes(FRENCH.encode("latin-1")) == FRENCH


def test_cp1252_specials():
    text = "Ça coûte 5 € — « naïve » façade.\n"
    assert decode_bytes(text.encode("cp1252")) == text


def test_utf8_with_one_broken_byte_stays_utf8():
    data = "naïve café 中文 ".encode() * 5 + b"\xff tail"
    assert decode_bytes(data) == "naïve café 中文 " * 5 + "\ufffd tail"


def test_text_is_kept_verbatim():
    raw = "a\r\nb\x1b[31mred\x1b[0m [bold]x[/bold]\ttab\u00a0nbsp\n"
    assert decode_bytes(raw.encode()) == raw


def test_mostly_control_characters_is_undecodable():
    with pytest.raises(Undecodable):
        decode_bytes(codecs.BOM_UTF16_LE + b"\x01\x00\x02\x00" * 100)


def test_arbitrary_bytes_never_crash():
    import random

    rng = random.Random(7)
    for _ in range(50):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        try:
            assert isinstance(decode_bytes(data), str)
        except Undecodable:
            pass


@pytest.mark.parametrize(
    "text, encoding",
    [
        ("数据加载。\n\n第二段：卡住了。\n", "gb18030"),  # short: charset-normalizer alone says cp949
        ("你好，世界！", "big5"),
        ("繁體中文的文字內容，測試一下。", "big5"),
        ("日本語のテキストです。", "shift_jis"),
        ("日本語のテキストです。", "euc_jp"),
        ("안녕하세요 세계, 한국어 텍스트입니다.", "cp949"),
        ("Größe und Übermaß für Straße.", "latin-1"),
        ("Příliš žluťoučký kůň úpěl ďábelské ódy.", "cp1250"),
        ("Привет, мир! Это текст на русском языке.", "cp1251"),
    ],
)
def test_legacy_encodings(text, encoding):
    assert decode_bytes(text.encode(encoding)) == text
