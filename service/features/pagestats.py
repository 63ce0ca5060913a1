"""``page_`` features: page-level aggregates of block features and page shape."""

from __future__ import annotations

import math

from service.analysis.page import Page
from service.features.context import PageContext
from service.features.lexicon import CATEGORIES

BIG_LIST_ITEMS = 12  # a list this long is more than a related-articles box


def page_structure_features(page: Page, ctx: PageContext, block_feats: list[dict]) -> dict[str, float]:
    blocks = page.blocks
    n_chars = ctx.total_chars
    lists = [(b, f) for b, f in zip(blocks, block_feats) if b.kind == "list"]
    big_lists = [(b, f) for b, f in lists if b.n_items >= BIG_LIST_ITEMS]
    title_hits = len(ctx.lexicons.matches(page.title_norm))
    feats = {
        "page_n_blocks": float(len(blocks)),
        "page_log_chars": math.log1p(len(page.text)),
        "page_list_char_share": sum(len(b.text) for b, _ in lists) / n_chars,
        "page_max_list_items": float(max((b.n_items for b in blocks), default=0)),
        "page_big_lists": float(len(big_lists)),
        "page_min_big_list_coherence": min((f["topic_item_coherence"] for _, f in big_lists), default=-1.0),
        "page_min_big_list_page_overlap": min((f["topic_item_page_overlap"] for _, f in big_lists), default=-1.0),
        "page_short_block_share": sum(1 for b in blocks if len(b.text) < 25) / max(1, len(blocks)),
        "page_link_density": sum(b.link_chars for b in blocks) / n_chars,
        "page_offsite_links": float(sum(b.n_offsite_links for b in blocks)),
        "page_hidden_char_share": sum(len(b.text) for b in blocks if b.hidden) / n_chars,
        "page_hidden_link_blocks": float(sum(1 for b in blocks if b.hidden and b.n_links)),
        "page_title_lex_hits": float(title_hits),
        "page_is_html": 1.0 if page.source == "html" else 0.0,
        "page_paragraph_sim_min": min((f["topic_sim_rest"] for b, f in zip(blocks, block_feats)
                                       if b.kind == "paragraph" and len(b.text) >= 60), default=-1.0),
        "page_paragraph_sim_mean": _mean([f["topic_sim_rest"] for b, f in zip(blocks, block_feats)
                                          if b.kind == "paragraph" and len(b.text) >= 60]),
    }
    for category in CATEGORIES:
        hits = sum(f[f"lex_{category}_hits"] for f in block_feats)
        feats[f"page_lex_{category}_per1k"] = 1000.0 * hits / n_chars
        feats[f"page_lex_{category}_blocks"] = float(sum(1 for f in block_feats if f[f"lex_{category}_hits"] > 0))
    feats["page_lex_max_coverage"] = max((f["lex_coverage"] for f in block_feats), default=0.0)
    feats["page_lex_max_chain_share"] = max((f["lex_chain_hit_share"] for f in block_feats), default=0.0)
    head = block_feats[:3]
    feats["page_lex_head_coverage"] = max((f["lex_coverage"] for f in head), default=0.0)
    feats["page_lex_head_segments"] = max((f["lex_chain_segments"] for f in head), default=0.0)
    return feats


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else -1.0
