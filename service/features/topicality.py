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
from service.features.units import jaccard, units

MAX_ITEMS = 40  # pairwise coherence is computed on at most this many items
LINKED_ITEM_JACCARD = 0.08  # two items this similar share a topic


def topicality_features(block: Block, ctx: PageContext) -> dict[str, float]:
    # computed for every block of the page at once (service/features/unitindex.py)
    sims, i = ctx.topic_similarities, block.index
    feats = {
        "topic_sim_rest": sims["sim_rest"][i],  # cosine with the rest of the page
        "topic_sim_main": sims["sim_main"][i],  # with the main content (less the block, if it is part of it)
        "topic_sim_title": sims["sim_title"][i],  # share of the title's units in the block
        "topic_units_in_rest": sims["units_in_rest"][i],  # share of the block's units found elsewhere
    }
    items = [i for i in (block.items or []) if i.strip()][:MAX_ITEMS]
    if len(items) >= 3:
        from service.analysis.text import normalize_all

        bags = [units(norm) for norm in normalize_all(items)]  # one OpenCC call for the items, not one each
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
        main, key_of = ctx.main_keys, ctx.units.key_of
        # overlap(item bag, main content bag): the share of an item's distinct units the main content holds
        feats["topic_item_page_overlap"] = sum(
            (sum(1 for unit in b if key_of(unit) in main) / len(b)) if b else 0.0 for b in bags) / len(bags)
    else:
        feats["topic_item_coherence"] = -1.0
        feats["topic_item_linked_share"] = -1.0
        feats["topic_item_page_overlap"] = -1.0
    return feats
