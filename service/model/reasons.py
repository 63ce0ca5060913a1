"""Reason codes: the named, documented explanations every verdict carries.

Each code has the label it supports and a description; :func:`explain`
fires codes from the model's feature values and block predictions and
attaches the evidence (matched terms, excerpts, counts) and offsets. The
cut-offs here decide only when an explanation is worth showing; actions
come from the thresholds in the model manifest (service/model/verdict.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.features.lexicon import VOCAB_CATEGORIES, evidence_terms, evidence_vocabulary
from service.features.script import PINYIN_RESIDUE
from service.features.style import DOCFARM, EN_STOCK, ZH_STOCK


@dataclass(frozen=True)
class ReasonCode:
    code: str
    label: str  # page label it supports, or "boilerplate" / "quality"
    description: str


_CODES = [
    ReasonCode("PORN_KEYWORD_CHAIN", "injected_spam", "Pornographic search keywords, typically chained with _ , 丨 or |"),
    ReasonCode("GAMBLING_KEYWORDS", "injected_spam", "Gambling or lottery brand names and keywords"),
    ReasonCode("ADVERT_KEYWORD_CHAIN", "injected_spam", "Advertising or SEO keyword strings (web design, invoices, loans, private servers)"),
    ReasonCode("ILLICIT_KEYWORDS", "injected_spam", "Drugs, weapons or forged-document keywords"),
    ReasonCode("SPAM_DOMAIN_IN_TEXT", "injected_spam", "The text names a domain from the illegal-site list"),
    ReasonCode("HIDDEN_LINK_BLOCK", "injected_spam", "A block hidden by CSS (display:none, off-screen, 1px, same colour) carries text or links"),
    ReasonCode("OFFTOPIC_BLOCK", "injected_spam", "A block shares almost no vocabulary with the rest of the page"),
    ReasonCode("SPAM_VOCABULARY", "injected_spam", "Words typical of spam keyword lists (porn, gambling, drugs, "
               "adverts) make up much of the block or recur across its keyword chain"),
    ReasonCode("SPAM_IN_TITLE", "injected_spam", "Spam keywords replace or prefix the page title or first line"),
    ReasonCode("SCRIPT_MISMATCH_BLOCK", "injected_spam", "A simplified-script block inside a traditional-script page"),
    ReasonCode("OFFTOPIC_HEADLINE_LIST", "link_farm", "A long list of headlines unrelated to each other and to the page"),
    ReasonCode("OFFSITE_LINK_WALL", "link_farm", "A wall of links pointing to other sites"),
    ReasonCode("KEYWORD_STUB_PAGE", "link_farm", "A near-empty page whose address is a tag, search or keyword stub"),
    ReasonCode("STITCHED_SNIPPETS", "link_farm", "Paragraphs from unrelated stories stitched into one page"),
    ReasonCode("THROWAWAY_HOST", "link_farm", "A random-looking subdomain or path, as doorway mirrors use"),
    ReasonCode("CONTENT_FARM_DOMAIN", "link_farm", "The host is on a content-farm or cloner blocklist"),
    ReasonCode("STOCK_PHRASES", "fabricated_listicle", "Stock filler phrases (助力…新篇章, 总之, in today's fast-paced…)"),
    ReasonCode("NUMBERED_MEASURES_LIST", "fabricated_listicle", "A numbered list of generic 'measures' (加强…, 优化…, 推进…)"),
    ReasonCode("LOW_SPECIFICITY", "fabricated_listicle", "Long text with few numbers, dates or named sources"),
    ReasonCode("HEADLINE_RESTATED", "fabricated_listicle", "The headline is restated in the first and last paragraphs"),
    ReasonCode("DOCUMENT_FARM_MARKERS", "fabricated_listicle", "Document-farm markers (范文, 文档页数, 还剩N页未读, 篇1)"),
    ReasonCode("REPETITIVE_TEXT", "fabricated_listicle", "Sentences or the headline keyword repeated throughout"),
    ReasonCode("MACHINE_STYLE", "fabricated_listicle", "The wording matches machine-written or template filler (n-gram model)"),
    ReasonCode("SITE_FURNITURE", "boilerplate", "Menus, share bars, bylines, related-link boxes and footers of the site"),
    ReasonCode("BROKEN_CONVERSION", "quality", "Pinyin left in the text by a broken simplified-to-traditional conversion"),
    ReasonCode("SURE_BLOCK", "any", "A block the block model is sure carries the label (at or above the model's "
               "block_flag threshold) flags the page, whatever the page model's score"),
    ReasonCode("MODEL_SCORE", "any", "The page model's score, without a more specific rule firing"),
]
REASONS: dict[str, ReasonCode] = {c.code: c for c in _CODES}


@dataclass
class Reason:
    code: str
    evidence: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict:
        info = REASONS[self.code]
        return {"code": self.code, "label": info.label, "description": info.description,
                "evidence": self.evidence[:8], "spans": [list(s) for s in self.spans[:20]]}


LEX_REASON = {"porn": "PORN_KEYWORD_CHAIN", "gambling": "GAMBLING_KEYWORDS", "advert": "ADVERT_KEYWORD_CHAIN",
              "illicit": "ILLICIT_KEYWORDS", "url": "SPAM_DOMAIN_IN_TEXT"}
OFFTOPIC_SIM = 0.05
VOCAB_REASON_SHARE = 0.3  # share of a block (or of its chain's segments) made of spam vocabulary
HEADLINE_LIST_MIN_ITEMS = 12
INCOHERENT_LIST = 0.05
LOW_SPEC_MIN_CHARS = 400


def excerpt(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def block_reasons(block, row: dict, lexicons, label: str, n_blocks: int) -> list[str]:
    """Codes explaining why one block got ``label`` (most specific first)."""
    codes: list[str] = []
    if label == "injected_spam":
        for category, code in LEX_REASON.items():
            if row.get(f"lex_{category}_hits", 0) > 0:
                codes.append(code)
        if (row.get("lex_vocab_chain_hit_share", 0) >= VOCAB_REASON_SHARE
                or any(row.get(f"lex_{c}_vocab_share", 0) >= VOCAB_REASON_SHARE for c in VOCAB_CATEGORIES)):
            codes.append("SPAM_VOCABULARY")
        if block.hidden:
            codes.append("HIDDEN_LINK_BLOCK")
        if (block.index == 0 or block.kind == "title") and codes:
            codes.append("SPAM_IN_TITLE")
        if row.get("script_mismatch", 0) > 0.3:
            codes.append("SCRIPT_MISMATCH_BLOCK")
        if row.get("topic_sim_rest", 1) < OFFTOPIC_SIM:
            codes.append("OFFTOPIC_BLOCK")
    elif label == "link_farm":
        if block.n_items >= HEADLINE_LIST_MIN_ITEMS and row.get("topic_item_coherence", 1) < INCOHERENT_LIST:
            codes.append("OFFTOPIC_HEADLINE_LIST")
        if block.n_offsite_links >= 10:
            codes.append("OFFSITE_LINK_WALL")
        if block.hidden:
            codes.append("HIDDEN_LINK_BLOCK")
    elif label == "boilerplate":
        codes.append("SITE_FURNITURE")
    return codes or (["MODEL_SCORE"] if label != "content" else [])


def page_reasons(pred, flagged: set[str], near: set[str], spans: list[dict], lexicons,
                 block_flagged: dict[str, float] | None = None) -> list[Reason]:
    """Reasons for the page's flagged and near-threshold labels, with their evidence.

    ``block_flagged``: label -> block-flag threshold, for the labels a sure block flagged (not the page head).
    """
    page = pred.page
    row = pred.features.page_row
    out: list[Reason] = []
    wanted = flagged | near

    def add(code: str, evidence: list[str], where: list[tuple[int, int]] | None = None) -> None:
        out.append(Reason(code, [e for e in evidence if e], where or []))

    # Span-borne reasons: gather evidence from the spans that carry them.
    by_code: dict[str, Reason] = {}
    for span in spans:
        if span["label"] == "boilerplate":
            continue
        block_text = page.text[span["start"]:span["end"]]
        for code in span["reasons"]:
            reason = by_code.setdefault(code, Reason(code))
            category = next((c for c, rc in LEX_REASON.items() if rc == code), None)
            if category or code == "SPAM_VOCABULARY":
                from service.analysis.text import normalize

                found = evidence_terms(normalize(block_text), lexicons, category) if category else \
                    evidence_vocabulary(normalize(block_text), lexicons)
                reason.evidence.extend(t for t in found if t not in reason.evidence)
            elif not reason.evidence or len(reason.evidence) < 3:
                reason.evidence.append(excerpt(block_text))
            reason.spans.append((span["start"], span["end"]))
    out.extend(by_code.values())

    if "link_farm" in wanted:
        if row.get("url_stub_path") or row.get("url_search_param") or row.get("url_hash_segment"):
            if len(page.text) < 300:
                add("KEYWORD_STUB_PAGE", [page.url, excerpt(page.text, 60)])
        if row.get("url_random_subdomain"):
            add("THROWAWAY_HOST", [page.host])
        if row.get("url_farm_domain"):
            add("CONTENT_FARM_DOMAIN", [page.host])
        if row.get("page_paragraph_sim_min", 1) >= 0 and row.get("page_paragraph_sim_mean", 1) < 0.15:
            paragraphs = [b for b in page.blocks if b.kind == "paragraph" and len(b.text) >= 60]
            add("STITCHED_SNIPPETS", [excerpt(b.text, 50) for b in paragraphs[:4]],
                [(b.start, b.end) for b in paragraphs[:8]])
    if "fabricated_listicle" in wanted:
        norm = page.norm
        stock = [p for p in ZH_STOCK + EN_STOCK if p in norm]
        if len(stock) >= 3:
            add("STOCK_PHRASES", stock)
        if row.get("style_measure_items", 0) >= 3:
            items = [i for b in page.blocks if b.kind == "list" for i in b.items][:5]
            add("NUMBERED_MEASURES_LIST", [excerpt(i, 40) for i in items])
        if len(norm) >= LOW_SPEC_MIN_CHARS and row.get("style_sources_per1k", 1) < 1 and row.get("style_dates_per1k", 1) < 1:
            add("LOW_SPECIFICITY", [f"{row.get('style_digits_per1k', 0):.1f} numbers, "
                                    f"{row.get('style_dates_per1k', 0):.1f} dates, "
                                    f"{row.get('style_sources_per1k', 0):.1f} sources per 1,000 characters"])
        if row.get("style_title_in_first", 0) > 0.6 and row.get("style_title_in_last", 0) > 0.6:
            add("HEADLINE_RESTATED", [page.title])
        markers = sorted(set(m if isinstance(m, str) else m[0] for m in DOCFARM.findall(norm)))
        if markers:
            add("DOCUMENT_FARM_MARKERS", markers)
        if row.get("style_dup_sentence_share", 0) > 0.1 or row.get("style_title_repeats_per1k", 0) > 3:
            add("REPETITIVE_TEXT", [page.title])
        if pred.page_text_scores.get("fabricated_listicle", 0) > 0.5:
            add("MACHINE_STYLE", [f"n-gram score {pred.page_text_scores['fabricated_listicle']:.2f}"])
    residue = PINYIN_RESIDUE.findall(page.text)
    if residue:
        add("BROKEN_CONVERSION", sorted(set(residue))[:8],
            [(m.start(), m.end()) for m in re.finditer(PINYIN_RESIDUE, page.text)][:20])
    for label, threshold in sorted((block_flagged or {}).items()):
        sure = [s for s in spans if s["label"] == label and s["score"] >= threshold]
        add("SURE_BLOCK", [f"{label} block {s['score']:.3f} (block_flag {threshold})" for s in sure[:3]],
            [(s["start"], s["end"]) for s in sure])
    # a label a sure block flagged is explained by SURE_BLOCK, not by a page score under its threshold
    covered = {REASONS[r.code].label for r in out} | set(block_flagged or {})
    for label in sorted(flagged - covered):
        evidence = f"{label} {pred.label_proba[label]:.2f}"
        model_score = next((r for r in out if r.code == "MODEL_SCORE"), None)
        if model_score is None:  # one MODEL_SCORE reason, whether a span or the page score brought it
            add("MODEL_SCORE", [evidence])
        else:
            model_score.evidence.append(evidence)
    return out
