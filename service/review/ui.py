"""``/review``: the moderators' pages (login, list, item, audit, stats), HTML with keyboard shortcuts.

Pages are server-rendered Jinja with autoescape; the only script is the
static ``review.js`` (a strict Content-Security-Policy forbids inline script
and styles), so scraped page text and raw HTML can never run in the
moderator's browser. Every POST checks the session's CSRF token.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import (Blueprint, current_app, flash, g, make_response, redirect, render_template, request, session,
                   url_for)
from sqlalchemy import select

from service.errors import ApiError
from service.model import BLOCK_LABELS, LABELS
from service.review import decisions as dec
from service.review.accounts import (TooManyAttempts, check_csrf, check_login, csrf_token, end_sessions,
                                     login_required, safe_next)
from service.review.highlight import segments
from service.review.queries import (
    ACTIONS,
    ITEM_LABELS,
    SORTS,
    SOURCES,
    STATUSES,
    facet_counts,
    list_items,
    neighbours,
    parse_filters,
)
from service.review.reports import audit, item_detail, stats
from service.storage.db import session_scope
from service.storage.models import MAX_ROW_ID, ReviewItem

bp = Blueprint("review_ui", __name__, url_prefix="/review", template_folder="templates", static_folder="static",
               static_url_path="/static")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
KEYS = {"confirm": "c", "not_spam": "n", "relabel": "r", "skip": "s"}


def _url() -> str:
    return current_app.extensions["pagesieve"].database_url


# Bidirectional controls: an override (U+202E) in a URL showed http://x.example/\u202egnp.exe as ".../exe.png".
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@bp.app_template_filter("bidi_safe")
def bidi_safe(text) -> str:
    """``text`` with its bidirectional controls shown as ``[U+202E]``, for URLs, notes and excerpts: what they
    are, not what they make the text look like."""
    return _BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text) if text else ""


@bp.before_request
def _csrf():
    """Every POST carries the session's CSRF token, except one from a browser whose session has ended (logged out
    in another tab): that one goes to the login page (``login_required``), where a token error page lost the way
    back. It changes nothing either way."""
    if request.method == "POST" and (session.get("moderator") or request.endpoint in ("review_ui.login",
                                                                                       "review_ui.logout")):
        check_csrf()


@bp.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ApiError)
def _error(exc: ApiError):
    return render_template("review/error.html", error=exc), exc.status


def is_ui_path(path: str) -> bool:
    """Whether ``path`` is under ``/review`` (the moderators' pages, not the ``/v1/review`` API)."""
    return path == bp.url_prefix or path.startswith(bp.url_prefix + "/")


def error_page(error: ApiError, headers: dict[str, str] | None = None):
    """The UI's HTML error page, with the UI's headers, for an error raised before a ``/review`` route is
    matched (an unknown page, an id past the id range), which the app would otherwise answer in JSON."""
    response = make_response(render_template("review/error.html", error=error), error.status)
    response.headers.update(headers or {})
    return _headers(response)


@bp.app_context_processor
def _globals():
    return {"csrf_token": csrf_token, "KEYS": KEYS, "PAGE_LABELS": LABELS, "BLOCK_LABELS": BLOCK_LABELS}


# -- login -----------------------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a successful login rotates the session (and its CSRF token). Failed logins are throttled
    per username and client address (``[service] proxy_hops`` says how many proxies' ``X-Forwarded-For`` to
    trust for the address): the form comes back as a 429 with ``Retry-After``."""
    error, status, headers = None, 200, {}
    if request.method == "POST":
        name, password = request.form.get("username", "").strip(), request.form.get("password", "")
        try:
            fingerprint = check_login(_url(), name, password, request.remote_addr or "") if name and password \
                else None
        except TooManyAttempts as exc:
            fingerprint, error, status = None, exc.message[:1].upper() + exc.message[1:] + ".", 429
            headers["Retry-After"] = str(exc.retry_after)
        if fingerprint:
            session.clear()
            session["moderator"], session["password_fingerprint"] = name, fingerprint
            csrf_token()
            return redirect(safe_next(request.args.get("next")))
        if not error:
            error, status = "Unknown user or wrong password.", 401
    return render_template("review/login.html", error=error), status, headers


@bp.post("/logout")
def logout():
    """End the session, and every other of the account: the cookie is signed, not stored, so clearing it
    alone left a copy of it valid."""
    name = session.get("moderator")
    if name:
        with session_scope(_url()) as s:
            end_sessions(s, name)
    session.clear()
    return redirect(url_for("review_ui.login"))


# -- list ------------------------------------------------------------------------------------------

def _context_args() -> dict:
    """The list's filters and sort, carried from page to page (item view, decisions, back to the list)."""
    source = request.form if request.method == "POST" else request.args
    args = parse_filters(source).to_args()
    sort = source.get("sort") or "uncertainty"
    if sort not in SORTS:
        raise ApiError(400, "invalid_parameter", f"'sort' must be one of {', '.join(SORTS)}", "sort")
    args["sort"] = sort
    return args


@bp.get("")
@bp.get("/")
@login_required
def queue():
    """The list view: filters with counts, sorts, keyset paging, selection for bulk decisions."""
    ctx = _context_args()
    filters = parse_filters(ctx)
    size = int(current_app.extensions["pagesieve"].config.get("review", "page_size", 50))
    with session_scope(_url()) as s:
        page = list_items(s, filters, ctx["sort"], size, request.args.get("cursor") or None)
        counts = facet_counts(s, filters)
    return render_template("review/list.html", page=page, counts=counts, ctx=ctx, query=urlencode(ctx),
                           statuses=STATUSES, labels=ITEM_LABELS, actions=ACTIONS, sources=SOURCES, sorts=SORTS)


# -- item ------------------------------------------------------------------------------------------

@bp.get("/items/<rowid:item_id>")
@login_required
def item(item_id: int):
    """The item view: highlighted text, reasons, scores, campaign, escaped raw HTML, decision keys."""
    ctx = _context_args()
    with session_scope(_url()) as s:
        row = s.get(ReviewItem, item_id)
        if row is None:
            raise ApiError(404, "not_found", f"no review item {item_id}")
        detail = item_detail(s, row)
        prev_id, next_id = neighbours(s, parse_filters(ctx), ctx["sort"], row)
    segs = segments(detail["text"], detail["spans"])
    return render_template("review/item.html", item=detail, segs=segs, ctx=ctx, query=urlencode(ctx),
                           prev_id=prev_id, next_id=next_id, keys=KEYS)


def _form_spans(detail_spans: list[dict], labels: list[str] | None) -> list[dict] | None:
    """Span corrections from the relabel form: a label per model span plus spans marked on the text.

    A model span left at the model's label follows the page ``labels``: an injected_spam or link_farm span whose
    label the moderator unticked becomes content. One the moderator set to such a label must have it ticked
    (:func:`decisions.check_spans_have_their_labels` refuses it otherwise), and so must a marked span."""
    if not any(k.startswith(("span_", "add_span")) for k in request.form):
        return None
    out = []
    for i, span in enumerate(detail_spans):
        label = request.form.get(f"span_{i}", span.get("label"))
        if label not in BLOCK_LABELS:
            raise ApiError(400, "invalid_decision", f"span {i}: unknown label {label!r}", "spans")
        if labels is not None and label == span.get("label") and label in dec.BAD_SPAN_LABELS and \
                label not in labels:
            label = "content"  # untouched, and the page is no longer labelled so
        if label != "content":
            out.append({"start": int(span["start"]), "end": int(span["end"]), "label": label})
    for raw in request.form.getlist("add_span"):
        try:
            start, end, label = raw.split(":", 2)
            out.append({"start": int(start), "end": int(end), "label": label})
        except ValueError:
            raise ApiError(400, "invalid_decision", f"marked span {raw!r} is not start:end:label", "spans") from None
    return dec.outermost(out)  # as confirm reads the model's spans (decisions.model_spans)


def _back_to_list(ctx: dict):
    return redirect(url_for("review_ui.queue") + "?" + urlencode(ctx))


@bp.post("/items/<rowid:item_id>/decision")
@login_required
def decide(item_id: int):
    """One decision from the item view; then the next item of the list (or the list)."""
    ctx = _context_args()
    decision = request.form.get("decision", "")
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        raise ApiError(400, "invalid_decision", "the form lost the item version; reload the page", "version") \
            from None
    with session_scope(_url()) as s:
        row = s.get(ReviewItem, item_id)
        if row is None:
            raise ApiError(404, "not_found", f"no review item {item_id}")
        labels = request.form.getlist("labels") if decision == "relabel" and "labels_sent" in request.form else None
        spans = _form_spans(row.verdict.get("spans", []), labels) if decision == "relabel" else None
        try:
            dec.decide(s, item_id, version, decision, g.moderator, labels=labels, spans=spans,
                       note=request.form.get("note", ""))
        except dec.Conflict as exc:
            flash(exc.message, "conflict")
            return redirect(url_for("review_ui.item", item_id=item_id) + "?" + urlencode(ctx))
        row = s.get(ReviewItem, item_id, populate_existing=True)
        _, next_id = neighbours(s, parse_filters(ctx), ctx["sort"], row)
    flash(f"#{item_id}: {decision.replace('_', ' ')} recorded (u to undo)", "ok")
    if next_id is None:
        return _back_to_list(ctx)
    return redirect(url_for("review_ui.item", item_id=next_id) + "?" + urlencode(ctx))


@bp.post("/undo")
@login_required
def undo():
    """Revert my last decision still in force (a whole bulk or campaign decision at once; its items decided by
    someone or re-opened by a client's report since are left as they are and named) and go back to its item, or to the list for a bulk."""
    ctx = _context_args()
    try:
        with session_scope(_url()) as s:
            undone = dec.undo_last(s, g.moderator)
    except ApiError as exc:
        if exc.code != "nothing_to_undo":
            raise
        flash("nothing to undo: you have no decision left to take back", "conflict")  # not a full error page
        return _back_to_list(ctx)
    flash(f"undone: {len(undone.reverted)} item(s) back to their previous state", "ok")
    if undone.kept:
        who = ", ".join(sorted({k["decided_by"] for k in undone.kept}))
        flash(f"{len(undone.kept)} item(s) of that decision were decided or re-opened since (by {who}) and were left as they "
              "are: " + ", ".join("#" + str(k["id"]) for k in undone.kept[:10]), "conflict")
    if len(undone.reverted) == 1 and not undone.kept:
        return redirect(url_for("review_ui.item", item_id=undone.reverted[0]) + "?" + urlencode(ctx))
    return _back_to_list(ctx)


def _bulk_report(result: dec.BulkResult) -> None:
    flash(f"applied to {len(result.applied)} item(s)", "ok")
    changed = [c for c in result.conflicts if "error" not in c]
    missing = [c for c in result.conflicts if "error" in c]
    if changed:
        who = ", ".join(sorted({str(c.get("decided_by")) for c in changed}))
        flash(f"{len(changed)} item(s) changed meanwhile and were left as they are (by {who})", "conflict")
    if missing:
        flash(f"{len(missing)} selected item(s) do not exist: {', '.join(str(c['id']) for c in missing[:10])}",
              "conflict")


def _form_labels(decision: str) -> list[str] | None:
    """The labels a relabel form chose: at least one (an unticked form would relabel the pages clean, which
    "not spam" says)."""
    if decision != "relabel":
        return None
    labels = request.form.getlist("labels")
    if not labels:
        raise ApiError(400, "invalid_decision", "tick at least one label to relabel to (for clean pages, decide "
                       "'not spam')", "labels")
    return labels


@bp.post("/bulk")
@login_required
def bulk():
    """The same decision for the selected items (``item id:version`` pairs)."""
    ctx = _context_args()
    decision = request.form.get("decision", "")
    if decision not in dec.STATE_CHANGING:
        raise ApiError(400, "invalid_decision", f"bulk decision must be one of {list(dec.STATE_CHANGING)}",
                       "decision")
    targets = []
    for raw in request.form.getlist("selected"):
        try:
            item_id, version = (int(x) for x in raw.split(":"))
        except ValueError:
            raise ApiError(400, "invalid_selection", f"bad selection entry {raw!r}", "selected") from None
        if not (1 <= item_id <= MAX_ROW_ID and 0 <= version <= MAX_ROW_ID) or not raw.isascii():
            raise ApiError(400, "invalid_selection", f"bad selection entry {raw!r}: an item id and version "
                           f"from 1 and 0 to {MAX_ROW_ID}", "selected")
        targets.append((item_id, version))
    if not targets:
        raise ApiError(400, "empty_selection", "select at least one item (x or the checkboxes)", "selected")
    labels = _form_labels(decision)
    with session_scope(_url()) as s:
        _bulk_report(dec.decide_many(s, targets, decision, g.moderator, labels=labels))
    return _back_to_list(ctx)


@bp.post("/campaigns/<rowid:campaign_id>/decision")
@login_required
def campaign_decision(campaign_id: int):
    """Settle a whole campaign at once."""
    ctx = _context_args()
    decision = request.form.get("decision", "")
    if decision not in dec.STATE_CHANGING:
        raise ApiError(400, "invalid_decision", f"campaign decision must be one of {list(dec.STATE_CHANGING)}",
                       "decision")
    labels = _form_labels(decision)
    with session_scope(_url()) as s:
        _bulk_report(dec.decide_campaign(s, campaign_id, decision, g.moderator, labels=labels))
    return _back_to_list(ctx)


# -- audit and stats -------------------------------------------------------------------------------

@bp.get("/audit")
@login_required
def audit_page():
    """Every decision (applied, rejected, reverted), newest first, with revert buttons."""
    def number(name):
        raw = request.args.get(name, "")
        if not raw:
            return None
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ROW_ID:
            raise ApiError(400, "invalid_parameter", f"'{name}' must be a whole number from 0 to {MAX_ROW_ID}", name)
        return int(raw)

    status = request.args.get("status") or None
    if status not in (None, "applied", "rejected", "reverted"):
        raise ApiError(400, "invalid_parameter", "'status' must be applied, rejected or reverted", "status")
    args = {"moderator": request.args.get("moderator") or None, "item_id": number("item"), "status": status}
    with session_scope(_url()) as s:
        rows, before = audit(s, **args, before=number("before"))
        sites = dict(s.execute(select(ReviewItem.id, ReviewItem.site).where(
            ReviewItem.id.in_({r.item_id for r in rows}))).all())
    more = urlencode({k: v for k, v in {**request.args, "before": before}.items() if v}) if before else None
    return render_template("review/audit.html", rows=rows, sites=sites, args=request.args, more=more)


@bp.post("/decisions/<rowid:decision_id>/revert")
@login_required
def revert(decision_id: int):
    with session_scope(_url()) as s:
        reverted = dec.revert(s, decision_id, g.moderator)
    flash(f"decision #{decision_id} on item #{reverted.item_id} reverted", "ok")
    return redirect(url_for("review_ui.audit_page"))


@bp.get("/stats")
@login_required
def stats_page():
    """Decisions per day, the model's precision as moderators see it, the backlog."""
    with session_scope(_url()) as s:
        body = stats(s, 30)
    peak = max([sum(c.values()) for c in body["per_day"].values()] or [1])
    return render_template("review/stats.html", stats=body, peak=peak)
