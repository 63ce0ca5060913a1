"""Charset handling with real encoded bytes: GBK, GB18030, Big5, declared and detected."""

from __future__ import annotations

import codecs

import pytest

from service.analysis.decode import UndecodableError, decode_bytes, sniff_declared_charset

ZH = "湖南省基础教育优质均衡发展研讨会在双峰县召开,全省各地教育部门负责人、中小学校长共计260余人齐聚一堂。"
ZH_TRAD = "全市教育大會召開,錨定建設教育強市目標,齊心協力推動全市教育事業高質量發展。"


def _html(body: str, charset: str | None) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<html><head>{meta}<title>會議</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize("encoding,text", [("gbk", ZH), ("gb18030", ZH + "㐀"), ("big5", ZH_TRAD)])
def test_meta_declared_charset(encoding, text):
    raw = _html(text, encoding).encode(encoding)
    decoded, used = decode_bytes(raw)
    assert text in decoded


def test_gb2312_label_decodes_gbk_only_characters():
    text = "镕基和喆" + ZH  # characters outside GB2312
    raw = _html(text, "gb2312").encode("gbk")
    decoded, used = decode_bytes(raw)
    assert text in decoded and used == "gb18030"


@pytest.mark.parametrize("encoding,text", [("gbk", ZH * 3), ("big5", ZH_TRAD * 3)])
def test_undeclared_charset_is_detected(encoding, text):
    decoded, _ = decode_bytes(_html(text, None).encode(encoding))
    assert text in decoded


def test_caller_charset_wins():
    raw = _html(ZH, None).encode("gbk")
    decoded, used = decode_bytes(raw, "GBK")
    assert ZH in decoded and used == "gb18030"


def test_binary_is_undecodable():
    with pytest.raises(UndecodableError):
        decode_bytes(bytes(range(256)) * 40)


def test_empty_bytes():
    assert decode_bytes(b"") == ("", "utf-8")


@pytest.mark.parametrize("label", ["ISO-8859-1", "latin-1", "windows-1252"])
@pytest.mark.parametrize("meta", ["gbk", None])
def test_a_latin1_label_yields_to_the_pages_own_multibyte_charset(label, meta):
    """The HTTP default charset, sent for a GBK page (Python's requests reports ISO-8859-1 for any
    text/html without a charset): the page's meta, or detection, finds GBK instead of mojibake."""
    raw = _html(ZH * (1 if meta else 3), meta).encode("gbk")
    decoded, used = decode_bytes(raw, label)
    assert ZH in decoded and used == "gb18030"


@pytest.mark.parametrize("label", ["ISO-8859-1", "windows-1252"])
def test_a_latin1_label_on_a_latin1_page_is_kept(label):
    text = "Le café est très bon à Paris, où l'on déjeune « à la française » — voilà."
    decoded, used = decode_bytes(f"<html><body><p>{text}</p></body></html>".encode("cp1252"), label)
    assert text in decoded and used == "cp1252"
    assert decode_bytes(b"<p>plain ASCII</p>", label)[0] == "<p>plain ASCII</p>"


@pytest.mark.parametrize("meta", ["gb2312", "gbk", "big5"])
def test_a_page_saved_again_as_utf8_is_read_as_utf8_whatever_its_meta_says(meta):
    """Archives and transcoding crawlers save a GB2312 page as UTF-8 and keep its <meta charset=gb2312> (4 of
    the 66 GNE news pages): GB18030 decodes those bytes without an error, as mojibake ("鏃犻殰…")."""
    script = "<script>" + "var slot = window.slots[i] || {};\n" * 1000 + "</script>"  # pages are mostly markup
    raw = _html(ZH, meta).replace("</head>", script + "</head>").encode("utf-8")
    decoded, used = decode_bytes(raw)
    assert ZH in decoded and used == "utf-8"


def test_a_few_legacy_characters_that_happen_to_be_valid_utf8_follow_the_meta():
    """GBK 矛 is the bytes C3 AC, valid UTF-8 for ì: under UTF8_EVIDENCE_CHARS such characters, the meta wins
    (the title 會議 is left out: it is not valid UTF-8 in GBK)."""
    raw = '<html><head><meta charset="gbk"></head><body><p>毛矛卢</p></body></html>'.encode("gbk")
    raw.decode("utf-8")  # valid UTF-8, by chance
    decoded, used = decode_bytes(raw)
    assert "毛矛卢" in decoded and used == "gb18030"


