"""OpenAPI entries for the review API, feedback and model reload (merged into ``service.openapi``)."""

from __future__ import annotations

from service.model import BLOCK_LABELS, LABELS
from service.review.feedback import MAX_NOTE
from service.review.store import SEARCH_CHARS
from service.storage.models import MAX_ROW_ID


def _errors(*codes: int) -> dict:
    from service.openapi import _error_responses

    return _error_responses(*codes)


def _ok(description: str, schema: dict | None = None) -> dict:
    body = {"description": description}
    if schema:
        body["content"] = {"application/json": {"schema": schema}}
    return body


SPAN_FIX = {"type": "object", "required": ["start", "end", "label"], "additionalProperties": False,
            "properties": {"start": {"type": "integer", "minimum": 0}, "end": {"type": "integer"},
                           "label": {"enum": list(BLOCK_LABELS)}}}
FILTERS = [
    ("status", {"enum": ["pending", "decided", "all"], "default": "pending"}),
    ("label", {"enum": [*LABELS, "none"], "description": "A proposed label of a pending item, a final label of a "
                                                        "decided one"}), ("action", {"enum": ["keep", "strip", "review", "drop"]}),
    ("score_min", {"type": "number", "minimum": 0, "maximum": 1}),
    ("score_max", {"type": "number", "minimum": 0, "maximum": 1}), ("site", {"type": "string"}),
    ("language", {"type": "string"}), ("model_version", {"type": "string"}),
    ("date_from", {"type": "string", "format": "date"}), ("date_to", {"type": "string", "format": "date"}),
    ("campaign", {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}),
    ("source", {"enum": ["review", "sample", "feedback"]}),
    ("q", {"type": "string", "description": f"Words that all occur in the normalised url or the first "
                                          f"{SEARCH_CHARS:,} characters of the normalised text"}),
    ("sort", {"enum": ["uncertainty", "newest", "campaign"], "default": "uncertainty"}),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    ("cursor", {"type": "string", "description": "next_cursor or prev_cursor of the previous answer"}),
    ("counts", {"enum": ["true", "false", "1", "0", "yes", "no"], "description": "Add counts per filter value"}),
]
SECURITY = [{"bearer": []}]
LABELS_FIX = {"type": ["array", "null"], "items": {"enum": list(LABELS)}}


def relabel_only(*fields: str) -> dict:
    """Schema: ``fields`` (null counts as absent) go with ``relabel`` only; a relabel needs one of them."""
    given = [{"required": [f], "properties": {f: {"type": "array"}}} for f in fields]
    return {"if": {"properties": {"decision": {"const": "relabel"}}},
            "then": {"anyOf": given},
            "else": {"properties": {f: {"type": "null"} for f in fields}}}


ROW_ID = {"type": "integer", "minimum": 0, "maximum": MAX_ROW_ID}


def _query_param(name: str, schema: dict) -> dict:
    """A query parameter; sent empty (``?site=``, as an HTML form sends an unset field) it counts as absent."""
    return {"name": name, "in": "query", "schema": schema, "allowEmptyValue": True}


