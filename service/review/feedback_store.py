"""Storing a client's feedback: idempotent per (page id, reporter), correctable, never refused.

A report on a page that a moderator already decided differently re-opens
the page (the audit trail says who re-opened it and why): feedback is
never dropped because the page was "already learned".
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.storage.models import Decision, Feedback, ReviewItem

FEEDBACK_LABELS = ("injected_spam", "link_farm", "fabricated_listicle", "not_spam")


def labels_of(label: str) -> list[str]:
    return [] if label == "not_spam" else [label]


def apply_feedback(session: Session, rec: dict) -> tuple[ReviewItem | None, bool]:
    """Record the report; returns ``(item or None, created)``. ``created`` is False for a correction."""
    from service.review.store import upsert_item

    item = None
    if rec.get("item"):
        item = upsert_item(session, {**rec["item"], "source": "feedback"})
    if item is None:
        item = session.scalar(select(ReviewItem).where(ReviewItem.page_id == rec["page_id"]))
    now = datetime.now(UTC)
    row = session.scalar(select(Feedback).where(Feedback.page_id == rec["page_id"],
                                                Feedback.reporter == rec["reporter"]))
    created = row is None
    if created:
        row = Feedback(page_id=rec["page_id"], reporter=rec["reporter"], created_at=now)
        session.add(row)
    row.label, row.spans, row.note, row.updated_at = rec["label"], rec.get("spans") or [], rec.get("note") or "", now
    if item is not None:
        row.item_id = item.id
        item.source = "feedback"
        session.flush()
        _reopen_if_decided_otherwise(session, item, rec, now)
    session.flush()
    return item, created


def _reopen_if_decided_otherwise(session: Session, item: ReviewItem, rec: dict, now: datetime) -> None:
    """Put a page decided otherwise than reported back to pending (undecided, as before any decision), audited
    as a ``reopen`` that keeps the labels it had.

    ``UPDATE ... WHERE version = :read AND status = 'decided'``: a page that a moderator decided again, reverted
    or re-opened meanwhile is read again and judged as it is then."""
    reported = labels_of(rec["label"])
    while item.status == "decided" and set(reported) != set(item.final_labels or []):
        read_version, old_labels = item.version, item.final_labels
        reopened = session.execute(
            update(ReviewItem).where(ReviewItem.id == item.id, ReviewItem.version == read_version,
                                     ReviewItem.status == "decided")
            .values(status="pending", version=read_version + 1, decision=None, final_labels=None, final_spans=None,
                    decided_by=None, decided_at=None).execution_options(synchronize_session=False))
        session.refresh(item)
        if reopened.rowcount == 1:
            session.add(Decision(item_id=item.id, moderator=f"feedback:{rec['reporter']}", via="api",
                                 decision="reopen", status="applied", old_labels=old_labels,
                                 new_labels=reported, model_version=item.model_version,
                                 item_version=read_version, note=(rec.get("note") or "")[:2000], created_at=now))
            return
