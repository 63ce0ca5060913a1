"""The moderators' review queue: enqueue hook, campaigns, decisions, /review UI and /v1/review API.

``init_review(app, state)`` wires it into the app factory: the classify hook
(non-blocking, spooled when the database is down), the session secret and
cookie policy for the moderators' pages, and the blueprints.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

EXTENSION = "pagesieve_review"


def load_secret_key(config) -> str:
    """``review.secret_key``, else one generated once and kept (mode 0600) in ``review.secret_key_file``.

    A file that can be neither created nor read is a ConfigError naming the setting (the server calls this in the
    gunicorn master before any worker starts, so a bad path stops the start with one line, not every worker)."""
    from service.config import ConfigError

    configured = str(config.get("review", "secret_key", "") or "")
    if configured:
        return configured
    path = Path(config.path("review", "secret_key_file"))
    fix = "set PAGESIEVE_REVIEW_SECRET_KEY_FILE to a writable file path, or PAGESIEVE_REVIEW_SECRET_KEY"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker (or an earlier run) made it: use that one
            for _ in range(50):
                key = path.read_text(encoding="ascii").strip()
                if key:
                    return key
                import time

                time.sleep(0.02)
            raise ConfigError(f"review.secret_key_file {path} is empty; delete it or {fix}") from None
        key = secrets.token_hex(32)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
        return key
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"review.secret_key_file {path} cannot be created or read ({reason}); {fix}") from None


def check_spool_dir(config):
    """The spool directory, made and probed: the spool is where review records wait while the database is down, so
    a directory that cannot hold it is a ConfigError naming the setting (the server checks it in the gunicorn master
    before any worker starts, so it is one line, not dead workers)."""
    from service.config import ConfigError
    from service.review.enqueue import Spool

    spool_dir = config.path("storage", "spool_dir")
    try:
        Spool(spool_dir).check()
    except OSError as exc:
        raise ConfigError(f"storage.spool_dir (PAGESIEVE_STORAGE_SPOOL_DIR) {spool_dir} cannot hold the review spool: "
                          f"{type(exc).__name__}: {exc.strerror or exc}; name a writable directory") from None
    return spool_dir


def init_review(app: Flask, state) -> None:
    """Register the enqueue hook, the session settings and the review blueprints."""
    from service.review.enqueue import ReviewEnqueuer

    config = state.config
    review = config.section("review")
    spool_dir = check_spool_dir(config)

    def thresholds():
        loaded = state.registry.get()
        return loaded.policy.to_json()

    enqueuer = ReviewEnqueuer(
        state.database_url, spool_dir, float(review.get("sample_rate", 0.01)),
        int(config.get("limits", "max_raw_html_bytes", 200_000)), thresholds=thresholds,
        retry_seconds=float(review.get("spool_retry_seconds", 5)), queue_max=int(review.get("queue_max", 10_000)),
        migrated=state.database_ready)
    state.classify_hooks.append(enqueuer.hook)
    app.extensions[EXTENSION] = enqueuer
    if enqueuer.spool.pending_files():
        enqueuer.start()  # replay what an earlier run could not write: now, or once the database is back

    from service.review.api import bp as api_bp
    from service.review.feedback import bp as feedback_bp
    from service.review.ui import bp as ui_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(ui_bp)

    app.secret_key = load_secret_key(config)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=bool(review.get("cookie_secure", False)),
                      SESSION_COOKIE_NAME="pagesieve_session")
