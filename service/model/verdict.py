"""From model probabilities to the verdict a client receives.

Thresholds come from the model manifest (:class:`Policy`), never from route
code. Actions:

* ``drop``   fabricated main text; or spam/farm blocks dominate the content;
  or a link-farm page with no separable farm block (a doorway page);
* ``strip``  injected spam or a farm block that can be cut out; ``clean_text``
  is the page without them (and without boilerplate);
* ``review`` a label is between its review and flag thresholds, or a page is
  flagged ``injected_spam`` but no spam could be located;
* ``keep``   otherwise.

A page label is flagged when the page head's probability reaches its flag
threshold, or, for the labels in ``Policy.block_flag``, when one block of that
label reaches the block-flag threshold: LABELS.md defines an
``injected_spam`` page as one that contains an ``injected_spam`` block, and a
block the block model is sure of is that evidence even where the page head,
fitted on composed pages whose inserted blocks score near 1.0, discounts it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from service.analysis.text import normalize, to_simplified
from service.model import BLOCK_LABELS, LABELS
from service.model.pipeline import PagePrediction
from service.model.reasons import block_reasons, excerpt, page_reasons

BAD_BLOCK_LABELS = ("injected_spam", "link_farm")
INLINE_CATEGORIES = ("gambling", "porn", "advert", "illicit", "url")  # url: a domain of the illegal-site list
# A lexicon term in a title, a heading or a list of a page flagged for injected spam elsewhere is the page's own
# word (a news headline on a crackdown on gambling, a tag such as 机枪 under a military story), not a substitution:
# on the composed test split, 149 such terms were cut from headings and lists, and 5 of their characters were spam.
# A hijacked title is a block span of its own (SPAM_IN_TITLE).
NO_INLINE_KINDS = frozenset(("title", "heading", "list"))
# An injected_spam block of prose (it has a sentence end) in which spam terms take at most this share is
# reported as those terms: a gambling name substituted for a school's own is stripped, the paragraph stays.
NARROW_MAX_TERM_SHARE = 0.34
NARROW_MIN_BLOCK_CHARS = 40
SENTENCE_ENDS = ("。", "！", "？", ". ")
# A page with less main content (text outside boilerplate) than this is thin: its quality falls in proportion,
# to 0 for a page with none (a script-rendered shell, a page of menus, an empty body).
THIN_CONTENT_CHARS = 100
# A block flag does not apply to a page the page head flags with the label named here. On a keyword-targeted
# fabricated page the spam words are the page's own topic, not a third party's insertion: LABELS.md labels such
# a page fabricated_listicle only, and no composed or real labelled page carries both labels.
BLOCK_FLAG_UNLESS = {"injected_spam": "fabricated_listicle"}


@dataclass(frozen=True)
class Policy:
    """Decision thresholds, read from ``manifest.json`` (``thresholds``)."""

    flag: dict[str, float]  # page label probability at or above which the label is reported
    review: dict[str, float]  # lower edge of the "a moderator should look" band
    block: dict[str, float]  # block label probability at or above which a span is reported
    drop_share: float  # strip becomes drop when bad blocks hold this share of the non-boilerplate text
    # block label -> block probability at or above which one block of that label flags the page with it
    # (absent: only the page head flags); manifests written before it have none
    block_flag: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, thresholds: dict) -> Policy:
        return cls(flag={k: float(v) for k, v in thresholds["flag"].items()},
                   review={k: float(v) for k, v in thresholds["review"].items()},
                   block={k: float(v) for k, v in thresholds["block"].items()},
                   drop_share=float(thresholds["drop_share"]),
                   block_flag={k: float(v) for k, v in thresholds.get("block_flag", {}).items()})

    def to_json(self) -> dict:
        out = {"flag": self.flag, "review": self.review, "block": self.block, "drop_share": self.drop_share}
        if self.block_flag:
            out["block_flag"] = self.block_flag
        return out


DEFAULT_THRESHOLDS = {
    "flag": {label: 0.5 for label in LABELS},
    "review": {label: 0.3 for label in LABELS},
    "block": {"injected_spam": 0.5, "link_farm": 0.5, "boilerplate": 0.5},
    "drop_share": 0.6,
}


def block_label_max(pred: PagePrediction, label: str) -> float:
    """The largest probability of ``label`` among the blocks the block model labels ``label`` (0.0 if none):
    what :attr:`Policy.block_flag` is compared with, and what threshold tuning reads."""
    proba = pred.block_proba
    if not len(proba):
        return 0.0
    j = BLOCK_LABELS.index(label)
    own = proba[proba.argmax(axis=1) == j, j]
    return float(own.max()) if own.size else 0.0


def split_flags(probs: dict[str, float], block_max: dict[str, float], flag: dict[str, float],
                block_flag: dict[str, float]) -> tuple[set[str], set[str]]:
    """The page labels reported, as two sets: those at or above their flag threshold, and those carried only by
    a block at or above its block-flag threshold (see the module docstring and ``BLOCK_FLAG_UNLESS``).
    ``block_max``: :func:`block_label_max` per label of ``block_flag``. Training's threshold tuning applies the
    same rule to scored pages."""
    head = {label for label in LABELS if probs[label] >= flag[label]}
    sure = {label for label, t in block_flag.items()
            if label not in head and BLOCK_FLAG_UNLESS.get(label) not in head and block_max.get(label, 0.0) >= t}
    return head, sure


def flagged_labels(pred: PagePrediction, policy: Policy) -> tuple[set[str], set[str]]:
    """:func:`split_flags` of one prediction under ``policy``."""
    block_max = {label: block_label_max(pred, label) for label in policy.block_flag}
    return split_flags(pred.label_proba, block_max, policy.flag, policy.block_flag)


def _main_block(pred: PagePrediction, policy: Policy) -> int | None:
    """The block kept as content when every block would be reported as boilerplate: the one the block
    classifier finds most likely content. A page always has main text (as an extractor falls back to its best
    candidate), so a short page of one paragraph between a menu and a footer keeps that paragraph in
    ``clean_text``."""
    proba = pred.block_proba
    boiler = BLOCK_LABELS.index("boilerplate")
    if not len(proba) or (proba.argmax(axis=1) != boiler).any() or \
            (proba[:, boiler] < policy.block.get("boilerplate", 0.5)).any():
        return None
    return int(proba[:, BLOCK_LABELS.index("content")].argmax())


def _block_spans(pred: PagePrediction, policy: Policy, lexicons) -> list[dict]:
    page = pred.page
    spans = []
    main = _main_block(pred, policy)
    for i, (block, proba, row) in enumerate(zip(page.blocks, pred.block_proba, pred.features.block_rows)):
        j = int(np.argmax(proba))
        label = BLOCK_LABELS[j]
        if label == "content" or proba[j] < policy.block.get(label, 0.5) or i == main:
            continue
        span = {"start": block.start, "end": block.end, "label": label, "score": round(float(proba[j]), 4),
                "reasons": block_reasons(block, row, lexicons, label, len(page.blocks)),
                "excerpt": excerpt(block.text)}
        if block.path:
            span["path"] = block.path
        spans.append(span)
    return spans


def _narrowed(pred: PagePrediction, spans: list[dict], lexicons) -> list[dict]:
    """Injected prose blocks reported as the spam terms they carry (see ``NARROW_MAX_TERM_SHARE``).

    The terms are the lexicon's and the strong words of the spam vocabulary;
    a block where none is found (a name no lexicon holds) stays whole.
    """
    from service.features.lexicon import evidence_vocabulary

    page = pred.page
    blocks = {(b.start, b.end): (b, m) for b, m in zip(page.blocks, pred.features.context.block_matches)}
    out = []
    for span in spans:
        block, matches = blocks.get((span["start"], span["end"]), (None, None))
        if span["label"] != "injected_spam" or block is None or len(block.text) < NARROW_MIN_BLOCK_CHARS or \
                not any(end in block.text for end in SENTENCE_ENDS):
            out.append(span)
            continue
        terms = {term for _, _, term, cats in matches if any(c in INLINE_CATEGORIES for c in cats)}
        terms.update(evidence_vocabulary(block.norm, lexicons))  # the block's cached normal form
        folded = _folded(block.text)
        found = _merge([hit for term in terms for hit in _find_raw(block, term, folded)])
        if not found or sum(e - s for s, e in found) > NARROW_MAX_TERM_SHARE * len(block.text):
            out.append(span)
            continue
        for start, end in found:
            out.append({**span, "start": start, "end": end, "excerpt": page.text[start:end], "inline": True})
    return out


def _merge(hits: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching offsets merged ("永利" + "集团网站" found apart -> one span when adjacent)."""
    out: list[list[int]] = []
    for start, end in sorted(hits):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _title_line(page) -> tuple[int, int]:
    """Where a text page's headline (the line :func:`~service.analysis.textblocks.guess_title` took) is in its
    text; ``(0, 0)`` for an HTML page, whose ``<title>`` and headings are blocks of their own kinds."""
    if page.source != "text" or not page.title:
        return 0, 0
    start = page.text.find(page.title)
    return (start, start + len(page.title)) if start >= 0 else (0, 0)


