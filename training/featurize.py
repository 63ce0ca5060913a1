"""Featurize composed examples (in parallel) into light, picklable rows."""

from __future__ import annotations

from dataclasses import dataclass

from joblib import Parallel, delayed

from service.features.featurizer import Featurizer
from service.model import BLOCK_LABELS
from training.examples import Example


@dataclass
class Row:
    """One featurized page with its gold labels."""

    example_id: str
    split: str
    site: str
    recipe: str
    lang: str
    labels: list[str]
    block_rows: list[dict]
    block_texts: list[str]
    block_labels: list[int]  # index into BLOCK_LABELS
    block_spans: list[tuple[int, int]]
    block_lengths: list[int]
    page_row: dict
    page_text: str
    gold_spans: list[tuple[int, int, str]]
    text_length: int


def featurize_example(ex: Example, featurizer: Featurizer) -> Row:
    page = ex.build()
    feats = featurizer.featurize(page)
    spans = ex.located_spans(page)
    block_labels = [BLOCK_LABELS.index(lab) for lab in ex.block_labels(page, spans)]
    return Row(example_id=ex.example_id, split=ex.split, site=ex.site, recipe=ex.recipe, lang=ex.lang,
               labels=list(ex.labels), block_rows=feats.block_rows, block_texts=feats.block_texts,
               block_labels=block_labels, block_spans=[(b.start, b.end) for b in page.blocks],
               block_lengths=[len(b.text) for b in page.blocks], page_row=feats.page_row,
               page_text=feats.page_text, gold_spans=spans, text_length=len(page.text))


def _chunk(examples: list[Example], featurizer: Featurizer) -> list[Row]:
    return [featurize_example(ex, featurizer) for ex in examples]


def featurize_all(examples: list[Example], featurizer: Featurizer, n_jobs: int = 2,
                  progress: bool = False) -> list[Row]:
    size = 200
    chunks = [examples[i:i + size] for i in range(0, len(examples), size)]
    if progress:
        from tqdm import tqdm

        chunks = tqdm(chunks, desc="featurize", unit="chunk")
    results = Parallel(n_jobs=n_jobs)(delayed(_chunk)(c, featurizer) for c in chunks)
    return [row for chunk in results for row in chunk]