@pytest.mark.parametrize(("encoding", "words"), [("gbk", "毛矛卢"), ("big5", "毛矛盧")])
def test_an_xml_declaration_names_the_charset(encoding, words):
    """An XHTML page declares its encoding in the XML declaration that opens it, often with no <meta>: a short
    page is then read with that encoding, not with what detection guesses from a few characters."""
    raw = f'<?xml version="1.0" encoding="{encoding}"?>\n<html><body><p>{words}</p></body></html>'.encode(encoding)
    decoded, _ = decode_bytes(raw)
    assert words in decoded
    assert sniff_declared_charset(b'<html><?xml encoding="gbk"?>') is None  # not opening the page: not a declaration


@pytest.mark.parametrize("meta", ["iso-8859-1", "windows-1252", "latin1"])
@pytest.mark.parametrize("label", [None, "utf8mb4", "ISO-8859-1"])
def test_a_latin1_meta_on_a_gbk_page_yields_to_detection(meta, label):
    """Old Chinese CMS templates say iso-8859-1 in their own <meta> over GBK text: windows-1252 decodes any bytes
    without an error, so that meta, tried before detection, read the page as mojibake and its spam went unseen."""
    raw = _html(ZH * 3, meta).encode("gbk")
    decoded, used = decode_bytes(raw, label)
    assert ZH in decoded and used == "gb18030"


def test_a_latin1_meta_on_a_latin1_page_is_kept():
    text = "Le café est très bon à Paris, où l'on déjeune « à la française » — voilà."
    raw = f'<html><head><meta charset="iso-8859-1"></head><body><p>{text}</p></body></html>'.encode("cp1252")
    decoded, used = decode_bytes(raw)
    assert text in decoded and used == "cp1252"


@pytest.mark.parametrize("meta", ["utf-16", "UTF-16LE", "utf-16be", "utf-32"])
@pytest.mark.parametrize("label", [None, "gbk"])
def test_a_meta_that_says_utf16_names_utf8(meta, label):
    """A browser reads <meta charset="utf-16"> as UTF-8 (UTF-16 bytes could not have spelled the tag in ASCII):
    the page was decoded as UTF-16, one CJK character per two bytes of markup."""
    raw = _html(ZH, meta).encode("utf-8")
    decoded, used = decode_bytes(raw, label)
    assert ZH in decoded and used == "utf-8"
    assert sniff_declared_charset(b'<meta charset="utf-16">') == "utf-8"
    assert sniff_declared_charset(codecs.BOM_UTF16_LE + "<p>x</p>".encode("utf-16-le")) == "utf-16"  # a BOM is


def test_text_that_mentions_a_meta_charset_declares_nothing():
    """Plain text (a .txt file, text/plain bytes) is not markup: a sentence about <meta charset> in it named the
    charset the whole text was then decoded with."""
    raw = 'Set <meta charset="gb2312"> in the head. 中文好'.encode("utf-8")
    assert decode_bytes(raw, markup=False) == ('Set <meta charset="gb2312"> in the head. 中文好', "utf-8")
    assert sniff_declared_charset(raw, markup=False) is None and sniff_declared_charset(raw) == "gb2312"


@pytest.mark.parametrize("label", [None, "gbk"])
def test_big5_bytes_labelled_gbk_are_read_as_big5(label):
    """GB18030 decodes Big5 bytes without an error, a fifth of the characters private-use (カ毙▅穦秨): a Big5 page
    whose meta or server said gbk was read as that, and its text was lost."""
    raw = _html(ZH_TRAD * 3, "gbk").encode("big5")
    decoded, used = decode_bytes(raw, label)
    assert ZH_TRAD in decoded and used in ("big5hkscs", "big5", "cp950")
    # GBK text with a few private-use characters of its own (a site's custom glyphs) is still GBK
    custom = _html(ZH * 3 + "\ue000", "gbk").encode("gb18030")
    assert decode_bytes(custom)[1] == "gb18030"
