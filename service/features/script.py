"""``script_`` features: simplified text in a traditional page, broken conversions.

A hacked traditional-script page often carries spam in simplified script;
a broken simplified->traditional conversion leaves pinyin in the text
("建設(shè)"), and HTML-entity residue ("#xff0c") betrays a scraped copy.
"""

from __future__ import annotations

import re

from service.analysis.page import Block, Page
from service.features.context import PageContext

PINYIN_RESIDUE = re.compile(r"[\u4e00-\u9fff][(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[)）]")
ENTITY_RESIDUE = re.compile(r"#x[0-9a-f]{4}|&#\d{3,5};?|&[a-z]{2,6};", re.IGNORECASE)
# The same number of matches, found faster: each match anchored at its bracket, the CJK character before it
# checked behind (matches cannot overlap: none holds a CJK character after its first one), so the engine
# skips to the next bracket instead of stopping at every CJK character (tests/test_identical.py).
_PINYIN_AT_BRACKET = re.compile(r"[(（](?<=[\u4e00-\u9fff][(（])[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[)）]")


def pinyin_residue_count(text: str) -> int:
    """``len(PINYIN_RESIDUE.findall(text))``."""
    return len(_PINYIN_AT_BRACKET.findall(text))


def script_block_features(block: Block, ctx: PageContext) -> dict[str, float]:
    page_trad = ctx.page.traditional_share
    block_trad = ctx.page.block_traditional_shares[block.index]  # block.traditional_share
    return {
        "script_block_trad": block_trad,
        "script_page_trad": page_trad,
        # positive when the block is more simplified than its (traditional) page
        "script_mismatch": page_trad - block_trad,
        "script_pinyin_residue": float(pinyin_residue_count(block.text)),
    }


def script_page_features(page: Page) -> dict[str, float]:
    n = max(1, len(page.text))
    trad = [share for b, share in zip(page.blocks, page.block_traditional_shares) if len(b.text) >= 20]
    return {
        "script_trad_share": page.traditional_share,
        "script_trad_spread": (max(trad) - min(trad)) if trad else 0.0,
        "script_pinyin_per1k": 1000.0 * pinyin_residue_count(page.text) / n,
        "script_entity_per1k": 1000.0 * len(ENTITY_RESIDUE.findall(page.text)) / n,
    }