def _inline_spans(pred: PagePrediction, taken: list[dict], lexicons) -> list[dict]:
    """Spam terms inside content blocks (a gambling brand substituted for a school's name), except in titles,
    headings and lists (see ``NO_INLINE_KINDS``) and a text page's headline line."""
    from service.model.reasons import LEX_REASON

    page = pred.page
    covered = [(s["start"], s["end"]) for s in taken if s["label"] in BAD_BLOCK_LABELS]
    title_start, title_end = _title_line(page)
    out = []
    for block, matches in zip(page.blocks, pred.features.context.block_matches):
        if block.kind in NO_INLINE_KINDS or any(s <= block.start and block.end <= e for s, e in covered):
            continue
        folded = None
        for _, _, term, cats in matches:
            category = next((c for c in INLINE_CATEGORIES if c in cats), None)
            if not category:
                continue
            folded = _folded(block.text) if folded is None else folded
            for start, end in _find_raw(block, term, folded):
                if start < title_end and end > title_start:  # the page's own word in its headline
                    continue
                out.append({"start": start, "end": end, "label": "injected_spam", "score": round(
                    pred.label_proba["injected_spam"], 4), "reasons": [LEX_REASON[category]],
                    "excerpt": page.text[start:end], "inline": True})
    return _dedupe(out)


