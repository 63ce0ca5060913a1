"""Bearer-key authentication and role checks for the JSON API.

Keys live hashed in the database. Lookups are cached in memory for a minute
(``CACHE_SECONDS``), and a known key keeps working while the database is
briefly unreachable. Anonymous classify is allowed only when the operator
turned it on (``make serve`` on a loopback address does, and says so).
"""

from __future__ import annotations

import functools
import threading
import time

from flask import current_app, g, request

from service.errors import ApiError
from service.storage.db import session_scope
from service.storage.keys import PERMISSIONS, lookup

# How long a worker trusts a key's looked-up role: a revoked key is refused within this long, and a key keeps
# working this long (and past it, while the database is down) without a database round trip.
CACHE_SECONDS = 60


class KeyCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, str | None]] = {}

    def role_for(self, key: str, database_url: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        try:
            with session_scope(database_url) as session:
                row = lookup(session, key)
                role = row.role if row else None
        except Exception as exc:  # database down: fall back to a stale entry if there is one
            if hit:
                return hit[1]
            raise ApiError(503, "auth_unavailable", "cannot verify the API key right now; retry shortly") from exc
        with self._lock:
            self._entries[key] = (now, role)
        return role


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "bad_authorization", "use 'Authorization: Bearer <key>'")
    return token.strip()


def require(permission: str):
    """Route decorator: the caller's key must grant ``permission`` (anonymous classify if enabled)."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            key = _bearer()
            settings = current_app.extensions["pagesieve"]
            if key is None:
                if permission == "classify" and settings.anonymous_classify:
                    g.role = "anonymous"
                    return view(*args, **kwargs)
                raise ApiError(401, "missing_key", "this endpoint needs 'Authorization: Bearer <key>'; "
                               "create one with: python -m service create-key --role crawler")
            role = settings.key_cache.role_for(key, settings.database_url)
            if role is None:
                raise ApiError(401, "invalid_key", "the API key is unknown or revoked")
            if permission not in PERMISSIONS.get(role, set()):
                raise ApiError(403, "forbidden", f"a {role} key cannot use this endpoint (needs {permission})")
            g.role = role
            return view(*args, **kwargs)

        return inner

    return wrap
