"""Moderator decisions: optimistic locking, bulk and campaign decisions, undo and revert, all audited.

A decision names the item ``version`` the moderator loaded. The update is
``UPDATE review_items ... WHERE id = :id AND version = :loaded``: when it
touches no row, someone decided (or the page changed) since, and the
attempt is stored in the audit table as ``rejected`` and reported as a
:class:`Conflict` naming who decided it. Nothing is overwritten silently.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from service.errors import ApiError, json_integer
from service.model import BLOCK_LABELS, LABELS
from service.storage.models import MAX_ROW_ID, Campaign, Decision, ReviewItem

DECISIONS = ("confirm", "not_spam", "relabel", "skip")
STATE_CHANGING = ("confirm", "not_spam", "relabel")
BAD_SPAN_LABELS = ("injected_spam", "link_farm")


class Conflict(ApiError):
    """The item changed since the moderator loaded it (HTTP 409)."""

    def __init__(self, item: ReviewItem, loaded: int, change: str | None = None):
        """``change`` says what happened to a pending item (see :func:`pending_change`)."""
        if item.status == "decided":
            change = f"was decided by {item.decided_by} at {_iso(item.decided_at)}"
        super().__init__(409, "conflict", f"item {item.id} {change or 'changed'} since you loaded it (version "
                         f"{loaded}, now {item.version}); your decision was recorded as rejected")
        self.current = {"id": item.id, "version": item.version, "status": item.status, "decision": item.decision,
                        "decided_by": item.decided_by, "decided_at": _iso(item.decided_at),
                        "labels": item.final_labels}

    def to_json(self) -> dict:
        body = super().to_json()
        body["error"]["current"] = self.current
        return body


def pending_change(session: Session, item: ReviewItem, loaded: int) -> str:
    """What moved a pending item past the version ``loaded``: the last revert or client's re-open since, unless
    the page was classified again after it."""
    last = session.scalar(select(Decision).where(
        Decision.item_id == item.id, Decision.status == "applied", Decision.decision.in_(("revert", "reopen")),
        Decision.item_version >= loaded).order_by(Decision.id.desc()).limit(1))
    if last is not None and _aware(last.created_at) >= _aware(item.classified_at):
        if last.decision == "revert":
            return f"was decided, then reverted to pending by {last.moderator} at {_iso(last.created_at)}"
        return f"was re-opened by a client's report ({last.moderator}) at {_iso(last.created_at)}"
    return (f"was classified again at {_iso(item.classified_at)} (model version {item.model_version}): "
            "reload it to decide on the new verdict")


def _aware(value: datetime) -> datetime:
    """SQLite gives back the stored UTC times without their zone."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else _aware(value).isoformat()


def _bad(message: str, field_name: str) -> ApiError:
    return ApiError(400, "invalid_decision", message, field_name)


def validate_labels(labels) -> list[str]:
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise _bad("'labels' must be a list of page labels", "labels")
    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        raise _bad(f"unknown page label(s) {unknown}; use {list(LABELS)} (an empty list means clean)", "labels")
    return [label for label in LABELS if label in labels]


def validate_spans(spans, text_length: int) -> list[dict]:
    """Span corrections: ``[{"start", "end", "label"}]`` inside the page text, not overlapping."""
    if not isinstance(spans, list):
        raise _bad("'spans' must be a list of {start, end, label}", "spans")
    out = []
    for i, span in enumerate(spans):
        if not isinstance(span, dict) or set(span) - {"start", "end", "label"} or not {"start", "end", "label"} <= \
                set(span):
            raise _bad(f"spans[{i}] must be an object with exactly start, end and label", "spans")
        start, end, label = json_integer(span["start"]), json_integer(span["end"]), span["label"]
        if start is None or end is None:
            raise _bad(f"spans[{i}]: start and end must be integers", "spans")
        if not 0 <= start < end <= text_length:
            raise _bad(f"spans[{i}]: need 0 <= start < end <= {text_length} (the page text length)", "spans")
        if label not in BLOCK_LABELS:
            raise _bad(f"spans[{i}]: label must be one of {list(BLOCK_LABELS)}", "spans")
        out.append({"start": start, "end": end, "label": label})
    out.sort(key=lambda s: (s["start"], s["end"]))
    for a, b in zip(out, out[1:]):
        if b["start"] < a["end"]:
            raise _bad(f"spans overlap: {a['start']}-{a['end']} and {b['start']}-{b['end']}", "spans")
    return out


def outermost(spans: list[dict]) -> list[dict]:
    """``spans`` in text order without those inside an earlier one: a term the model found inside a block that
    is itself a span takes the block's label (the relabel form and :func:`model_spans` both read spans so)."""
    kept: list[dict] = []
    for span in sorted(spans, key=lambda x: (x["start"], -x["end"])):
        if kept and span["start"] < kept[-1]["end"] and span["end"] <= kept[-1]["end"]:
            continue
        kept.append(span)
    return kept


