"""``topic_`` features: is a block about what the page is about?

Compares the block's unit bag with the rest of the page, with the page's
main content and with its title, and measures how coherent the items of a
list are with each other (a related-articles box is coherent; a farm of
fabricated headlines is not).
"""

from __future__ import annotations

from itertools import combinations

from service.analysis.page import Block
from service.features.context import PageContext
from service.features.units import cosine_known_norm, cosine_without, jaccard, overlap, overlap_without, units

MAX_ITEMS = 40  # pairwise coherence is computed on at most this many items
LINKED_ITEM_JACCARD = 0.08  # two items this similar share a topic


def topicality_features(block: Block, ctx: PageContext) -> dict[str, float]:
    bag = ctx.block_units[block.index]
    main = ctx.main_units
    in_main = block.index in ctx.main_blocks and len(ctx.main_blocks) > 0 and main is not ctx.page_units
    feats = {
        "topic_sim_rest": cosine_without(bag, ctx.page_units, ctx.page_norm2),
        "topic_sim_main": (cosine_without(bag, main, ctx.main_norm2) if in_main
                           else cosine_known_norm(bag, main, ctx.main_norm2)),
        "topic_sim_title": overlap(ctx.title_units, bag) if ctx.title_units else 0.0,
        "topic_units_in_rest": overlap_without(bag, ctx.page_units),
    }
    items = [i for i in (block.items or []) if i.strip()][:MAX_ITEMS]
    if len(items) >= 3:
        from service.analysis.text import normalize

        bags = [units(normalize(i)) for i in items]
        linked = [False] * len(bags)
        total = 0.0
        pairs = 0
        for a, b in combinations(range(len(bags)), 2):
            sim = jaccard(bags[a], bags[b])
            total += sim
            pairs += 1
            if sim > LINKED_ITEM_JACCARD:
                linked[a] = linked[b] = True
        feats["topic_item_coherence"] = total / pairs
        feats["topic_item_linked_share"] = sum(linked) / len(bags)
        feats["topic_item_page_overlap"] = sum(overlap(b, main) for b in bags) / len(bags)
    else:
        feats["topic_item_coherence"] = -1.0
        feats["topic_item_linked_share"] = -1.0
        feats["topic_item_page_overlap"] = -1.0
    return feats
