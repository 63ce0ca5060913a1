"""``POST /v1/admin/reload``: serve the model the manifest names now, without dropping requests.

The worker that gets the call loads and verifies the new model while the old
one keeps serving, then swaps it in. Under gunicorn it also sends SIGHUP to
the master, which replaces every worker gracefully (each new worker loads
the manifest's model at start); ``kill -HUP <master pid>`` does the same
from a shell.
"""

from __future__ import annotations

import logging
import os
import signal

from flask import Blueprint, current_app, jsonify, request

from service.api.classify import json_body
from service.auth import require
from service.errors import ApiError
from service.model.registry import ModelLoadError

bp = Blueprint("admin", __name__)
log = logging.getLogger(__name__)


@bp.post("/v1/admin/reload")
@require("admin")
def reload_model():
    """Load the manifest's current model; 409 (old model still serving) when it cannot be loaded. The call takes
    no parameters: a body other than nothing or ``{}`` is refused, as it would be ignored."""
    if request.get_data(cache=True).strip():
        body = json_body()
        if body != {}:
            name = sorted(body)[0] if isinstance(body, dict) else None
            raise ApiError(400, "unknown_field" if name else "invalid_body",
                           "reload takes no parameters: send no body, or {}", name)
    registry = current_app.extensions["pagesieve"].registry
    previous = registry._current.version if registry._current is not None else None
    try:
        loaded = registry.reload()
    except ModelLoadError as exc:
        raise ApiError(409, "reload_failed", f"the new model was not loaded ({exc}); "
                       f"{previous or 'no model'} keeps serving") from None
    body = {"model_version": loaded.version, "previous_version": previous, "workers": "this process"}
    if request.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        os.kill(os.getppid(), signal.SIGHUP)
        body["workers"] = "all workers are being replaced gracefully (SIGHUP to the gunicorn master)"
    log.info("model reloaded: %s -> %s", previous, loaded.version)
    return jsonify(body)