def model_spans(item: ReviewItem, labels: list[str] | None = None) -> list[dict]:
    """What the model marked, as stored spans (start, end, label): its blocks, boilerplate and the spam terms it
    found inside prose (:func:`outermost`), except the injected_spam and link_farm spans whose label is not among
    the page ``labels`` (default: the model's proposed labels); a page label left out takes its spans with it.

    This is what confirm stores, and what an untouched relabel form sends, so both export the same example;
    not_spam stores it with no page labels (the boilerplate alone)."""
    page_labels = set(item.proposed_labels or []) if labels is None else set(labels)
    return outermost([{"start": s["start"], "end": s["end"], "label": s["label"]}
                      for s in item.verdict.get("spans", [])
                      if s.get("label") in BLOCK_LABELS and s["label"] != "content"
                      and (s["label"] not in BAD_SPAN_LABELS or s["label"] in page_labels)])


def current_labels(item: ReviewItem) -> tuple[list, list]:
    """What the item says now: the last decision's labels and spans, else the model's proposal."""
    if item.status == "decided" and item.final_labels is not None:
        return list(item.final_labels), list(item.final_spans or [])
    return list(item.proposed_labels or []), model_spans(item)


def outcome(item: ReviewItem, decision: str, labels=None, spans=None) -> tuple[list, list]:
    """The labels and spans a decision gives the item."""
    if decision == "confirm":
        return list(item.proposed_labels or []), model_spans(item)
    if decision == "not_spam":  # no page label, so no spam span; the model's boilerplate stays boilerplate
        return [], model_spans(item, [])
    if labels is None and spans is None:
        raise _bad("relabel needs 'labels' (page labels) and/or 'spans' (block corrections)", "labels")
    new_labels = validate_labels(labels) if labels is not None else list(item.proposed_labels or [])
    if spans is None:
        new_spans = model_spans(item, new_labels)
    else:
        new_spans = validate_spans(spans, len(item.text))
        if labels is None:  # a block correction implies the page labels it carries
            carried = {s["label"] for s in new_spans if s["label"] in BAD_SPAN_LABELS}
            new_labels = [x for x in LABELS if x in carried or (x == "fabricated_listicle" and x in new_labels)]
        check_spans_have_their_labels(new_spans, new_labels)
    return new_labels, new_spans


def check_spans_have_their_labels(spans: list[dict], labels: list[str]) -> None:
    """A 400 for an injected_spam or link_farm span on a page whose labels lack its label (a "clean" page with an
    injected block): a page is injected_spam when it holds an injected_spam block (LABELS.md)."""
    for span in spans:
        if span["label"] in BAD_SPAN_LABELS and span["label"] not in labels:
            raise _bad(f"span {span['start']}-{span['end']} is {span['label']} but the page labels {labels} lack "
                       f"{span['label']}: add it to 'labels', or label the span content or boilerplate", "spans")


WHAT_IT_DOES = {"confirm": "keeps the model's labels and spans", "not_spam": "clears the labels and the model's spam spans, keeping its boilerplate",
                "skip": "changes nothing"}


def check_arguments(decision: str, labels=None, spans=None) -> None:
    """A 400 for a decision that is not one, or for labels or spans sent with a decision that would ignore them;
    the labels' own form too, so that a bulk decision refuses them before any item (and when none is pending)."""
    if decision not in DECISIONS:
        raise _bad(f"'decision' must be one of {list(DECISIONS)} (got {decision!r})", "decision")
    if decision != "relabel" and (labels is not None or spans is not None):  # never ignored in silence
        raise _bad(f"'labels' and 'spans' go with relabel only; {decision} {WHAT_IT_DOES[decision]}",
                   "labels" if labels is not None else "spans")
    if labels is not None:
        validate_labels(labels)


