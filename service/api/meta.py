"""Health, readiness, model information, OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from service.openapi import openapi_document

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up (says nothing about the model)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Ready when the model is loaded and verified; 503 with the reason otherwise. ``fallback`` says why a worker
    serves the last model the server verified instead of the one on disk."""
    state = current_app.extensions["pagesieve"]
    ready, detail = state.registry.status()
    # "database": checked at most DATABASE_CHECK_SECONDS ago, else now (waiting at most DATABASE_CHECK_WAIT_SECONDS)
    body = {"ready": ready, "model": detail if ready else None, "database": state.database_status()}
    if not ready:
        body["error"] = detail
    if ready and state.registry.fallback:  # serving, but not the model on disk: say so
        body["fallback"] = state.registry.fallback
    return jsonify(body), 200 if ready else 503


@bp.get("/v1/model")
def model_info():
    """Version, training data hash, metrics and thresholds of the serving model."""
    loaded = current_app.extensions["pagesieve"].registry.get_or_503()
    entry = loaded.manifest
    keys = ("name", "version", "file", "sha256", "created", "format_version", "libraries", "jieba_dict_sha256",
            "training_data_sha256", "lexicon_sha256", "sources", "metrics", "commit")
    body = {k: entry.get(k) for k in keys if k in entry}
    body["thresholds"] = loaded.policy.to_json()
    fallback = current_app.extensions["pagesieve"].registry.fallback
    if fallback:
        body["fallback"] = fallback
    return jsonify(body)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(max_batch=current_app.extensions["pagesieve"].max_batch))
