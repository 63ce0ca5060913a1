"""The OpenAPI 3.1 description of the whole HTTP API (served at ``/openapi.json``).

Endpoint modules contribute their paths through :data:`PATHS`; keep this
document in step with the routes (a test compares them).
"""

from __future__ import annotations

import copy
import re

from service.model import BLOCK_LABELS, LABELS

ERROR = {"$ref": "#/components/schemas/Error"}
DEFAULT_MAX_BATCH = 64  # defaults.toml's limits.max_batch; the served document states the configured one


def _error_responses(*codes: int) -> dict:
    text = {400: "Malformed request (the message says what to fix)", 401: "Missing or invalid API key",
            403: "The key's role may not use this endpoint", 404: "Not found", 409: "Conflict",
            413: "Page, body or batch too large", 415: "Unsupported content type",
            422: "Page bytes could not be decoded", 503: "Model not loaded or dependency unavailable"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": ERROR}}} for c in codes}


SCHEMAS = {
    "Page": {
        "type": "object", "additionalProperties": False,
        "oneOf": [{"required": [name], "properties": {name: {"type": "string"}}}
                  for name in ("html", "html_base64", "text")],
        "description": "One page. Send exactly one of html, html_base64 (raw bytes, any charset) or text. "
                       "A field sent as null counts as absent. The service never fetches the url.",
        "properties": {
            "id": {"type": ["string", "null"], "maxLength": 200,
                   "description": "Client id; default: a hash of url and content"},
            "url": {"type": ["string", "null"], "maxLength": 4096},
            "html": {"type": ["string", "null"]},
            "html_base64": {"type": ["string", "null"], "contentEncoding": "base64"},
            "text": {"type": ["string", "null"]},
            "charset": {"type": ["string", "null"],
                        "description": "Charset of html_base64 bytes (gbk, gb18030, big5, …). ISO-8859-1 and "
                                       "windows-1252 yield to the page's own meta charset, UTF-8 or a detected "
                                       "multi-byte charset"},
            "content_type": {"type": ["string", "null"], "description": "e.g. 'text/html; charset=gbk'"},
        },
    },
    "Span": {
        "type": "object", "required": ["start", "end", "label", "score", "reasons"],
        "properties": {
            "start": {"type": "integer", "description": "Offset of the first character in `text`"},
            "end": {"type": "integer", "description": "Offset one past the last character"},
            "label": {"enum": [b for b in BLOCK_LABELS if b != "content"]},
            "score": {"type": "number"}, "reasons": {"type": "array", "items": {"type": "string"}},
            "path": {"type": "string", "description": "Element path (HTML input)"},
            "excerpt": {"type": "string"}, "inline": {"type": "boolean", "description": "A spam term inside a block of prose (a gambling name substituted for an institution's own): the span is the term, and stripping it keeps the rest of the block"},
        },
    },
    "Reason": {
        "type": "object", "required": ["code", "label", "description", "evidence"],
        "properties": {"code": {"type": "string"}, "label": {"type": "string"}, "description": {"type": "string"},
                       "evidence": {"type": "array", "items": {"type": "string"}},
                       "spans": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}},
    },
    "Verdict": {
        "type": "object",
        "required": ["id", "url", "model_version", "language", "labels", "flags", "quality", "action", "spans",
                     "text", "clean_text", "reasons"],
        "properties": {
            "id": {"type": "string"}, "url": {"type": "string"}, "model_version": {"type": "string"},
            "language": {"type": "string", "description": "ISO 639-1 code of the main language; und when there "
                                                          "are no letters or under 20 Latin letters"},
            "labels": {"type": "object", "properties": {label: {"type": "number"} for label in LABELS},
                       "description": "Calibrated probability per page label, from the page model; the "
                                      "decision is flags (a page flagged by a sure block keeps its lower "
                                      "page-model probability here)"},
            "flags": {"type": "array", "items": {"enum": list(LABELS)},
                      "description": "The labels at or over their flag thresholds, and injected_spam when one "
                                     "block is at or over its block-flag threshold (reason SURE_BLOCK); the "
                                     "thresholds are in GET /v1/model"},
            "quality": {"type": "number", "minimum": 0, "maximum": 1,
                        "description": "Probability the page is clean, discounted when little of it is main content "
                                       "and when it has under 100 characters of main content (0 for an empty page)"},
            "action": {"enum": ["keep", "strip", "review", "drop"]},
            "spans": {"type": "array", "items": {"$ref": "#/components/schemas/Span"}},
            "text": {"type": "string", "description": "The page's extracted text; span offsets point into it"},
            "clean_text": {"type": "string",
                           "description": "The text without boilerplate and without the injected_spam / "
                                          "link_farm blocks of the labels in flags (a span of a label the page "
                                          "is not flagged with is reported but kept); a page whose every "
                                          "block looks like boilerplate keeps the one most likely content"},
            "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}},
            "input": {"enum": ["html", "text"]}, "charset": {"type": "string"},
        },
    },
    "BatchResult": {"oneOf": [{"$ref": "#/components/schemas/Verdict"}, {
        "type": "object", "required": ["index", "status", "error"],
        "properties": {"index": {"type": "integer"}, "status": {"type": "integer"}, "id": {"type": "string"},
                       "error": {"$ref": "#/components/schemas/ErrorBody"}}}]},
    "ErrorBody": {"type": "object", "required": ["code", "message"],
                  "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                 "field": {"type": "string"}}},
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"$ref": "#/components/schemas/ErrorBody"}}},
}