def _folded(text: str) -> str:
    """``text`` under NFKC, simplified script and lower case, without folding white space (the normal form's
    other step), so that it usually keeps the text's length: :func:`_find_raw` takes it once per block."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def _find_raw(block, term: str, folded: str):
    """Offsets in the page text of a normalised term found in ``block`` (``folded``: :func:`_folded` of its text).

    Normalisation (NFKC, simplified script, lower case) keeps the length of
    almost every text, giving a 1:1 offset map, and each hit is checked
    against the text it points at: a character that shrinks before it and
    one that grows after it (a decomposed é, then ﬁ) keep the length and
    shift what lies between. Otherwise a slower scan normalises candidate
    windows one by one.
    """
    text = block.text
    width, hits = len(term), []
    if len(folded) == len(text):
        i = folded.find(term)
        while i >= 0 and len(hits) < 10:
            if normalize(text[i:i + width]) != term:  # shifted: scan instead
                hits = []
                break
            hits.append((block.start + i, block.start + i + width))
            i = folded.find(term, i + width)
        else:
            return hits
    i = 0
    while i + width <= len(text) and len(hits) < 10:
        if normalize(text[i:i + width]) == term:
            hits.append((block.start + i, block.start + i + width))
            i += width
        else:
            i += 1
    return hits


def _dedupe(spans: list[dict]) -> list[dict]:
    seen, out = set(), []
    for span in sorted(spans, key=lambda s: (s["start"], -s["end"])):
        key = (span["start"], span["end"])
        if key not in seen and not any(s["start"] <= span["start"] and span["end"] <= s["end"] for s in out):
            seen.add(key)
            out.append(span)
    return out


def quality(clean_proba: float, main_chars: int, content_share: float) -> float:
    """The calibrated probability of a clean page, times a factor for its share of main content (from 1, all
    content, down to 0.6) and one for how much main content it has (in proportion below THIN_CONTENT_CHARS, so
    0 for a page with none)."""
    thin = min(1.0, main_chars / THIN_CONTENT_CHARS)
    return round(clean_proba * (0.6 + 0.4 * content_share) * thin, 4)


def decide(pred: PagePrediction, policy: Policy, lexicons) -> dict:
    """The verdict body (without request id and model version)."""
    page = pred.page
    probs = pred.label_proba
    head_flagged, block_flagged = flagged_labels(pred, policy)
    flagged = head_flagged | block_flagged
    near = {label for label in LABELS if policy.review[label] <= probs[label] < policy.flag[label]} - flagged
    spans = _narrowed(pred, _block_spans(pred, policy, lexicons), lexicons)
    if "injected_spam" in flagged:  # terms in content blocks, and in narrowed blocks where the lexicon saw more
        inline = _dedupe([s for s in spans if s.get("inline")] + _inline_spans(pred, spans, lexicons))
        spans = sorted([s for s in spans if not s.get("inline")] + inline, key=lambda s: (s["start"], s["end"]))
    bad = [s for s in spans if s["label"] in BAD_BLOCK_LABELS]
    boiler = [s for s in spans if s["label"] == "boilerplate"]
    block_chars = sum(len(b.text) for b in page.blocks)
    main_chars = max(0, block_chars - sum(s["end"] - s["start"] for s in boiler))
    bad_share = sum(s["end"] - s["start"] for s in bad if not s.get("inline")) / max(1, main_chars)

    if "fabricated_listicle" in flagged:
        action = "drop"
    elif flagged & {"injected_spam", "link_farm"}:
        farm_spans = [s for s in bad if s["label"] == "link_farm"]
        spam_spans = [s for s in bad if s["label"] == "injected_spam"]
        if bad_share >= policy.drop_share:
            action = "drop"
        elif "link_farm" in flagged and not farm_spans:
            action = "drop"  # the page itself is the farm (doorway, stub, stitched mirror)
        elif "injected_spam" in flagged and not spam_spans:
            action = "review"  # spam is likely but could not be located
        else:
            action = "strip"
    elif near:
        action = "review"
    else:
        action = "keep"

    # stripped: boilerplate, and the blocks of the labels the page is flagged with. A block over its block
    # threshold on a page not flagged with its label is reported, but the page-level decision governs what
    # is cut, so a clean page does not lose a list or a paragraph its block model doubted.
    removed = [(s["start"], s["end"]) for s in spans if s["label"] == "boilerplate" or s["label"] in flagged]
    clean_text = _without(page.text, page.blocks, removed)
    content_share = main_chars / block_chars if block_chars else 0.0
    reasons = page_reasons(pred, flagged, near, spans, lexicons,
                           {label: policy.block_flag[label] for label in block_flagged})
    return {
        "language": page.language,
        "labels": {label: round(probs[label], 4) for label in LABELS},
        "flags": sorted(flagged, key=LABELS.index),
        "quality": quality(pred.clean_proba, main_chars, content_share),
        "action": action,
        "spans": spans,
        "text": page.text,
        "clean_text": clean_text,
        "reasons": [r.to_json() for r in reasons],
    }


def _without(text: str, blocks, removed: list[tuple[int, int]]) -> str:
    """The page's blocks with removed spans cut out, joined by blank lines."""
    removed = sorted(removed)
    parts = []
    # one sweep: the spans that start before a block's end and end after its start, in order (every span checked
    # against every block made a page of thousands of short blocks quadratic: 8,000 paragraphs took 5 s)
    active: list[tuple[int, int]] = []
    upcoming = 0
    for block in blocks:  # in text order
        while upcoming < len(removed) and removed[upcoming][0] < block.end:
            active.append(removed[upcoming])
            upcoming += 1
        active = [(s, e) for s, e in active if e > block.start]
        cuts = [(max(s, block.start), min(e, block.end)) for s, e in active]
        if not cuts:
            parts.append(block.text)
            continue
        pieces, pos = [], block.start
        for s, e in cuts:
            if s > pos:
                pieces.append(text[pos:s])
            pos = max(pos, e)
        pieces.append(text[pos:block.end])
        kept = "".join(pieces).strip()
        if kept and sum(e - s for s, e in cuts) < len(block.text):
            parts.append(kept)
    return "\n\n".join(parts)
