"""``POST /v1/feedback``: a client reports a page, by the id it classified or with the page itself.

``{"id", "label": injected_spam | link_farm | fabricated_listicle | not_spam,
"spans"?: [{start, end, label}], "note"?, "page"?: {url, html | text | html_base64, ...}}``.
The page goes to the review queue. A report is idempotent per (id, reporting
key): sending it again corrects it (200 instead of 201). It is never refused
because the page was decided already; a contradicting report re-opens it.
When the database is down a report that carries its page, or names a page
this worker classified lately, is spooled (202) and recorded later; one by
id alone that this worker does not know gets 503 with ``Retry-After`` (only
the database could say whether the id exists).
"""

from __future__ import annotations

import math

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from service.api.classify import json_body
from service.auth import require
from service.classify import classify_page
from service.errors import ApiError
from service.requests import MAX_ID_CHARS, parse_page
from service.review.decisions import validate_spans
from service.review.enqueue import is_transient
from service.review.feedback_store import FEEDBACK_LABELS, apply_feedback
from service.review.store import in_transaction, item_record, now_iso
from service.storage.models import ReviewItem

bp = Blueprint("review_feedback", __name__)
FIELDS = {"id", "label", "spans", "note", "page"}
MAX_NOTE = 2000


def _reporter() -> str:
    key = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return key[:10] if key else "anonymous"


def _validate(body) -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "send a JSON object {id, label, spans?, note?, page?}")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ApiError(400, "unknown_field", f"unknown field(s) {unknown}; allowed: {sorted(FIELDS)}", unknown[0])
    label = body.get("label")
    if label not in FEEDBACK_LABELS:
        raise ApiError(400, "invalid_label", f"'label' must be one of {list(FEEDBACK_LABELS)}", "label")
    page_id = body.get("id")
    if page_id is not None and (not isinstance(page_id, str) or not page_id or len(page_id) > MAX_ID_CHARS):
        raise ApiError(400, "invalid_field", f"'id' must be a non-empty string of at most {MAX_ID_CHARS} "
                       "characters", "id")
    if page_id is None and body.get("page") is None:
        raise ApiError(400, "missing_page", "send the 'id' the page was classified with, or the 'page' itself")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise ApiError(400, "invalid_field", f"'note' must be a string of at most {MAX_NOTE} characters", "note")
    spans = body.get("spans")
    if spans is not None and not isinstance(spans, list):
        raise ApiError(400, "invalid_spans", "'spans' must be a list of {start, end, label}", "spans")
    return {"page_id": page_id, "label": label, "spans": spans, "note": note, "page": body.get("page")}


def _spans(spans, text_length: int) -> list[dict]:
    """The report's spans, checked against the length of the page's text (offsets past it are a 400)."""
    if spans is None:
        return []
    try:
        return validate_spans(spans, text_length)
    except ApiError as exc:
        raise ApiError(400, "invalid_spans", exc.message, "spans") from None


@bp.post("/v1/feedback")
@require("feedback")
def feedback():
    """Report a page; it goes to the review queue."""
    state = current_app.extensions["pagesieve"]
    enqueuer = current_app.extensions["pagesieve_review"]
    fb = _validate(json_body())
    item_rec = None
    body_page = fb["page"]
    if body_page is not None:
        if isinstance(body_page, dict) and fb["page_id"] and body_page.get("id") not in (None, fb["page_id"]):
            raise ApiError(400, "id_mismatch", "'id' and 'page.id' differ; send one id", "id")
        if isinstance(body_page, dict) and fb["page_id"]:
            body_page = {**body_page, "id": fb["page_id"]}
        page = parse_page(body_page, state.max_page_bytes)
        loaded = state.registry.get_or_503()
        verdict = classify_page(page, loaded)
        item_rec = item_record(verdict, page, loaded.policy.to_json(), "feedback", enqueuer.max_html_bytes)
        fb["page_id"] = page.id
    rec = {"kind": "feedback", "page_id": fb["page_id"], "reporter": _reporter(), "label": fb["label"],
           "note": fb["note"], "at": now_iso(), "item": item_rec}

    def work(session):
        length = len(rec["item"]["text"]) if rec["item"] else None
        if rec["item"] is None:  # by id: the queued page, else one this process classified recently
            known = session.scalar(select(ReviewItem).where(ReviewItem.page_id == fb["page_id"]))
            if known is not None:
                length = len(known.text)
            else:
                rec["item"] = enqueuer.recent_record(fb["page_id"])
                if rec["item"] is None:
                    raise ApiError(404, "unknown_id", f"no page with id {fb['page_id']!r} is in the queue or among "
                                   "the pages this worker classified last (another worker may have classified it); "
                                   "send the page itself in 'page' (as for /v1/classify)", "id")
                length = len(rec["item"]["text"])
        rec["spans"] = _spans(fb["spans"], length)
        item, created = apply_feedback(session, rec)
        return {"id": fb["page_id"], "item_id": item.id if item else None, "status": item.status if item else None,
                "created": created}

    try:
        body = in_transaction(state.database_url, work)
    except ApiError:
        raise
    except Exception as exc:
        if not is_transient(exc):
            raise
        if rec["item"] is None:
            rec["item"] = enqueuer.recent_record(fb["page_id"])
        if rec["item"] is None:
            # By id alone, only the database knows the page: spooled, a report on an id it does not hold would be
            # stored without a page and shown nowhere, where the database would have answered 404 unknown_id.
            return _database_down(enqueuer, "the review database is unavailable and this worker has not classified "
                                  f"a page with id {fb['page_id']!r} lately, so the report cannot be checked; retry "
                                  "shortly, or send the page itself in 'page' (a report with its page is accepted "
                                  "while the database is down)")
        rec["spans"] = _spans(fb["spans"], len(rec["item"]["text"]))
        try:
            enqueuer.spool_now([rec])
        except OSError:
            return _database_down(enqueuer, "the review database is unavailable and the report could not be "
                                  "spooled either; retry shortly (nothing was recorded)")
        return jsonify({"id": fb["page_id"], "status": "spooled", "created": None}), 202
    return jsonify(body), 201 if body["created"] else 200


def _database_down(enqueuer, message: str):
    """503 with a retry hint: the report was not recorded."""
    retry = str(max(1, math.ceil(enqueuer.retry_seconds)))
    return jsonify({"error": {"code": "database_unavailable", "message": message}}), 503, {"Retry-After": retry}
