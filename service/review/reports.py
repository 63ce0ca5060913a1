"""Read models shared by the JSON API and the HTML pages: an item in full, the audit trail, stats."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.model import LABELS
from service.review.decisions import STATE_CHANGING, current_labels
from service.review.queries import _jsonable
from service.storage.models import Campaign, Decision, Feedback, ReviewItem

CAMPAIGN_MEMBERS = 25


def decision_json(d: Decision) -> dict:
    return {"id": d.id, "item_id": d.item_id, "moderator": d.moderator, "via": d.via, "decision": d.decision,
            "status": d.status, "old_labels": d.old_labels, "new_labels": d.new_labels, "old_spans": d.old_spans,
            "new_spans": d.new_spans, "model_version": d.model_version, "item_version": d.item_version,
            "bulk_id": d.bulk_id, "reverts_id": d.reverts_id, "note": d.note, "created_at": _jsonable(d.created_at),
            "reverted_by": d.reverted_by, "reverted_at": _jsonable(d.reverted_at) if d.reverted_at else None}


def campaign_json(session: Session, campaign_id: int, exclude: int | None = None) -> dict | None:
    campaign = session.get(Campaign, campaign_id) if campaign_id else None
    if campaign is None:
        return None
    members = session.execute(
        select(ReviewItem.id, ReviewItem.site, ReviewItem.url, ReviewItem.status, ReviewItem.final_labels)
        .where(ReviewItem.campaign_id == campaign_id, ReviewItem.id != (exclude or 0))
        .order_by(ReviewItem.id).limit(CAMPAIGN_MEMBERS)).all()
    pending = session.scalar(select(func.count()).select_from(ReviewItem).where(
        ReviewItem.campaign_id == campaign_id, ReviewItem.status == "pending"))
    return {"id": campaign.id, "label": campaign.label, "excerpt": campaign.excerpt, "size": campaign.size,
            "pending": pending, "members": [{"id": m.id, "site": m.site, "url": m.url, "status": m.status,
                                             "labels": m.final_labels} for m in members]}


def item_detail(session: Session, item: ReviewItem) -> dict:
    """Everything the item view shows, as JSON."""
    labels, spans = current_labels(item)
    history = session.scalars(select(Decision).where(Decision.item_id == item.id).order_by(Decision.id))
    feedback = session.scalars(select(Feedback).where(Feedback.item_id == item.id).order_by(Feedback.id))
    return {
        "id": item.id, "page_id": item.page_id, "url": item.url, "site": item.site, "language": item.language,
        "model_version": item.model_version, "action": item.action, "top_label": item.top_label,
        "score": item.score, "uncertainty": item.uncertainty, "quality": item.quality, "flags": item.flags,
        "proposed_labels": item.proposed_labels, "labels": item.verdict.get("labels", {}),
        "spans": item.verdict.get("spans", []), "reasons": item.verdict.get("reasons", []), "text": item.text,
        "html": item.html, "html_truncated": item.html_truncated, "source": item.source,
        "classified_at": _jsonable(item.classified_at), "status": item.status, "version": item.version,
        "decision": item.decision, "current_labels": labels, "current_spans": spans, "decided_by": item.decided_by,
        "decided_at": _jsonable(item.decided_at) if item.decided_at else None, "campaign_id": item.campaign_id,
        "campaign": campaign_json(session, item.campaign_id, exclude=item.id),
        "decisions": [decision_json(d) for d in history],
        "feedback": [{"reporter": f.reporter, "label": f.label, "spans": f.spans, "note": f.note,
                      "updated_at": _jsonable(f.updated_at)} for f in feedback],
    }


def audit(session: Session, *, moderator: str | None = None, item_id: int | None = None, status: str | None = None,
          before: int | None = None, limit: int = 100) -> tuple[list[Decision], int | None]:
    """Decisions, newest first, paged by id."""
    query = select(Decision)
    if moderator:
        query = query.where(Decision.moderator == moderator)
    if item_id:
        query = query.where(Decision.item_id == item_id)
    if status:
        query = query.where(Decision.status == status)
    if before:
        query = query.where(Decision.id < before)
    rows = list(session.scalars(query.order_by(Decision.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def stats(session: Session, days: int = 30) -> dict:
    """Decisions per day, moderator agreement with the model per label, the backlog.

    ``per_day`` counts the decisions in force: a reverted decision and the revert itself are not counted there.
    ``per_moderator`` is each moderator's activity: every decision and revert made, lost races as ``rejected``."""
    since = datetime.now(UTC) - timedelta(days=days)
    per_day: dict[str, Counter] = defaultdict(Counter)
    per_moderator: dict[str, Counter] = defaultdict(Counter)
    for created, decision, status, who in session.execute(select(
            Decision.created_at, Decision.decision, Decision.status, Decision.moderator).where(
            Decision.created_at >= since, Decision.decision.in_((*STATE_CHANGING, "skip", "revert")))):
        if status == "rejected":
            per_moderator[who]["rejected"] += 1
            continue
        if status == "applied" and decision != "revert":
            per_day[_utc(created).date().isoformat()][decision] += 1
        per_moderator[who][decision] += 1
    agreement = {label: Counter() for label in LABELS}
    decided = 0
    for flags, proposed, final in session.execute(select(
            ReviewItem.flags, ReviewItem.proposed_labels, ReviewItem.final_labels).where(
            ReviewItem.status == "decided")):
        decided += 1
        final = set(final or [])
        for label in LABELS:
            flagged, said = label in (flags or []), label in final
            agreement[label]["flagged"] += flagged
            agreement[label]["flagged_confirmed"] += flagged and said
            agreement[label]["proposed"] += label in (proposed or [])
            agreement[label]["proposed_confirmed"] += label in (proposed or []) and said
            agreement[label]["moderator_positive"] += said
            agreement[label]["missed_by_model"] += said and label not in (proposed or [])
    per_label = {}
    for label, c in agreement.items():
        per_label[label] = {**c, "precision": (c["flagged_confirmed"] / c["flagged"]) if c["flagged"] else None,
                            "proposal_precision": (c["proposed_confirmed"] / c["proposed"]) if c["proposed"] else None,
                            "recall_as_seen": ((c["moderator_positive"] - c["missed_by_model"]) /
                                               c["moderator_positive"]) if c["moderator_positive"] else None}
    backlog = {"pending": 0, "by_source": {}, "by_action": {}}
    for source, action, n in session.execute(select(ReviewItem.source, ReviewItem.action, func.count()).where(
            ReviewItem.status == "pending").group_by(ReviewItem.source, ReviewItem.action)):
        backlog["pending"] += n
        backlog["by_source"][source] = backlog["by_source"].get(source, 0) + n
        backlog["by_action"][action] = backlog["by_action"].get(action, 0) + n
    oldest = session.scalar(select(func.min(ReviewItem.classified_at)).where(ReviewItem.status == "pending"))
    backlog["oldest_pending"] = _jsonable(oldest) if oldest else None
    backlog["decided"] = decided
    return {"days": days, "per_day": {day: dict(c) for day, c in sorted(per_day.items())},
            "per_moderator": {who: dict(c) for who, c in sorted(per_moderator.items())},
            "agreement": per_label, "backlog": backlog}
