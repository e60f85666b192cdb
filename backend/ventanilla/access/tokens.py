"""Signed "my order" link tokens: base64url(JSON payload) "." base64url(HMAC-SHA256).

The payload carries no personal data (tokens end up in URLs, browser history and logs): it names
the order, and the customer is bound by the MAC, computed over the payload part and the
customer's lower-cased email. So a token can only be checked once the caller has looked up the
order it names and knows the email to check it against: `parse` (no trust), then `check`.

Pure functions (no database, no clock of their own): the same scheme is documented in
docs/shopper-links.md so a shop can sign links offline with its link secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import idna

VERSION = 2
# A real token is about 200 characters; the cap bounds what is parsed before the MAC is checked.
MAX_TOKEN_LENGTH = 1024
MAX_TTL = timedelta(days=30)
MAX_USES = 20
# Shops sign links on their own machines; tolerate their clocks running a little fast.
CLOCK_SKEW = timedelta(minutes=5)

_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_JTI = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Exactly these keys: anything more (an old "e" with the email, say) is refused, so no shop can
# put personal data into its links by accident.
_KEYS = frozenset({"v", "o", "iat", "exp", "jti", "u"})
# MACed when there is no email to check against, so an unknown order costs the same work.
_NO_EMAIL = "\x00"


class TokenError(Exception):
    """Why a token was refused: `reason` is "expired" or "invalid"."""

    def __init__(self, reason: str, claims: LinkClaims | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        # Only set when the signature was good, so the order number can be trusted.
        self.claims = claims


@dataclass(frozen=True)
class LinkClaims:
    order_number: str
    issued_at: int
    expires_at: int
    jti: str
    max_uses: int

    @property
    def expires_at_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, UTC)

    def payload(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "o": self.order_number,
            "iat": self.issued_at,
            "exp": self.expires_at,
            "jti": self.jti,
            "u": self.max_uses,
        }


@dataclass(frozen=True)
class UnverifiedToken:
    """A token split and its payload read, before its MAC is checked: nothing here is trusted."""

    payload_part: str
    signature: bytes
    claims: LinkClaims


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _email_forms(email: str) -> list[str]:
    """The address as stored, and with its IDNA domain in Unicode when it has one."""
    local, at, domain = email.rpartition("@")
    if not at or "xn--" not in domain:
        return [email]
    try:
        unicode_domain = idna.decode(domain)
    except (idna.IDNAError, UnicodeError):
        return [email]
    return [email, f"{local}@{unicode_domain}".lower()]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _B64URL.match(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload_part: str, email: str) -> bytes:
    # payload_part is base64url, so it holds no "." and the message splits only one way.
    message = payload_part + "." + email
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).digest()


def new_jti() -> str:
    return secrets.token_urlsafe(16)


def sign(claims: LinkClaims, secret: bytes, *, email: str) -> str:
    """The token for these claims, bound to the customer's email (which it does not contain)."""
    payload_part = _b64encode(
        json.dumps(claims.payload(), separators=(",", ":"), sort_keys=True).encode()
    )
    return payload_part + "." + _b64encode(_mac(secret, payload_part, normalize_email(email)))


def issue(
    *,
    order_number: str,
    email: str,
    now: datetime,
    ttl: timedelta,
    max_uses: int,
    secret: bytes,
) -> tuple[str, LinkClaims]:
    """A fresh token (and its claims) for one order and one customer email."""
    issued = int(now.timestamp())
    claims = LinkClaims(
        order_number=order_number,
        issued_at=issued,
        expires_at=issued + int(ttl.total_seconds()),
        jti=new_jti(),
        max_uses=max_uses,
    )
    return sign(claims, secret, email=email), claims


def _int(value: Any) -> int:
    if type(value) is not int:  # bool is an int subclass; refuse it (and floats)
        raise ValueError("not an integer")
    return value


def _claims_from(payload: Any) -> LinkClaims:
    if not isinstance(payload, dict) or payload.keys() != _KEYS:
        raise ValueError("keys")
    if _int(payload["v"]) != VERSION:
        raise ValueError("version")
    order, jti = payload["o"], payload["jti"]
    iat, exp, uses = _int(payload["iat"]), _int(payload["exp"]), _int(payload["u"])
    if not isinstance(order, str) or not 1 <= len(order) <= 64:
        raise ValueError("o")
    if order.strip() != order or not order.isprintable():
        raise ValueError("o")
    if not isinstance(jti, str) or not _JTI.match(jti):
        raise ValueError("jti")
    if not (0 < exp - iat <= MAX_TTL.total_seconds()) or not 1 <= uses <= MAX_USES:
        raise ValueError("ranges")
    return LinkClaims(order_number=order, issued_at=iat, expires_at=exp, jti=jti, max_uses=uses)


def parse(token: str) -> UnverifiedToken:
    """Split a token and read its payload WITHOUT trusting it; raises TokenError("invalid")."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError("invalid")
    payload_part, dot, signature_part = token.partition(".")
    if not dot or not payload_part or not signature_part:
        raise TokenError("invalid")
    try:
        signature = _b64decode(signature_part)
        claims = _claims_from(json.loads(_b64decode(payload_part)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise TokenError("invalid") from None
    return UnverifiedToken(payload_part=payload_part, signature=signature, claims=claims)


def check(
    unverified: UnverifiedToken, *, email: str | None, secret: bytes, now: datetime
) -> LinkClaims:
    """The claims, if the MAC matches this customer's email; raises TokenError otherwise.

    `email` is that of the customer of the order the token names (None when there is no such
    order). Emails are stored with the domain in IDNA; a shop signing offline may use the
    Unicode form it knows (`bücher.example`), so both forms of the domain are accepted. Time is
    looked at only after the MAC is good.
    """
    candidates = [_NO_EMAIL] if email is None else _email_forms(normalize_email(email))
    matched = [
        hmac.compare_digest(unverified.signature, _mac(secret, unverified.payload_part, form))
        for form in candidates
    ]
    if not any(matched) or email is None:
        raise TokenError("invalid")
    claims = unverified.claims
    timestamp = int(now.timestamp())
    if claims.issued_at > timestamp + CLOCK_SKEW.total_seconds():
        raise TokenError("invalid")
    if timestamp >= claims.expires_at:
        raise TokenError("expired", claims)
    return claims


def verify(token: str, *, email: str | None, secret: bytes, now: datetime) -> LinkClaims:
    """`parse` then `check`, for callers that already know the customer's email."""
    return check(parse(token), email=email, secret=secret, now=now)
