"""Moderator accounts for /review: hashed passwords, session login, CSRF tokens.

Accounts are people (``python -m service create-moderator NAME``); API tokens
(``create-key --role moderator``) are programs, and never log in here.
Passwords are hashed with werkzeug's scrypt. Every state-changing request
of the review pages must carry the session's CSRF token (a hidden form
field or the ``X-CSRF-Token`` header); the session cookie is HttpOnly and
SameSite=Lax.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import secrets
import time
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.errors import ApiError
from service.storage.db import session_scope
from service.storage.models import LoginFailure, Moderator

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
FAILURE_WINDOW = 300.0  # seconds a failed login counts against further attempts
MAX_FAILURES = 5  # per username and client address: a guesser elsewhere cannot lock a moderator out
MAX_ADDRESS_FAILURES = 20  # per client address across usernames: one address trying many accounts
_DUMMY_HASH = generate_password_hash("not a password")  # same work for unknown names


def validate_username(name: str) -> str:
    if not USERNAME_RE.match(name or ""):
        raise ValueError("a username is 1-64 letters, digits, '.', '_' or '-'")
    return name


def set_password(session_: Session, username: str, password: str, *, create: bool) -> Moderator:
    """Create an account (``create``) or change its password; refuses empty passwords."""
    validate_username(username)
    if not password:
        raise ValueError("the password is empty")
    row = session_.scalar(select(Moderator).where(Moderator.username == username))
    if create and row is not None:
        raise ValueError(f"moderator {username!r} exists; use --reset to change the password")
    if not create and row is None:
        raise ValueError(f"no moderator {username!r}")
    if row is None:
        row = Moderator(username=username, password_hash="", active=True)
        session_.add(row)
    row.password_hash = generate_password_hash(password)
    return row


class TooManyAttempts(ApiError):
    """Logins refused for a while after failed ones; ``retry_after`` is the seconds until the next is counted."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(429, "too_many_attempts", message)
        self.retry_after = retry_after


def _check_throttle(session_: Session, username: str, address: str, now: float) -> None:
    """Refuse a login attempt while its username from its address (or its address, for any username) has failed
    too often in the last :data:`FAILURE_WINDOW` seconds. Failures are rows, so every worker counts the same ones."""
    since = now - FAILURE_WINDOW
    recent = select(func.count(), func.min(LoginFailure.failed_at)).where(LoginFailure.address == address,
                                                                          LoginFailure.failed_at > since)
    for limit, scope, query in (
            (MAX_FAILURES, f"for {username!r} from this address", recent.where(LoginFailure.username == username)),
            (MAX_ADDRESS_FAILURES, "from this address", recent)):
        count, oldest = session_.execute(query).one()
        if count >= limit:
            wait = max(1, math.ceil(oldest + FAILURE_WINDOW - now))
            raise TooManyAttempts(f"too many failed logins {scope}; try again in {wait} seconds", wait)


def _record_failure(session_: Session, username: str, address: str, now: float) -> None:
    """Count a failed login, and forget failures too old to count."""
    session_.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - FAILURE_WINDOW))
    session_.add(LoginFailure(username=username, address=address, failed_at=now))


def password_fingerprint(password_hash: str, session_epoch: int = 0) -> str:
    """What a login session keeps of the account: a one-way digest of its password hash and session epoch (the
    session cookie is signed, not encrypted, so the hash itself stays out of it). A new password changes it,
    and so does a new epoch (logging out, disabling or enabling the account): every session made before ends,
    a copy of its cookie kept after a logout included."""
    return hashlib.sha256(f"{password_hash}\x00{session_epoch}".encode()).hexdigest()[:32]


def end_sessions(session_: Session, username: str) -> None:
    """End every login session of the account (its epoch moves on)."""
    session_.execute(update(Moderator).where(Moderator.username == username)
                     .values(session_epoch=Moderator.session_epoch + 1))


def check_login(database_url: str, username: str, password: str, address: str = "") -> str | None:
    """The password's :func:`password_fingerprint` for an active account with this password, else None.

    Failed attempts are throttled per username and client ``address`` (:data:`MAX_FAILURES`), and per address
    (:data:`MAX_ADDRESS_FAILURES`): :class:`TooManyAttempts`. A success clears the username's failures from
    that address."""
    username, address, now = username[:64], address[:64], time.time()
    with session_scope(database_url) as s:
        _check_throttle(s, username, address, now)
        row = s.scalar(select(Moderator).where(Moderator.username == username, Moderator.active.is_(True)))
        ok = check_password_hash(row.password_hash if row else _DUMMY_HASH, password) and row is not None
        if not ok:
            _record_failure(s, username, address, now)
            return None
        s.execute(delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.address == address))
        return password_fingerprint(row.password_hash, row.session_epoch)


def set_active(session_: Session, username: str, active: bool) -> Moderator:
    """Disable an account (its sessions end at their next request, and it cannot log in) or enable it again."""
    row = session_.scalar(select(Moderator).where(Moderator.username == validate_username(username)))
    if row is None:
        raise ValueError(f"no moderator {username!r}")
    row.active = active
    row.session_epoch += 1  # disabling ends the sessions; enabling again does not bring them back
    return row


def list_moderators(session_: Session) -> list[Moderator]:
    return list(session_.scalars(select(Moderator).order_by(Moderator.username)))


def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse a state-changing request whose token is missing or is not this session's."""
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError(400, "csrf_failed", "the form's security token is missing or out of date; reload the page "
                       "and try again")


def login_required(view):
    """Redirect to the login page unless a moderator is logged in whose account is still active and whose
    password and session epoch are still the ones the session was made with (a reset, a logout, a disabled
    account end the session)."""

    @functools.wraps(view)
    def inner(*args, **kwargs):
        name = session.get("moderator")
        if name:
            url = current_app.extensions["pagesieve"].database_url
            with session_scope(url) as s:
                row = s.execute(select(Moderator.active, Moderator.password_hash, Moderator.session_epoch)
                                .where(Moderator.username == name)).first()
            if row is not None and row.active and hmac.compare_digest(
                    session.get("password_fingerprint", ""),
                    password_fingerprint(row.password_hash, row.session_epoch)):
                g.moderator = name
                return view(*args, **kwargs)
            session.clear()
        return redirect(url_for("review_ui.login", next=_return_to()))

    return inner


def _return_to() -> str:
    """Where to go after logging in again: the page asked for, or, for a form sent after the session ended (a
    decision, a bulk action), the page the form was on: its address answers POST only, and after the login the
    browser asked for it with GET (405). The form's decision itself is not replayed."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/review"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("review_ui.queue")


def safe_next(target: str | None) -> str:
    """Only same-site /review paths are followed after login (no open redirect)."""
    if target and target.startswith("/review") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("review_ui.queue")
