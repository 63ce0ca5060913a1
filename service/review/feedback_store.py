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


def reported_at(rec: dict) -> datetime:
    """When the client sent the report (the record's ``at``; a spooled one is written later), in UTC."""
    return _utc(datetime.fromisoformat(rec["at"])) if rec.get("at") else datetime.now(UTC)


def apply_feedback(session: Session, rec: dict) -> tuple[ReviewItem | None, bool]:
    """Record the report as of the time it was sent; returns ``(item or None, created)``. ``created`` is False
    for a correction. A report older than the stored one (spooled, then replayed after the client's correction
    was written) leaves the newer one standing, and the stored report written again (a spool record replayed
    twice: same ``at``) changes nothing, so it cannot re-open a page a moderator decided after the first write."""
    from service.review.store import upsert_item

    item = None
    if rec.get("item"):
        item = upsert_item(session, {**rec["item"], "source": "feedback"})
    if item is None:
        item = session.scalar(select(ReviewItem).where(ReviewItem.page_id == rec["page_id"]))
    at = reported_at(rec)
    row = session.scalar(select(Feedback).where(Feedback.page_id == rec["page_id"],
                                                Feedback.reporter == rec["reporter"]))
    created = row is None
    if created:
        row = Feedback(page_id=rec["page_id"], reporter=rec["reporter"], created_at=at, updated_at=at)
        session.add(row)
    elif _utc(row.updated_at) >= at:  # this report again (a replayed spool record), or superseded by a later one
        if item is not None and row.item_id is None:
            row.item_id = item.id
        session.flush()
        return item, False
    row.label, row.spans, row.note, row.updated_at = rec["label"], rec.get("spans") or [], rec.get("note") or "", at
    now = datetime.now(UTC)  # a re-opening happens now, whenever the report was sent
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

def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite hands back naive UTC
