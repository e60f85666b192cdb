"""Pure decisions for shopper access: session validity, normalisation, safe redirects."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ventanilla.access.models import ShopperSession
from ventanilla.core import typed
from ventanilla.core.clock import as_utc

# last_seen_at is written at most this often, so reading pages is not a write per request.
TOUCH_INTERVAL = timedelta(minutes=1)
# What a session cookie's value looks like (anything else is no session, without a query).
SESSION_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
SESSION_COOKIE = "ventanilla_session"
SAFE_NEXT = re.compile(r"^/(?![/\\])[^\s\\]*$")


def session_cookie_name(secure: bool) -> str:
    # __Host- makes browsers refuse the cookie unless it is Secure, Path=/ and host-only.
    return "__Host-" + SESSION_COOKIE if secure else SESSION_COOKIE


def session_is_active(
    record: ShopperSession, *, now: datetime, idle: timedelta, absolute: timedelta
) -> bool:
    """A session counts while not revoked, not idle too long and not past its absolute end."""
    if record.revoked_at is not None:
        return False
    if now >= as_utc(record.expires_at) or now >= as_utc(record.created_at) + absolute:
        return False
    return now < as_utc(record.last_seen_at) + idle


def touch_due(record: ShopperSession, *, now: datetime) -> bool:
    return now - as_utc(record.last_seen_at) >= TOUCH_INTERVAL


# What a shopper types is read by one set of rules (core.typed); these name their uses here.


def normalize_email(value: str) -> str:
    """For comparing: 'Cliente@Bücher.example ' ~ 'cliente@xn--bcher-kva.example'."""
    return typed.email_key(value)


def normalize_postcode(value: str) -> str:
    return typed.compact(value)


def normalize_order_number(value: str) -> str:
    """'#20345 ', 'Nº 20345', '２０３４５' -> '20345' (case is the lookup's business)."""
    return typed.order_number(value)


def looks_like_email(value: str) -> bool:
    normal = typed.email(value)
    local, at, domain = normal.rpartition("@")
    return bool(
        at and local and typed.email_domain(domain) and len(normal) <= 254 and " " not in normal
    )


def looks_like_postcode(value: str) -> bool:
    compact = normalize_postcode(value)
    return 2 <= len(compact) <= 12 and all(c.isalnum() or c == "-" for c in compact)


def safe_next(value: str | None, default: str = "/") -> str:
    """A same-site relative path to go back to; anything else (//host, http:, \\) is `default`."""
    if not value or len(value) > 2000 or not SAFE_NEXT.match(value):
        return default
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    return value


# --- proof of access to the customer's email (address changes need a recent one) -----------

# A session started from a link, or a code emailed and typed back, counts for this long.
PROOF_MAX_AGE = timedelta(hours=24)
CODE_TTL = timedelta(minutes=10)
CODE_LENGTH = 6
CODE_MAX_ATTEMPTS = 5  # per code: after this many tries it is spent, right or wrong
CODE_SENDS_PER_HOUR = 5  # per customer
CODE_CHECKS_PER_HOUR = 30  # per session, across codes


def email_proof(record: ShopperSession, *, now: datetime) -> str | None:
    """How this session proves access to the customer's email now: agent, recent, or None."""
    if record.via == "agent":
        # The agent acts for the customer and is accountable for it; no code reaches them.
        return "agent"
    if record.verified_at is not None and now - as_utc(record.verified_at) <= PROOF_MAX_AGE:
        return "recent"
    return None


def normalize_code(value: str) -> str:
    """What a shopper types: spaces and dashes between digits are fine ('123 456')."""
    return "".join(c for c in typed.text(value) if c not in " -")


def code_is_well_formed(value: str) -> bool:
    return len(value) == CODE_LENGTH and value.isascii() and value.isdigit()


def mask_email(email: str) -> str:
    """'lucia.garcia@example.com' -> 'l***@example.com': enough to recognise, not to harvest."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"
