"""The page text cut into segments, each with the label of the span that covers it (for the item view).

Rendering escapes every piece (Jinja autoescape); this module only computes
offsets, so no markup is ever built from page text here.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.model import BLOCK_LABELS

PRIORITY = {"injected_spam": 3, "link_farm": 2, "boilerplate": 1, "content": 0}


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    label: str | None  # None: not covered by any span
    span: int | None  # index of the span in the verdict's list


def labelled_spans(n: int, spans: list[dict]) -> list[tuple[int, int, str, int]]:
    """``(start, end, label, index)`` of the spans with a block label and some text, clipped to ``[0, n)``."""
    clean = []
    for i, s in enumerate(spans):
        start, end = max(0, int(s.get("start", 0))), min(n, int(s.get("end", 0)))
        label = s.get("label") if s.get("label") in BLOCK_LABELS else None
        if start < end and label:
            clean.append((start, end, label, i))
    return clean


def segments(text: str, spans: list[dict]) -> list[Segment]:
    """Consecutive, non-overlapping segments covering ``text``; overlapping spans resolve by label priority."""
    n = len(text)
    clean = labelled_spans(n, spans)
    cuts = sorted({0, n, *(s for s, _, _, _ in clean), *(e for _, e, _, _ in clean)})
    # one sweep over the cuts: the spans covering [a, b) are those started at or before a and not ended by then
    # (no cut lies inside it); checking every span at every cut was quadratic on a page of thousands of spans
    by_start = sorted(clean)
    upcoming = 0
    active: list[tuple[int, int, str, int]] = []
    out: list[Segment] = []
    for a, b in zip(cuts, cuts[1:]):
        while upcoming < len(by_start) and by_start[upcoming][0] <= a:
            active.append(by_start[upcoming])
            upcoming += 1
        active = [c for c in active if c[1] > a]
        if active:
            # the highest priority, then the shortest, then the first in the verdict's order
            best = max(active, key=lambda c: (PRIORITY[c[2]], -(c[1] - c[0]), -c[3]))
            seg = Segment(a, b, best[2], best[3])
        else:
            seg = Segment(a, b, None, None)
        if out and out[-1].label == seg.label and out[-1].span == seg.span:
            out[-1] = Segment(out[-1].start, b, seg.label, seg.span)
        else:
            out.append(seg)
    return out
