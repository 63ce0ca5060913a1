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


def script_block_features(block: Block, ctx: PageContext) -> dict[str, float]:
    page_trad = ctx.page.traditional_share
    block_trad = block.traditional_share
    return {
        "script_block_trad": block_trad,
        "script_page_trad": page_trad,
        # positive when the block is more simplified than its (traditional) page
        "script_mismatch": page_trad - block_trad,
        "script_pinyin_residue": float(len(PINYIN_RESIDUE.findall(block.text))),
    }


def script_page_features(page: Page) -> dict[str, float]:
    n = max(1, len(page.text))
    trad = [b.traditional_share for b in page.blocks if len(b.text) >= 20]
    return {
        "script_trad_share": page.traditional_share,
        "script_trad_spread": (max(trad) - min(trad)) if trad else 0.0,
        "script_pinyin_per1k": 1000.0 * len(PINYIN_RESIDUE.findall(page.text)) / n,
        "script_entity_per1k": 1000.0 * len(ENTITY_RESIDUE.findall(page.text)) / n,
    }
