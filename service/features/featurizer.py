"""The featurizer: a page in, block feature rows and one page feature row out.

It lives inside the saved model artifact (train/serve parity): training and
the service call the same :meth:`Featurizer.featurize`. Feature names are
fixed at training time; a row is built in that order, missing keys as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import itemgetter

import numpy as np

from service.analysis.page import Page
from service.features.context import PageContext
from service.features.lexicon import Lexicons, lexicon_features, vocab_features, vocab_page_features
from service.features.pagestats import page_structure_features
from service.features.script import script_block_features, script_page_features
from service.features.stitching import stitching_features
from service.features.structure import structure_features
from service.features.style import style_features
from service.features.topicality import topicality_features
from service.features.url import url_features

# Block features copied onto the neighbouring blocks as ctx_prev_* / ctx_next_*.
NEIGHBOUR_KEYS = ("topic_sim_rest", "lex_coverage", "struct_log_chars", "struct_link_density",
                  "struct_boiler_markers")
_NEIGHBOUR_NAMES = tuple((key, f"ctx_prev_{key}", f"ctx_next_{key}") for key in NEIGHBOUR_KEYS)  # made once
NGRAM_BLOCK_CHARS = 400  # n-grams of a block are taken from its first characters only
NGRAM_PAGE_CHARS = 4000


@dataclass
class Features:
    """Everything the models see for one page."""

    context: PageContext
    block_rows: list[dict[str, float]]
    page_row: dict[str, float]
    block_texts: list[str]  # normalised, truncated: input of the block n-gram model
    page_text: str  # normalised, truncated: input of the page n-gram model


@dataclass
class Featurizer:
    lexicons: Lexicons
    farm_domains: frozenset[str] = field(default_factory=frozenset)
    # The prose-only style rates (``style_main_*``) are computed for models trained with them; a model pickled
    # before they existed unpickles with this class default and is not charged for features it never reads.
    main_text_style: bool = False

    def featurize(self, page: Page) -> Features:
        page.normalize_blocks()
        ctx = PageContext(page, self.lexicons)
        rows = []
        for block in page.blocks:
            row = {}
            row.update(structure_features(block, ctx))
            row.update(topicality_features(block, ctx))
            row.update(script_block_features(block, ctx))
            row.update(lexicon_features(block.norm, self.lexicons, ctx.block_matches[block.index]))
            row.update(vocab_features(block.norm, self.lexicons))
            rows.append(row)
        for i, row in enumerate(rows):
            prev_row = rows[i - 1] if i > 0 else None
            next_row = rows[i + 1] if i + 1 < len(rows) else None
            for key, prev_key, next_key in _NEIGHBOUR_NAMES:
                row[prev_key] = prev_row[key] if prev_row else -1.0
                row[next_key] = next_row[key] if next_row else -1.0
        page_row = {}
        page_row.update(style_features(page, main_text=self.main_text_style))
        page_row.update(script_page_features(page))
        page_row.update(url_features(page.url, self.farm_domains))
        page_row.update(page_structure_features(page, ctx, rows))
        page_row.update(vocab_page_features(rows, [len(b.norm) for b in page.blocks], page.title_norm, self.lexicons))
        page_row.update(stitching_features(ctx))
        return Features(
            context=ctx, block_rows=rows, page_row=page_row,
            block_texts=[b.norm[:NGRAM_BLOCK_CHARS] for b in page.blocks],
            page_text=page.norm[:NGRAM_PAGE_CHARS],
        )


def to_matrix(rows: list[dict[str, float]], names: list[str]) -> np.ndarray:
    """Rows of feature dicts as a float32 matrix in the order of ``names``."""
    if not rows:
        return np.zeros((0, len(names)), dtype=np.float32)
    out = None
    if len(names) >= 2:
        # every row holds every name (the featurizer's rows do): the values straight into one flat
        # float32 array, about 1.7x faster than a list of lists (the same float64 -> float32 casts)
        try:
            out = np.fromiter(chain.from_iterable(map(itemgetter(*names), rows)), dtype=np.float32,
                              count=len(rows) * len(names)).reshape(len(rows), len(names))
        except KeyError:
            pass
    if out is None:
        out = np.array([list(map(row.get, names, repeat(0.0))) for row in rows], dtype=np.float32)
    return np.nan_to_num(out, nan=0.0, posinf=1e6, neginf=-1e6)