def _id_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": ROW_ID}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: dict, optional: dict | None = None) -> dict:
    """An object schema: ``required`` keys always present, ``optional`` ones sometimes; more keys may be added."""
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
NULLABLE_STR, NULLABLE_INT = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
NULLABLE_LABELS = {"type": ["array", "null"], "items": STR}
STRINGS = {"type": "array", "items": STR}
COUNTS = {"type": "object", "additionalProperties": INT}
ITEM_STATUS = {"enum": ["pending", "decided"]}
# The answers' bodies (merged into components/schemas), so a client, and the fuzz test, can check them.
REVIEW_SCHEMAS: dict[str, dict] = {
    "ReviewItemSummary": _obj({
        "id": INT, "page_id": STR, "url": STR, "site": STR, "language": STR, "model_version": STR,
        "action": STR, "top_label": STR, "score": NUM, "uncertainty": NUM, "quality": NUM, "flags": STRINGS,
        "proposed_labels": STRINGS, "reason_codes": STRINGS, "source": STR, "classified_at": STR,
        "status": ITEM_STATUS, "version": INT, "campaign_id": INT, "campaign_size": INT,
        "decision": NULLABLE_STR, "final_labels": NULLABLE_LABELS, "decided_by": NULLABLE_STR,
        "decided_at": NULLABLE_STR, "excerpt": STR}),
    "ReviewDecision": _obj({
        "id": INT, "item_id": INT, "moderator": STR, "via": STR, "decision": STR,
        "status": {"enum": ["applied", "rejected", "reverted"]}, "old_labels": NULLABLE_LABELS,
        "new_labels": NULLABLE_LABELS, "old_spans": {"type": ["array", "null"]},
        "new_spans": {"type": ["array", "null"]}, "model_version": NULLABLE_STR, "item_version": NULLABLE_INT,
        "bulk_id": NULLABLE_STR, "reverts_id": NULLABLE_INT, "note": NULLABLE_STR, "created_at": STR,
        "reverted_by": NULLABLE_STR, "reverted_at": NULLABLE_STR}),
    "ReviewItem": _obj({
        "id": INT, "page_id": STR, "url": STR, "site": STR, "language": STR, "model_version": STR, "action": STR,
        "top_label": STR, "score": NUM, "uncertainty": NUM, "quality": NUM, "flags": STRINGS,
        "proposed_labels": STRINGS, "labels": {"type": "object"}, "spans": {"type": "array"},
        "reasons": {"type": "array"}, "text": STR, "html": NULLABLE_STR, "html_truncated": BOOL, "source": STR,
        "classified_at": STR, "status": ITEM_STATUS, "version": INT, "decision": NULLABLE_STR,
        "current_labels": STRINGS, "current_spans": {"type": "array"}, "decided_by": NULLABLE_STR,
        "decided_at": NULLABLE_STR, "campaign_id": INT,
        "campaign": {"oneOf": [{"type": "null"}, _obj({
            "id": INT, "label": STR, "excerpt": STR, "size": INT, "pending": INT,
            "members": {"type": "array", "items": _obj({"id": INT, "site": STR, "url": STR, "status": ITEM_STATUS,
                                                        "labels": NULLABLE_LABELS})}})]},
        "decisions": {"type": "array", "items": _ref("ReviewDecision")},
        "feedback": {"type": "array", "items": _obj({"reporter": STR, "label": STR, "spans": {"type": "array"},
                                                     "note": STR, "updated_at": STR})}}),
    "FeedbackRecorded": _obj({"id": STR, "item_id": NULLABLE_INT, "status": {"enum": ["pending", "decided", None]},
                              "created": BOOL}),
}
ITEM_LIST = _obj({"items": {"type": "array", "items": _ref("ReviewItemSummary")}, "total": NULLABLE_INT,
                  "next_cursor": NULLABLE_STR, "prev_cursor": NULLABLE_STR,
                  "filters": {"type": "object", "additionalProperties": STR}},
                 {"counts": {"type": "object", "additionalProperties": COUNTS,
                             "description": "With counts=true: per filter, the number of items per value"}})
DECIDED = _obj({"decision": _ref("ReviewDecision"),
                "item": _obj({"id": INT, "version": INT, "status": ITEM_STATUS})})
BULK = _obj({"bulk_id": STR, "applied": {"type": "array", "items": INT},
             "conflicts": {"type": "array", "items": {"type": "object"},
                           "description": "Items decided since (id, current state), left as they are"}})
AUDIT = _obj({"decisions": {"type": "array", "items": _ref("ReviewDecision")}, "before": NULLABLE_INT})
RATE = {"type": ["number", "null"]}
STATS = _obj({
    "days": INT, "per_day": {"type": "object", "additionalProperties": COUNTS},
    "per_moderator": {"type": "object", "additionalProperties": COUNTS},
    "agreement": {"type": "object", "additionalProperties": {
        "type": "object", "additionalProperties": INT, "required": ["precision", "proposal_precision", "recall_as_seen"],
        "properties": {"precision": RATE, "proposal_precision": RATE, "recall_as_seen": RATE}}},
    "backlog": _obj({"pending": INT, "by_source": COUNTS, "by_action": COUNTS, "oldest_pending": NULLABLE_STR,
                     "decided": INT})})
SPOOLED = _obj({"id": STR, "status": {"const": "spooled"}, "created": {"type": "null"}})
RELOADED = _obj({"model_version": STR, "previous_version": NULLABLE_STR, "workers": STR})
# Every review endpoint reads the database, and every keyed endpoint may have to look its key up there:
# 503 database_unavailable or auth_unavailable (with Retry-After) while it is down.
DOWN = 503