def decide(session: Session, item_id: int, loaded_version: int, decision: str, moderator: str, *,
           labels=None, spans=None, via: str = "ui", bulk_id: str | None = None, note: str = "") -> Decision:
    """Apply one decision with optimistic locking; commits, and raises :class:`Conflict` on a lost race."""
    check_arguments(decision, labels, spans)
    loaded_version = json_integer(loaded_version)
    if loaded_version is None or not 0 <= loaded_version <= MAX_ROW_ID:
        raise _bad(f"'version' (the item version you loaded) must be an integer from 0 to {MAX_ROW_ID}", "version")
    item = session.get(ReviewItem, item_id) if 0 <= item_id <= MAX_ROW_ID else None
    if item is None:
        raise ApiError(404, "not_found", f"no review item {item_id}")
    old_labels, old_spans = current_labels(item)
    now = datetime.now(UTC)
    record = Decision(item_id=item.id, moderator=moderator, via=via, decision=decision, old_labels=old_labels,
                      old_spans=old_spans, model_version=item.model_version, item_version=loaded_version,
                      bulk_id=bulk_id, note=note[:2000], created_at=now)
    if decision == "skip":
        record.status, record.new_labels, record.new_spans = "applied", old_labels, old_spans
        if item.version != loaded_version:
            record.status = "rejected"
        session.add(record)
        session.commit()
        if record.status == "rejected":
            raise Conflict(item, loaded_version, pending_change(session, item, loaded_version))
        return record
    new_labels, new_spans = outcome(item, decision, labels, spans)
    record.new_labels, record.new_spans = new_labels, new_spans
    result = session.execute(
        update(ReviewItem).where(ReviewItem.id == item_id, ReviewItem.version == loaded_version)
        .values(status="decided", decision=decision, final_labels=new_labels, final_spans=new_spans,
                decided_by=moderator, decided_at=now, version=ReviewItem.version + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.rollback()
        item = session.get(ReviewItem, item_id, populate_existing=True)
        record.status, record.note = "rejected", (f"lost to version {item.version} ({item.decided_by}); " + note)[:2000]
        session.add(record)
        change = pending_change(session, item, loaded_version) if item.status == "pending" else None
        session.commit()
        raise Conflict(item, loaded_version, change)
    record.status = "applied"
    session.add(record)
    session.commit()
    return record


@dataclass
class BulkResult:
    bulk_id: str
    applied: list[int] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"bulk_id": self.bulk_id, "applied": self.applied, "conflicts": self.conflicts}


def decide_many(session: Session, targets: list[tuple[int, int]], decision: str, moderator: str, *,
                labels=None, via: str = "ui") -> BulkResult:
    """The same decision for several ``(item id, loaded version)`` pairs; each item is locked on its own."""
    if decision == "relabel" and labels is None:
        raise _bad("a bulk relabel needs 'labels'", "labels")
    check_arguments(decision, labels)
    result = BulkResult(bulk_id=uuid.uuid4().hex)
    for item_id, version in targets:
        try:
            decide(session, item_id, version, decision, moderator, labels=labels, via=via, bulk_id=result.bulk_id)
            result.applied.append(item_id)
        except Conflict as exc:
            result.conflicts.append(exc.current)
        except ApiError as exc:
            if exc.status != 404:
                raise
            result.conflicts.append({"id": item_id, "error": exc.message})
    return result


def decide_campaign(session: Session, campaign_id: int, decision: str, moderator: str, *, labels=None,
                    via: str = "ui") -> BulkResult:
    """Settle every pending item of a campaign (items decided meanwhile are reported as conflicts)."""
    if decision == "skip":
        raise _bad("skipping a whole campaign records nothing; skip items one by one", "decision")
    # a campaign is a row of its own: an item in none has campaign_id 0, and "campaign 0" would be every such item
    if campaign_id <= 0 or session.get(Campaign, campaign_id) is None:
        raise ApiError(404, "not_found", f"no campaign {campaign_id}")
    targets = session.execute(select(ReviewItem.id, ReviewItem.version).where(
        ReviewItem.campaign_id == campaign_id, ReviewItem.status == "pending").order_by(ReviewItem.id)).all()
    return decide_many(session, [(i, v) for i, v in targets], decision, moderator, labels=labels, via=via)


def _latest_applied(session: Session, item_id: int) -> Decision | None:
    """The item's last applied decision that set its state: a moderator's, or a client's re-open."""
    return session.scalar(select(Decision).where(
        Decision.item_id == item_id, Decision.status == "applied",
        Decision.decision.in_((*STATE_CHANGING, "reopen"))).order_by(Decision.id.desc()).limit(1))


def revert(session: Session, decision_id: int, moderator: str, via: str = "ui") -> Decision:
    """Undo one applied decision: the item goes back to what it was before (an earlier decision, or pending when
    there was none or a client's report had re-opened it since)."""
    target = session.get(Decision, decision_id)
    if target is None:
        raise ApiError(404, "not_found", f"no decision {decision_id}")
    try:
        _revert_one(session, target, session.get(ReviewItem, target.item_id), moderator, via, datetime.now(UTC))
    except ApiError:
        session.rollback()
        raise
    session.commit()
    return target


def _revert_one(session: Session, target: Decision, item: ReviewItem, moderator: str, via: str,
                now: datetime) -> None:
    """Revert ``target`` on ``item`` as read (its version must still be the one read) in the caller's transaction,
    without committing; an :class:`ApiError` when it cannot be."""
    if target.status != "applied" or target.decision not in (*STATE_CHANGING, "skip"):
        raise ApiError(409, "not_revertible", f"decision {target.id} is {target.status} ({target.decision}); "
                       "only an applied confirm/not_spam/relabel/skip can be reverted")
    if target.decision == "skip":
        target.status, target.reverted_by, target.reverted_at = "reverted", moderator, now
        return
    latest = _latest_applied(session, item.id)
    if latest is not None and latest.decision == "reopen" and latest.id > target.id:
        raise ApiError(409, "not_revertible", f"item {item.id} was re-opened by a client's report since "
                       f"({latest.moderator} at {_iso(latest.created_at)}); decide it again instead")
    if latest is None or latest.id != target.id:
        raise ApiError(409, "not_latest", f"item {item.id} has a later decision (#{latest.id if latest else '?'}) "
                       "by " + (latest.moderator if latest else "?") + "; revert that one first")
    if item.status != "decided":
        raise ApiError(409, "not_revertible", f"item {item.id} is {item.status}, not decided by decision "
                       f"{target.id}; reload it")
    # what the item was before: the decision before, or pending (never decided, or re-opened by a client's report)
    previous = session.scalar(select(Decision).where(
        Decision.item_id == item.id, Decision.status == "applied", Decision.decision.in_((*STATE_CHANGING, "reopen")),
        Decision.id < target.id).order_by(Decision.id.desc()).limit(1))
    if previous is not None and previous.decision != "reopen":
        values = {"status": "decided", "decision": previous.decision, "final_labels": previous.new_labels,
                  "final_spans": previous.new_spans, "decided_by": previous.moderator,
                  "decided_at": previous.created_at}
    else:
        values = {"status": "pending", "decision": None, "final_labels": None, "final_spans": None,
                  "decided_by": None, "decided_at": None}
    version = item.version
    changed = session.execute(update(ReviewItem).where(ReviewItem.id == item.id, ReviewItem.version == version)
                              .values(**values, version=version + 1).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        raise ApiError(409, "conflict", f"item {item.id} changed while reverting; reload and try again")
    target.status, target.reverted_by, target.reverted_at = "reverted", moderator, now
    session.add(Decision(item_id=item.id, moderator=moderator, via=via, decision="revert", status="applied",
                         old_labels=target.new_labels, new_labels=values["final_labels"],
                         old_spans=target.new_spans, new_spans=values["final_spans"],
                         model_version=item.model_version, item_version=version, reverts_id=target.id,
                         created_at=now))


def _superseded():
    """Condition on :class:`Decision`: a later applied decision that changed the item's state follows it (a
    moderator's, or a client's report that re-opened the page)."""
    later = aliased(Decision)
    return exists().where(later.item_id == Decision.item_id, later.id > Decision.id, later.status == "applied",
                          later.decision.in_((*STATE_CHANGING, "reopen")))


@dataclass
class UndoResult:
    """What an undo did: the items put back, and those someone decided after me, left as they are."""

    reverted: list[int] = field(default_factory=list)
    # {"id": item id, "decided_by": who decided it since, or "feedback:<reporter>" for a client's re-open}
    kept: list[dict] = field(default_factory=list)


def undo_last(session: Session, moderator: str, via: str = "ui") -> UndoResult:
    """Revert the moderator's most recent decision still in force (the whole group, for a bulk one), at once.

    A decision someone decided over (or a client's report re-opened) since is no longer the moderator's to take
    back: in a bulk, those items
    are left as they are and reported in ``kept``, the rest are reverted in one transaction (all of them or,
    when an item changes meanwhile, none: a 409); and the next undo goes on to the decision before."""
    last = session.scalar(select(Decision).where(
        Decision.moderator == moderator, Decision.status == "applied",
        Decision.decision.in_((*STATE_CHANGING, "skip")), ~_superseded()).order_by(Decision.id.desc()).limit(1))
    if last is None:
        raise ApiError(409, "nothing_to_undo", "you have no decision left to undo")
    group = [last]
    if last.bulk_id:
        group = list(session.scalars(select(Decision).where(
            Decision.bulk_id == last.bulk_id, Decision.moderator == moderator, Decision.status == "applied")
            .order_by(Decision.id.desc())))
    # each revert names the version read here: an item that changes before the undo is written makes the whole
    # undo a 409 rather than half of it
    items = {i.id: i for i in session.scalars(select(ReviewItem).where(ReviewItem.id.in_([d.item_id for d in group])))}
    result, now = UndoResult(), datetime.now(UTC)
    try:
        for decision in group:
            latest = _latest_applied(session, decision.item_id)
            if decision.decision != "skip" and latest is not None and latest.id != decision.id:
                result.kept.append({"id": decision.item_id, "decided_by": latest.moderator})
                continue
            _revert_one(session, decision, items[decision.item_id], moderator, via, now)
            result.reverted.append(decision.item_id)
    except ApiError as exc:
        session.rollback()
        raise ApiError(409, "conflict", f"{exc.message}; nothing was undone") from None
    session.commit()
    result.reverted.reverse()
    result.kept.reverse()
    return result
