"""The Flask application factory (no I/O at import time).

``create_app(config)`` resolves the configuration, prepares the model
registry (the model itself loads lazily on first use or at ``/readyz``),
migrates the database when it can, and registers the blueprints. Heavy
things load once per process, never per request.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sqlalchemy.exc
from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter

from service.auth import KeyCache
from service.config import Config, load_config
from service.errors import ApiError
from service.model.registry import ModelLoadError, ModelRegistry
from service.storage.models import MAX_ROW_ID

log = logging.getLogger(__name__)
# /readyz's "database" is the answer of a check at most this old; an older one has the database checked again
DATABASE_CHECK_SECONDS = 2.0
# how long /readyz waits for that check (a HEALTHCHECK gives it 5 s): a database slower than this counts as down
DATABASE_CHECK_WAIT_SECONDS = 1.0


class NoSuchRow(NotFound):
    """A path id past the database's id range: no row can have it."""


class RowIdConverter(IntegerConverter):
    """``<rowid:name>``: a database row id in a path, in ASCII digits (``\\d`` matched ``１`` and ``٣`` too, and
    ``int()`` read them as 1 and 3). An id past the Integer columns' range names no row: a 404 that says so,
    where the database driver would overflow."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        row_id = int(value)
        if row_id > MAX_ROW_ID:
            raise NoSuchRow(description=f"no row has id {value}: ids run from 0 to {MAX_ROW_ID}")
        return row_id


class Registry(ModelRegistry):
    def get_or_503(self):
        try:
            return self.get()
        except ModelLoadError as exc:
            raise ApiError(503, "model_unavailable", f"the model is not loaded: {exc}") from None


@dataclass
class ServiceState:
    """What request handlers share, kept in ``app.extensions['pagesieve']``."""

    config: Config
    registry: Registry
    database_url: str
    anonymous_classify: bool
    max_page_bytes: int
    max_batch: int
    key_cache: KeyCache = field(default_factory=KeyCache)
    # Called after every verdict (the review queue registers its enqueue hook here).
    classify_hooks: list[Callable[[dict, object], None]] = field(default_factory=list)
    database_ready: bool = False  # the database took its last check (the schema is migrated, writes are allowed)
    _database_migrated: bool = False
    _database_check: threading.Thread | None = field(default=None, repr=False)
    _database_checked: float = 0.0  # time.monotonic() when the last check finished (0: never)
    _database_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def database_status(self) -> bool:
        """Whether the database is usable now, for ``/readyz``: the last check's answer while it is under
        ``DATABASE_CHECK_SECONDS`` old; otherwise a new check (a migration while the schema is not migrated yet,
        else a query that a read-only server fails) in the background, waited for at most
        ``DATABASE_CHECK_WAIT_SECONDS``. A check still running after that counts as down."""
        with self._database_lock:
            if time.monotonic() - self._database_checked < DATABASE_CHECK_SECONDS:
                return self.database_ready
            check = self._database_check
            if check is None or not check.is_alive():
                check = self._database_check = threading.Thread(target=_check_database, args=(self,),
                                                                name="database-check", daemon=True)
                check.start()
        check.join(DATABASE_CHECK_WAIT_SECONDS)
        return self.database_ready and not check.is_alive()

    def after_classify(self, verdict: dict, page_request) -> None:
        for hook in self.classify_hooks:
            try:
                hook(verdict, page_request)
            except Exception:  # a hook must never fail a classify call
                log.exception("classify hook failed")


def create_app(config: Config | Mapping | None = None) -> Flask:
    """Build the WSGI app. ``config`` is a :class:`Config` or a dict of overrides."""
    if not isinstance(config, Config):
        config = load_config(overrides=config)
    app = Flask(__name__)
    app.url_map.converters["rowid"] = RowIdConverter
    limits = config.section("limits")
    app.config["MAX_CONTENT_LENGTH"] = int(limits["max_body_bytes"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    state = ServiceState(
        config=config,
        registry=Registry(config.path("model", "dir"), warm=True),
        database_url=config.database_url(),
        anonymous_classify=bool(config.get("service", "anonymous_classify", False)),
        max_page_bytes=int(limits["max_page_bytes"]),
        max_batch=int(limits["max_batch"]),
    )
    app.extensions["pagesieve"] = state
    _prepare_database(state)
    from service.metrics import init_metrics

    init_metrics(app, state)

    from service.api.classify import bp as classify_bp
    from service.api.meta import bp as meta_bp

    app.register_blueprint(meta_bp)
    app.register_blueprint(classify_bp)
    from service.api.admin import bp as admin_bp
    from service.review import init_review

    app.register_blueprint(admin_bp)
    init_review(app, state)
    _tag_requests(app)
    _refuse_unknown_query_parameters(app)
    _register_error_handlers(app)
    hops = int(config.get("service", "proxy_hops", 0) or 0)
    if hops > 0:  # behind a reverse proxy: the client's address is in X-Forwarded-For, not the socket's
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _tag_requests(app: Flask) -> None:
    """Every answer carries an ``X-Request-Id``: the client's own when it sent a usable one (up to 128 letters,
    digits and ``._:-``), else a new one. The access log and the log of an unexpected error name it, so a crawler's
    report of one bad answer leads to its log lines."""

    @app.before_request
    def assign_request_id():
        sent = request.headers.get("X-Request-Id", "")
        g.request_id = sent if REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id") or uuid.uuid4().hex
        return response


def _refuse_unknown_query_parameters(app: Flask) -> None:
    """A 400 naming any query parameter a ``/v1/`` operation does not list in the OpenAPI document (the one
    source of what each operation takes), before the view runs: nothing is read, written or classified."""
    from service.openapi import openapi_document, openapi_path, query_parameters

    allowed = query_parameters(openapi_document())

    @app.before_request
    def check_query_parameters():
        rule = request.url_rule
        if rule is None or not rule.rule.startswith("/v1/") or not request.args:
            return None
        method = "GET" if request.method == "HEAD" else request.method
        names = allowed.get((openapi_path(rule.rule), method))
        if names is None:  # OPTIONS, or a route the document lacks (a test keeps them in step)
            return None
        if rule.rule == "/v1/classify" and request.mimetype == "application/json":
            return None  # a JSON page takes no query parameter at all: the route says so, naming it
        unknown = sorted(set(request.args) - names)
        if unknown:
            takes = f"it takes {', '.join(sorted(names))}" if names else "it takes none"
            raise ApiError(400, "unknown_parameter", f"unknown query parameter(s) {', '.join(map(repr, unknown))} "
                           f"on {method} {openapi_path(rule.rule)}; {takes}", unknown[0])
        return None


def _prepare_database(state: ServiceState) -> None:
    """Migrate the schema; a database that is down must not stop classify from serving."""
    from service.storage.db import display_url, migrate

    try:
        migrate(state.database_url)
    except Exception as exc:
        if not state._database_checked or state.database_ready:  # at start-up, not again at every later check
            log.error("database %s not available (%s); classify still serves",
                      display_url(state.database_url), str(exc).splitlines()[0][:300])
        _database_checked(state, False)
        return
    state._database_migrated = True
    _database_checked(state, True)


def _check_database(state: ServiceState) -> None:
    """One readiness check: the migration while it has not succeeded yet, then a query that fails on a server that
    is down or takes no writes (a standby after a failover, ``default_transaction_read_only``)."""
    if not state._database_migrated:
        _prepare_database(state)
        return
    from sqlalchemy import text

    from service.storage.db import display_url, get_engine

    try:
        with get_engine(state.database_url).connect() as connection:
            read_only = False
            if connection.dialect.name == "postgresql":
                read_only = connection.scalar(text("SELECT current_setting('transaction_read_only')")) == "on"
            else:
                connection.execute(text("SELECT 1"))
    except Exception as exc:
        if state.database_ready:
            log.error("database %s not available (%s); review items are spooled meanwhile",
                      display_url(state.database_url), str(exc).splitlines()[0][:300])
        _database_checked(state, False)
        return
    if read_only and state.database_ready:
        log.error("database %s takes no writes (read-only); review items are spooled meanwhile",
                  display_url(state.database_url))
    _database_checked(state, not read_only)


def _database_checked(state: ServiceState, ready: bool) -> None:
    from service.storage.db import display_url

    if ready and not state.database_ready and state._database_checked:
        log.info("database %s is available again", display_url(state.database_url))
    state.database_ready = ready
    state._database_checked = time.monotonic()


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return jsonify(exc.to_json()), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            404: "no such endpoint; see /openapi.json",
            405: "method not allowed on this endpoint; see /openapi.json",
            413: f"request body larger than {app.config['MAX_CONTENT_LENGTH']} bytes",
        }
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(exc.code, "http_error")
        headers = {}
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:  # RFC 9110: a 405 lists what is allowed
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        message = exc.description if isinstance(exc, NoSuchRow) else messages.get(exc.code, exc.description)
        from service.review.ui import error_page, is_ui_path

        if is_ui_path(request.path):  # a moderator's browser: the UI's own page, not JSON
            ui_message = message.replace("; see /openapi.json", "") if exc.code != 413 else message
            return error_page(ApiError(exc.code, code, ui_message), headers)
        body = {"error": {"code": code, "message": message}}
        return jsonify(body), exc.code, headers

    @app.errorhandler(sqlalchemy.exc.DBAPIError)
    @app.errorhandler(sqlalchemy.exc.TimeoutError)
    def database_down(exc: Exception):
        """The review queue's database cannot serve the request now (:func:`database_unavailable`): 503 with a retry
        hint, not a 500 (classify never gets here). Any other database error is a bug: 500."""
        from service.review.enqueue import database_error
        from service.storage.db import database_unavailable

        if not database_unavailable(exc):
            return internal_error(exc)
        log.error("database unavailable: %s", database_error(exc))
        body = {"error": {"code": "database_unavailable",
                          "message": "the review database is unavailable; retry shortly (nothing was changed)"}}
        return jsonify(body), 503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        log.exception("unhandled error (request %s)", g.get("request_id", "-"))
        return jsonify({"error": {"code": "internal_error", "message": "internal error; it has been logged"}}), 500
