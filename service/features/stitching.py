"""``page_topic_*`` features: is the page one story, or several stitched together?

Mirror and scraper farms stitch the openings of unrelated stories into one
page, each under its own headline. Consecutive paragraphs of one article
share vocabulary; at the seam between two stories they share almost none.
These features count such seams between consecutive prose blocks.
"""

from __future__ import annotations

from service.features.context import PageContext

PROSE_MIN_CHARS = 40
SEAM_MAX_COSINE = 0.03  # consecutive prose blocks this dissimilar meet at a seam


def stitching_features(ctx: PageContext) -> dict[str, float]:
    prose = [b.index for b in ctx.page.blocks if b.kind == "paragraph" and len(b.text) >= PROSE_MIN_CHARS]
    pairs = list(zip(prose, prose[1:]))
    sims = ctx.units.adjacent_cosines(pairs)  # cosine of the two blocks' unit bags
    seams = sum(1 for s in sims if s < SEAM_MAX_COSINE)
    return {
        "page_topic_prose_pairs": float(len(pairs)),
        "page_topic_seams": float(seams),
        "page_topic_seam_share": seams / len(pairs) if pairs else 0.0,
        "page_topic_mean_adjacent_sim": sum(sims) / len(sims) if sims else -1.0,
    }
