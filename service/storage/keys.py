"""API keys: creation (shown once), lookup by hash, roles, listing and revocation."""

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
PREFIX_CHARS = 10  # the first characters of a key that are stored and listed
MIN_PREFIX_CHARS = len(KEY_PREFIX) + 4  # the fewest of them revoke-key takes as a key's name


def hash_key(key: str) -> str:
    """Keys are 256-bit random strings, so a plain sha256 is enough (no password stretching)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, role: str, name: str = "") -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if any(not ch.isprintable() for ch in name):  # a tab or a newline broke list-keys' columns
        raise ValueError("a key's name is one line of printable text (no tabs, newlines or control characters)")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(key_hash=hash_key(key), prefix=key[:PREFIX_CHARS], role=role, name=name))
    return key


def lookup(session: Session, key: str) -> ApiKey | None:
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    return row if row is not None and not row.revoked else None


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first (the rows hold no key, only its hash and first characters)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, which: str) -> ApiKey:
    """Revoke the key named by its id (``7``), by the key itself, or by at least its first seven characters as
    ``list-keys`` shows them (``ps_AbC1``); a prefix that names several keys is refused, naming them. Revoking
    twice is harmless."""
    rows = list_keys(session)
    found = [r for r in rows if str(r.id) == which or r.key_hash == hash_key(which)]
    if not found and which.startswith(KEY_PREFIX) and len(which) >= MIN_PREFIX_CHARS:
        found = [r for r in rows if r.prefix.startswith(which)]
    if not found:
        hint = ""
        if which.startswith(KEY_PREFIX) and len(which) > PREFIX_CHARS:
            hint = f"; list-keys shows the first {PREFIX_CHARS} characters of each, give at most those"
        elif which.startswith(KEY_PREFIX) and len(which) < MIN_PREFIX_CHARS:
            hint = f"; give at least {MIN_PREFIX_CHARS} of its first characters"
        raise LookupError(f"no key {which!r}; name one by its id or its first characters (list-keys shows both)"
                          f"{hint}")
    if len(found) > 1:
        raise LookupError(f"{which!r} names {len(found)} keys (ids {', '.join(str(r.id) for r in found)}); "
                          "name one by its id")
    found[0].revoked = True
    return found[0]
