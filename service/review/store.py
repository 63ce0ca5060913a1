"""Queue records and how they are written: pure record building, then one upsert per page id.

A *record* is a JSON-serialisable dict (so the same thing goes to the
database, to the in-process queue and to the spool file): ``kind`` is
``"item"`` (a page to review) or ``"feedback"`` (a client's report, with an
optional ``item`` to create). Writing is idempotent per page id, so
replaying a spool twice, or two workers writing the same page, is harmless.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from service.analysis.text import normalize
from service.model import LABELS
from service.review import campaigns
from service.storage.models import Campaign, CampaignBand, CampaignSpan, Feedback, ReviewItem

# Search (``q``) covers the url and the first SEARCH_CHARS characters of a page's text: it is a LIKE '%term%' that
# reads every candidate row's search copy on SQLite and PostgreSQL alike, so the cap bounds both that scan and the
# copy's storage (a page's text may run to megabytes). README and the OpenAPI document state the figure.
SEARCH_CHARS = 20_000
SOURCE_RANK = {"sample": 0, "review": 1, "feedback": 2}  # a stronger reason to look replaces a weaker one
VERDICT_KEYS = ("language", "labels", "flags", "quality", "action", "spans", "reasons")


def site_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "")[:255]
    except ValueError:
        return ""


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def item_record(verdict: dict, page_request, thresholds: dict | None, source: str, max_html_bytes: int,
                classified_at: str | None = None) -> dict:
    """What a moderator needs to decide without re-crawling, taken from a verdict and its request.

    ``classified_at`` (ISO 8601) is when the verdict was made, default now: a record built later from a cached
    verdict must carry its own time, or it would count as newer than verdicts classified after it."""
    flag = (thresholds or {}).get("flag") or {label: 0.5 for label in LABELS}
    review = (thresholds or {}).get("review") or {label: 0.3 for label in LABELS}
    probs = {label: float(verdict.get("labels", {}).get(label, 0.0)) for label in LABELS}
    flags = list(verdict.get("flags") or [])
    proposed = [label for label in LABELS if label in flags or probs[label] >= review.get(label, 0.3)]
    ratio = {label: probs[label] / max(flag.get(label, 0.5), 1e-6) for label in LABELS}
    top = max(LABELS, key=lambda label: (ratio[label], -LABELS.index(label)))
    top_label = top if proposed else "none"
    html, truncated = getattr(page_request, "html", None), False
    if html is not None:
        raw = html.encode("utf-8", "surrogatepass")
        if len(raw) > max_html_bytes:
            html, truncated = raw[:max_html_bytes].decode("utf-8", "ignore"), True
    url = verdict.get("url") or getattr(page_request, "url", "") or ""
    return {
        "kind": "item", "page_id": verdict.get("id") or getattr(page_request, "id", ""), "url": url,
        "site": site_of(url), "language": verdict.get("language") or "", "model_version": verdict.get("model_version")
        or "", "action": verdict.get("action") or "review", "top_label": top_label,
        "score": probs[top] if proposed else max(probs.values()),
        "uncertainty": round(min(abs(_logit(probs[label]) - _logit(flag.get(label, 0.5))) for label in LABELS), 6),
        "quality": float(verdict.get("quality") or 0.0), "flags": flags, "proposed_labels": proposed,
        "reason_codes": " ".join(dict.fromkeys(r.get("code", "") for r in verdict.get("reasons") or [])),
        "verdict": {k: verdict[k] for k in VERDICT_KEYS if k in verdict}, "text": verdict.get("text") or "",
        "html": html, "html_truncated": truncated, "source": source, "classified_at": classified_at or now_iso(),
    }


def _logit(p: float) -> float:
    """Log-odds: thresholds sit at 0.1 for one label and 0.84 for another, so distances are compared here."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _columns(rec: dict) -> dict:
    """Row values for a record (search text and label set derived here, once)."""
    proposed = rec.get("proposed_labels") or []
    return {
        "page_id": rec["page_id"], "url": rec.get("url", ""), "site": rec.get("site", ""),
        "language": rec.get("language", ""), "model_version": rec.get("model_version", ""),
        "action": rec.get("action", "review"), "top_label": rec.get("top_label", "none"),
        "score": float(rec.get("score", 0.0)), "uncertainty": float(rec.get("uncertainty", 1.0)),
        "quality": float(rec.get("quality", 0.0)), "flags": rec.get("flags") or [], "proposed_labels": proposed,
        "label_set": " " + " ".join(proposed or ["none"]) + " ", "reason_codes": rec.get("reason_codes", ""),
        "verdict": rec.get("verdict") or {}, "text": rec.get("text", ""), "html": rec.get("html"),
        "html_truncated": bool(rec.get("html_truncated")),
        "search_text": normalize(rec.get("url", "") + " " + rec.get("text", "")[:SEARCH_CHARS]),
        "source": rec.get("source", "review"), "classified_at": _parse_time(rec.get("classified_at")),
    }


def in_transaction(database_url: str, work):
    """Run ``work(session)`` in a transaction; retried once when a concurrent writer inserted the same page
    first (the unique page id makes the second attempt take the update path)."""
    from sqlalchemy.exc import IntegrityError

    from service.storage.db import session_scope

    for attempt in (1, 2):
        try:
            with session_scope(database_url) as session:
                return work(session)
        except IntegrityError:
            if attempt == 2:
                raise
    return None  # unreachable


