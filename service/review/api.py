"""``/v1/review/*``: the queue as JSON for moderators' own tools (a moderator or admin token)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from service.api.classify import json_body
from service.auth import require
from service.errors import ApiError
from service.review import decisions as dec
from service.review.queries import MAX_LIMIT, facet_counts, list_items, parse_filters
from service.review.reports import audit, decision_json, item_detail, stats
from service.storage.db import session_scope
from service.storage.keys import hash_key
from service.storage.models import MAX_ROW_ID, ApiKey, ReviewItem

bp = Blueprint("review_api", __name__)
DECISION_FIELDS = {"decision", "labels", "spans", "version", "note"}


def _url() -> str:
    return current_app.extensions["pagesieve"].database_url


def _page_size() -> int:
    return int(current_app.extensions["pagesieve"].config.get("review", "page_size", 50))


def actor() -> str:
    """Who is deciding: ``token:<name or key prefix>`` (tokens are not UI accounts)."""
    key = request.headers.get("Authorization", "").partition(" ")[2].strip()
    with session_scope(_url()) as session:
        row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
        return f"token:{(row.name or row.prefix) if row else key[:10]}"


FLAG_VALUES = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}


def _flag_arg(name: str) -> bool:
    """A yes/no query parameter (absent or empty: no); anything else is a 400, not a quiet no."""
    raw = request.args.get(name, "")
    if raw not in FLAG_VALUES:
        raise ApiError(400, "invalid_parameter", f"'{name}' must be true or false (or 1/0, yes/no; got {raw!r})",
                       name)
    return FLAG_VALUES[raw]


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"'{name}' must be a whole number (got {raw!r})", name) from None
    if not low <= value <= high:
        raise ApiError(400, "invalid_parameter", f"'{name}' must be between {low} and {high}", name)
    return value


def _object_body(allowed: set[str]) -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "send a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, "unknown_field", f"unknown field(s) {unknown}; allowed: {sorted(allowed)}", unknown[0])
    return body


@bp.get("/v1/review/items")
@require("review")
def list_view():
    """The list view's filters and sorting as query parameters; keyset-paged with ``cursor``."""
    filters = parse_filters(request.args)
    limit = _int_arg("limit", _page_size(), 1, MAX_LIMIT)
    with_counts = _flag_arg("counts")
    with session_scope(_url()) as session:
        page = list_items(session, filters, request.args.get("sort") or "uncertainty", limit,
                          request.args.get("cursor") or None)
        body = {"items": page.items, "total": page.total, "next_cursor": page.next_cursor,
                "prev_cursor": page.prev_cursor, "filters": filters.to_args()}
        if with_counts:
            body["counts"] = facet_counts(session, filters)
    return jsonify(body)


@bp.get("/v1/review/items/<rowid:item_id>")
@require("review")
def item_view(item_id: int):
    """One item in full: text, verdict, spans, version (send it back with a decision), campaign, history."""
    with session_scope(_url()) as session:
        item = session.get(ReviewItem, item_id)
        if item is None:
            raise ApiError(404, "not_found", f"no review item {item_id}")
        return jsonify(item_detail(session, item))


def _decision_args(body: dict) -> dict:
    if "decision" not in body:
        raise ApiError(400, "invalid_decision", "'decision' is required: confirm, not_spam, relabel or skip",
                       "decision")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 2000:
        raise ApiError(400, "invalid_decision", "'note' must be a string of at most 2000 characters", "note")
    return {"labels": body.get("labels"), "spans": body.get("spans"), "note": note}


@bp.post("/v1/review/items/<rowid:item_id>/decision")
@require("review")
def decide_view(item_id: int):
    """Decide one item; 409 (and an audited rejected attempt) when it changed since ``version``."""
    body = _object_body(DECISION_FIELDS)
    args = _decision_args(body)
    if "version" not in body:
        raise ApiError(400, "invalid_decision", "'version' is required: the item version you loaded (GET the "
                       "item first)", "version")
    who = actor()
    with session_scope(_url()) as session:
        record = dec.decide(session, item_id, body["version"], body["decision"], who, via="api", **args)
        item = session.get(ReviewItem, item_id, populate_existing=True)
        return jsonify({"decision": decision_json(record), "item": {"id": item.id, "version": item.version,
                                                                    "status": item.status}})


@bp.post("/v1/review/campaigns/<rowid:campaign_id>/decision")
@require("review")
def campaign_decide_view(campaign_id: int):
    """The same decision for every pending item of a campaign."""
    body = _object_body({"decision", "labels"})
    if body.get("decision") not in dec.STATE_CHANGING:
        raise ApiError(400, "invalid_decision", f"'decision' must be one of {list(dec.STATE_CHANGING)}", "decision")
    with session_scope(_url()) as session:
        result = dec.decide_campaign(session, campaign_id, body["decision"], actor(), labels=body.get("labels"),
                                     via="api")
    return jsonify(result.to_json())


@bp.post("/v1/review/decisions/<rowid:decision_id>/revert")
@require("review")
def revert_view(decision_id: int):
    """Revert an applied decision (the item returns to its previous state). It takes no fields: a body other
    than nothing or ``{}`` is refused, as it would be ignored."""
    if request.get_data(cache=True).strip():
        _object_body(set())
    with session_scope(_url()) as session:
        record = dec.revert(session, decision_id, actor(), via="api")
        return jsonify({"reverted": decision_json(record)})


@bp.get("/v1/review/decisions")
@require("review")
def audit_view():
    """The audit trail, newest first; ``before`` (a decision id) pages back."""
    status = request.args.get("status") or None
    if status and status not in {"applied", "rejected", "reverted"}:
        raise ApiError(400, "invalid_parameter", "'status' must be applied, rejected or reverted", "status")
    with session_scope(_url()) as session:
        rows, before = audit(session, moderator=request.args.get("moderator") or None,
                             item_id=_int_arg("item", 0, 0, MAX_ROW_ID) or None, status=status,
                             before=_int_arg("before", 0, 0, MAX_ROW_ID) or None,
                             limit=_int_arg("limit", 100, 1, 500))
        return jsonify({"decisions": [decision_json(d) for d in rows], "before": before})


@bp.get("/v1/review/stats")
@require("review")
def stats_view():
    """Decisions per day, agreement with the model per label, the backlog."""
    days = _int_arg("days", 30, 1, 366)
    with session_scope(_url()) as session:
        return jsonify(stats(session, days))
