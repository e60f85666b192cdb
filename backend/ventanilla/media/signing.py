"""Signed, short-lived URLs for stored photos: for the shop's API answers and webhooks.

A token is `base64url(JSON payload) "." base64url(HMAC-SHA256(k, payload part))`, where `k` is
derived from the app's secret key for this purpose only. The payload names the blob key, the
content type to serve it with, an optional download name and the expiry (Unix seconds); it is
signed, not secret (keys are random and say nothing about the customer). A URL works for anyone
holding it until it expires: give them only to the shop, over its API and webhooks, never to a
page that another customer could see.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.media.exceptions import MediaNotFound
from ventanilla.storage.keys import InvalidKey, check_key

PURPOSE = b"ventanilla/media-url/v1"
MAX_EXPIRES_IN = timedelta(days=7)
MAX_TOKEN_LENGTH = 2048
ROUTE_PREFIX = "/media/s/"
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_KEYS = frozenset({"k", "t", "x", "n"})


@dataclass(frozen=True)
class SignedBlob:
    key: str
    content_type: str
    filename: str | None
    expires_at: int  # Unix seconds, UTC


def sign(
    key: str,
    expires_in: int | timedelta | None = None,
    *,
    content_type: str = "image/jpeg",
    filename: str | None = None,
) -> str:
    """A token for `key`, valid for `expires_in` (seconds or timedelta; default the setting
    `media_url_seconds`, at most 7 days). Raises ValueError for a bad lifetime, InvalidKey."""
    check_key(key)
    if expires_in is None:
        expires_in = get_settings().media_url_seconds
    lifetime = expires_in if isinstance(expires_in, timedelta) else timedelta(seconds=expires_in)
    if lifetime <= timedelta(0) or lifetime > MAX_EXPIRES_IN:
        raise ValueError("a signed URL lives more than 0 seconds and at most 7 days")
    payload: dict[str, Any] = {
        "k": key,
        "t": content_type,
        "x": int((clock.now() + lifetime).timestamp()),
    }
    if filename:
        payload["n"] = filename
    part = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return part + "." + _b64encode(_mac(part))


def signed_url(key: str, expires_in: int | timedelta | None = None, **kwargs: Any) -> str:
    """The absolute URL (`base_url` + /media/s/<token>) that serves `key` until it expires."""
    return get_settings().base_url.rstrip("/") + ROUTE_PREFIX + sign(key, expires_in, **kwargs)


def verify(token: str) -> SignedBlob:
    """What a token grants, if its MAC is ours and it has not expired.

    Raises MediaNotFound (404) for anything else: malformed, forged, tampered or expired.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise MediaNotFound()
    part, dot, signature = token.partition(".")
    if not dot or not _B64URL.match(part) or not _B64URL.match(signature):
        raise MediaNotFound()
    try:
        given = _b64decode(signature)
    except (binascii.Error, ValueError) as exc:
        raise MediaNotFound() from exc
    if not hmac.compare_digest(given, _mac(part)):
        raise MediaNotFound()
    try:
        payload = json.loads(_b64decode(part))
        signed = _parse(payload)
    except (binascii.Error, ValueError, TypeError, KeyError, InvalidKey) as exc:
        raise MediaNotFound() from exc
    if signed.expires_at <= clock.now().timestamp():
        raise MediaNotFound()
    return signed


def _parse(payload: Any) -> SignedBlob:
    if not isinstance(payload, dict) or not set(payload) <= _KEYS:
        raise ValueError("unexpected payload")
    key, content_type, expires = payload["k"], payload["t"], payload["x"]
    filename = payload.get("n")
    if not isinstance(content_type, str) or type(expires) is not int:
        raise ValueError("unexpected payload")
    if filename is not None and not isinstance(filename, str):
        raise ValueError("unexpected payload")
    return SignedBlob(check_key(key), content_type, filename, expires)


def _mac(payload_part: str) -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    derived = hmac.new(secret, PURPOSE, hashlib.sha256).digest()
    return hmac.new(derived, payload_part.encode("ascii"), hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
