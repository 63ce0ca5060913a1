"""API keys: creation (shown once), lookup by hash, roles."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.storage.models import ApiKey

ROLES = ("crawler", "moderator", "admin")
# What each role may do. A crawler classifies and reports; a moderator reviews; an admin does both and reloads.
PERMISSIONS = {
    "crawler": {"classify", "feedback"},
    "moderator": {"review"},
    "admin": {"classify", "feedback", "review", "admin"},
}
KEY_PREFIX = "ps_"


def hash_key(key: str) -> str:
    """Keys are 256-bit random strings, so a plain sha256 is enough (no password stretching)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, role: str, name: str = "") -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(key_hash=hash_key(key), prefix=key[:10], role=role, name=name))
    return key


def lookup(session: Session, key: str) -> ApiKey | None:
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    return row if row is not None and not row.revoked else None