def write_record(session: Session, rec: dict) -> ReviewItem | None:
    """Apply one record (item or feedback) inside the caller's transaction."""
    if rec.get("kind") == "feedback":
        from service.review.feedback_store import apply_feedback

        return apply_feedback(session, rec)[0]
    return upsert_item(session, rec)


def upsert_item(session: Session, rec: dict) -> ReviewItem:
    """Insert a page, or refresh a pending one whose verdict changed; never touch a decided verdict.

    The refresh is ``UPDATE ... WHERE id = :id AND version = :read AND status = 'pending'``, as a decision is:
    a page decided (or refreshed) by another worker between the read and the write is read again, and a decided
    one is left as the moderator decided it, so a decision never ends up on a text it was not made on. A record
    classified before the stored verdict (an old one replayed from the spool) does not replace it either."""
    values = _columns(rec)
    item = session.scalar(select(ReviewItem).where(ReviewItem.page_id == values["page_id"]))
    if item is None:
        item = ReviewItem(**values, status="pending", version=1)
        session.add(item)
        session.flush()
        _attach_orphan_feedback(session, item)
        assign_campaigns(session, item)
        return item
    if SOURCE_RANK.get(values["source"], 0) > SOURCE_RANK.get(item.source, 0):
        item.source = values["source"]
        session.flush()
    fresh = {key: value for key, value in values.items() if key not in {"source", "page_id"}}
    while item.status == "pending" and _replaces(values, item):
        refreshed = session.execute(
            update(ReviewItem).where(ReviewItem.id == item.id, ReviewItem.version == item.version,
                                     ReviewItem.status == "pending")
            .values(**fresh, version=item.version + 1).execution_options(synchronize_session=False))
        session.refresh(item)  # what the row holds now: this verdict, or what a concurrent writer left
        if refreshed.rowcount == 1:
            assign_campaigns(session, item)
            break
    return item


def _replaces(values: dict, item: ReviewItem) -> bool:
    """Whether the record's verdict replaces the item's: it differs from it and was not classified before it."""
    stored = item.classified_at if item.classified_at.tzinfo else item.classified_at.replace(tzinfo=UTC)
    changed = (item.model_version, item.verdict) != (values["model_version"], values["verdict"])
    return changed and values["classified_at"] >= stored


def _attach_orphan_feedback(session: Session, item: ReviewItem) -> None:
    """Feedback that arrived (through the spool) before its page did now points at the page."""
    session.execute(update(Feedback).where(Feedback.page_id == item.page_id, Feedback.item_id.is_(None))
                    .values(item_id=item.id))


def assign_campaigns(session: Session, item: ReviewItem) -> int:
    """Give each bad span of the item a campaign (an existing near-duplicate one or a new one)."""
    if session.bind.dialect.name == "postgresql":  # one assigner at a time across workers
        session.execute(text("SELECT pg_advisory_xact_lock(7310003)"))
    old = set(session.scalars(select(CampaignSpan.campaign_id).where(CampaignSpan.item_id == item.id)))
    if old:
        span_ids = select(CampaignSpan.id).where(CampaignSpan.item_id == item.id)
        session.execute(CampaignBand.__table__.delete().where(CampaignBand.span_id.in_(span_ids)))
        session.execute(CampaignSpan.__table__.delete().where(CampaignSpan.item_id == item.id))
    primary = 0
    for label, span_text in campaigns.campaign_spans({"text": item.text, **item.verdict}):
        sig = campaigns.signature(span_text)
        if sig is None:
            continue
        keys = campaigns.band_keys(sig)
        candidates = session.execute(
            select(CampaignSpan.campaign_id, CampaignSpan.signature).join(
                CampaignBand, CampaignBand.span_id == CampaignSpan.id).where(
                CampaignBand.band_key.in_(keys)).distinct()).all()
        scored = sorted(((campaigns.similarity(sig, campaigns.from_hex(s)), -cid) for cid, s in candidates),
                        reverse=True)
        if scored and scored[0][0] >= campaigns.MIN_SIMILARITY:
            campaign_id = -scored[0][1]
        else:
            campaign = Campaign(label=label, excerpt=span_text[:300], size=0)
            session.add(campaign)
            session.flush()
            campaign_id = campaign.id
        span = CampaignSpan(item_id=item.id, campaign_id=campaign_id, signature=campaigns.to_hex(sig))
        session.add(span)
        session.flush()
        session.add_all(CampaignBand(band_key=key, span_id=span.id) for key in keys)
        primary = primary or campaign_id
    item.campaign_id = primary
    if not primary:
        item.campaign_size = 0
    session.flush()
    touched = old | set(session.scalars(select(CampaignSpan.campaign_id).where(CampaignSpan.item_id == item.id)))
    for campaign_id in touched:
        refresh_campaign_size(session, campaign_id)
    return primary


def refresh_campaign_size(session: Session, campaign_id: int) -> int:
    """Recount a campaign's items and copy the size onto them (the list sorts by it).

    An item counts in the campaign of its main chain (its ``campaign_id``), as the campaign filter, the campaign
    decision and the pending count take it; a second chain on the page does not count it in a second campaign."""
    size = session.scalar(select(func.count()).select_from(ReviewItem)
                          .where(ReviewItem.campaign_id == campaign_id)) or 0
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(size=size))
    session.execute(update(ReviewItem).where(ReviewItem.campaign_id == campaign_id).values(campaign_size=size))
    return size