COMPRESSED = ("Any JSON or page body may be sent with Content-Encoding gzip or deflate (415 for another coding, 400 "
              "for bytes that are not what the coding says); the body limit applies to the decoded bytes too (413).")

# The batch's pages, sent as {"pages": [...]} or as the list itself (one object in both places: the document sets
# its maxItems to the configured limit once).
BATCH_PAGES = {"type": "array", "minItems": 1, "maxItems": DEFAULT_MAX_BATCH,
               "items": {"description": "A Page (components/schemas/Page). One that is not gets its own error entry "
                                        "in results; the other pages are still classified"}}

PATHS: dict[str, dict] = {
    "/v1/classify": {"post": {
        "summary": "Classify one page",
        "description": "JSON body (a Page), or the raw page bytes with Content-Type text/html or text/plain "
                       "(charset parameter honoured; url and id as query parameters). " + COMPRESSED,
        "security": [{"bearer": []}],
        "parameters": [{"name": name, "in": "query", "schema": {"type": "string"},
                        "description": f"The page's {name}, with raw page bytes only (a JSON page carries its own; "
                                       "the parameter with a JSON body is a 400)"} for name in ("url", "id")],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Page"}},
            "text/html": {"schema": {"type": "string", "format": "binary"}},
            "text/plain": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {"200": {"description": "The verdict", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Verdict"}}}},
            **_error_responses(400, 401, 403, 413, 415, 422, 503)},
    }},
    "/v1/classify/batch": {"post": {
        "summary": "Classify up to limits.max_batch pages (default 64), one result per page in order",
        "description": COMPRESSED,
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "description": "{\"pages\": [...]}, or the list of pages itself",
            "oneOf": [{"type": "object", "required": ["pages"], "additionalProperties": False,
                       "properties": {"pages": BATCH_PAGES}}, BATCH_PAGES]}}}},
        "responses": {"200": {"description": "One result per page: a verdict or that page's own error",
                              "content": {"application/json": {"schema": {"type": "object", "properties": {
                                  "results": {"type": "array", "items": {"$ref": "#/components/schemas/BatchResult"}},
                                  "model_version": {"type": "string"}}}}}},
                      **_error_responses(400, 401, 403, 413, 415, 503)},
    }},
    "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "Process is up"}}}},
    "/readyz": {"get": {"summary": "Readiness: model loaded, verified and warmed up",
                        "responses": {"200": {"description": "Ready"}, "503": {"description": "Not ready, with reason"}}}},
    "/v1/model": {"get": {"summary": "Serving model: version, hashes, metrics, thresholds",
                          "responses": {"200": {"description": "Model information"}, **_error_responses(503)}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    "/metrics": {"get": {
        "summary": "Prometheus metrics, summed over all gunicorn workers",
        "description": "pagesieve_http_requests_total{endpoint,method,status}, "
                       "pagesieve_http_request_duration_seconds{endpoint}, pagesieve_classify_duration_seconds, "
                       "pagesieve_verdicts_total{action}, pagesieve_verdict_flags_total{flag}, "
                       "pagesieve_model_info{version}.",
        "responses": {"200": {"description": "Prometheus text exposition format",
                              "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
}


def openapi_document(max_batch: int = DEFAULT_MAX_BATCH) -> dict:
    """The document; ``max_batch`` is the configured batch limit (``limits.max_batch``).

    Every ``/v1/`` operation answers 400 to a query parameter it does not list
    (:func:`query_parameters`), so each lists the 400.
    """
    from service import __version__
    from service.review.openapi_paths import REVIEW_PATHS, REVIEW_SCHEMAS

    paths = copy.deepcopy({**PATHS, **REVIEW_PATHS})
    for path, operations in paths.items():
        if path.startswith("/v1/"):
            for operation in operations.values():
                operation["responses"] = {**_error_responses(400), **operation["responses"]}
    batch_body = paths["/v1/classify/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    batch_body["oneOf"][1]["maxItems"] = max_batch  # the same object as oneOf[0]'s "pages" (deepcopy keeps that)
    return {
        "openapi": "3.1.0",
        "info": {"title": "pagesieve", "version": __version__,
                 "description": "Content-quality and spam filter for scraped web pages: per-block verdicts with "
                                "reason codes, evidence and character offsets."},
        "paths": paths,
        "components": {"schemas": {**SCHEMAS, **REVIEW_SCHEMAS},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


_RULE_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """The document's path for a Flask URL rule: ``/v1/review/items/<rowid:item_id>`` becomes
    ``/v1/review/items/{item_id}``."""
    return _RULE_VARIABLE.sub(r"{\1}", rule)


def query_parameters(document: dict) -> dict[tuple[str, str], frozenset[str]]:
    """``(path, METHOD) -> the query parameters the operation lists``, for every operation of ``document``.

    The service refuses any other query parameter on ``/v1/`` (``unknown_parameter``), as it refuses unknown
    JSON fields: a misspelt filter (``?lable=link_farm``) must not quietly list everything.
    """
    return {(path, method.upper()): frozenset(p["name"] for p in operation.get("parameters", ())
                                              if p["in"] == "query")
            for path, operations in document["paths"].items() for method, operation in operations.items()}