REVIEW_PATHS: dict[str, dict] = {
    "/v1/review/items": {"get": {
        "summary": "The review queue, filtered, sorted and keyset-paged (moderator token)",
        "security": SECURITY,
        "parameters": [_query_param(n, s) for n, s in FILTERS],
        "responses": {"200": _ok("items, total, next_cursor, prev_cursor, counts?", ITEM_LIST),
                      **_errors(400, 401, 403, DOWN)}}},
    "/v1/review/items/{item_id}": {"get": {
        "summary": "One item: text, verdict, spans, reasons, version, campaign, decisions, feedback",
        "security": SECURITY, "parameters": [_id_param("item_id")],
        "responses": {"200": _ok("The item", _ref("ReviewItem")), **_errors(401, 403, 404, DOWN)}}},
    "/v1/review/items/{item_id}/decision": {"post": {
        "summary": "Decide an item; 409 when it was decided since the version you loaded",
        "security": SECURITY, "parameters": [_id_param("item_id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["decision", "version"], "additionalProperties": False,
            "properties": {"decision": {"enum": ["confirm", "not_spam", "relabel", "skip"]},
                           "version": {**ROW_ID, "description": "The item version you loaded"},
                           "labels": LABELS_FIX, "spans": {"type": ["array", "null"], "items": SPAN_FIX},
                           "note": {"type": "string", "maxLength": 2000}},
            **relabel_only("labels", "spans")}}}},
        "responses": {"200": _ok("The recorded decision and the item's new version", DECIDED),
                      **_errors(400, 401, 403, 404, 409, 415, DOWN)}}},
    "/v1/review/campaigns/{campaign_id}/decision": {"post": {
        "summary": "The same decision for every pending item of a campaign",
        "security": SECURITY, "parameters": [_id_param("campaign_id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["decision"], "additionalProperties": False,
            "properties": {"decision": {"enum": ["confirm", "not_spam", "relabel"]}, "labels": LABELS_FIX},
            **relabel_only("labels")}}}},
        "responses": {"200": _ok("applied item ids and conflicts", BULK),
                      **_errors(400, 401, 403, 404, 415, DOWN)}}},
    "/v1/review/decisions": {"get": {
        "summary": "The audit trail, newest first", "security": SECURITY,
        "parameters": [_query_param(n, s) for n, s in (
            ("moderator", {"type": "string"}), ("item", ROW_ID),
            ("status", {"enum": ["applied", "rejected", "reverted"]}), ("before", ROW_ID),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}))],
        "responses": {"200": _ok("decisions, before", AUDIT), **_errors(400, 401, 403, DOWN)}}},
    "/v1/review/decisions/{decision_id}/revert": {"post": {
        "summary": "Revert an applied decision", "security": SECURITY, "parameters": [_id_param("decision_id")],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "maxProperties": 0,
            "description": "Revert takes no fields: send no body, or {}"}}}},
        "responses": {"200": _ok("The reverted decision", _obj({"reverted": _ref("ReviewDecision")})),
                      **_errors(400, 401, 403, 404, 409, 415, DOWN)}}},
    "/v1/review/stats": {"get": {
        "summary": "Decisions per day, moderator agreement with the model per label, backlog",
        "security": SECURITY, "parameters": [_query_param("days", {"type": "integer", "minimum": 1,
                                                                          "maximum": 366, "default": 30})],
        "responses": {"200": _ok("Statistics", STATS), **_errors(400, 401, 403, DOWN)}}},
    "/v1/feedback": {"post": {
        "summary": "Report a page (by the id it was classified with, or the page itself); it goes to review",
        "description": "Idempotent per (id, key): sending again corrects the report. Never refused because the "
                       "page was decided already. 202 when the database is down and the report carries "
                       "its page, or names one this worker classified lately (the report is spooled); 503 with "
                       "Retry-After for one by id alone that the worker does not know (retry, or send the page).",
        "security": SECURITY,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["label"], "additionalProperties": False,
            "anyOf": [{"required": ["id"], "properties": {"id": {"type": "string"}}},
                      {"required": ["page"], "properties": {"page": {"type": "object"}}}],
            "description": "A field sent as null counts as absent.",
            "properties": {"id": {"type": ["string", "null"], "minLength": 1, "maxLength": 200},
                           "label": {"enum": [*LABELS, "not_spam"]},
                           "spans": {"type": ["array", "null"], "items": SPAN_FIX},
                           "note": {"type": "string", "maxLength": MAX_NOTE},
                           "page": {"oneOf": [{"$ref": "#/components/schemas/Page"}, {"type": "null"}]}}}}}},
        "responses": {"201": _ok("Recorded", _ref("FeedbackRecorded")),
                      "200": _ok("Corrected (same id and key as before)", _ref("FeedbackRecorded")),
                      "202": _ok("Spooled while the database is down", SPOOLED),
                      **_errors(400, 401, 403, 404, 413, 415, 422, 503)}}},
    "/v1/admin/reload": {"post": {
        "summary": "Load the model the manifest names now (admin key); under gunicorn every worker is replaced",
        "security": SECURITY,
        "responses": {"200": _ok("model_version, previous_version", RELOADED), **_errors(401, 403, 409, DOWN)}}},
}
