"""API keys for the shop's systems: shown once, stored as a SHA-256 hash, scoped."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session

from ventanilla.apikeys import repository
from ventanilla.apikeys.models import ApiKey
from ventanilla.core import clock
from ventanilla.core.errors import Forbidden, Unauthorized

SCOPES = (
    "catalog:write",
    "orders:write",
    "shipments:write",
    "invoices:write",
    "links:create",
    "webhooks:manage",
)
KEY_PREFIX = "vk_"


@dataclass(frozen=True)
class CreatedKey:
    key: str  # the only time the clear key exists
    record: ApiKey


def hash_key(key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, *, name: str, scopes: list[str] | None = None) -> CreatedKey:
    """Create a key; the clear key is returned once and never stored."""
    chosen = list(SCOPES) if not scopes else scopes
    unknown = sorted(set(chosen) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("the name must be 1-100 characters")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(name=name, prefix=key[:10], key_hash=hash_key(key), scopes=chosen)
    repository.add(session, record)
    return CreatedKey(key=key, record=record)


def authenticate(session: Session, *, key: str | None, scope: str) -> ApiKey:
    """The key's record if it is valid, not revoked and holds `scope`."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        raise Unauthorized()
    record = repository.by_hash(session, hash_key(key))
    if record is None or record.revoked_at is not None:
        raise Unauthorized()
    if scope not in record.scopes:
        raise Forbidden(f"This API key lacks the scope {scope!r}.", code="missing_scope")
    return record


def revoke_key(session: Session, *, prefix: str) -> int:
    """Revoke every key starting with `prefix`; returns how many."""
    keys = repository.by_prefix(session, prefix)
    for record in keys:
        if record.revoked_at is None:
            record.revoked_at = clock.now()
    session.flush()
    return len(keys)


def active_key(session: Session, key: str) -> ApiKey | None:
    """The record of a clear key that is valid and not revoked, else None."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    record = repository.by_hash(session, hash_key(key))
    return record if record is not None and record.revoked_at is None else None


def revoke_named(session: Session, *, name: str, keep_id: int | None) -> int:
    """Revoke every active key called `name` except `keep_id`; returns how many."""
    revoked = 0
    for record in repository.by_name(session, name):
        if record.id != keep_id and record.revoked_at is None:
            record.revoked_at = clock.now()
            revoked += 1
    session.flush()
    return revoked


def list_keys(session: Session) -> list[ApiKey]:
    return repository.all_keys(session)
