"""Pure decisions of the outbox: when to try again, and which webhook URLs are acceptable."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from urllib.parse import urlsplit

JITTER = 0.10

# Every URL webhook_url_problem() accepts matches this (it is also the pattern in the OpenAPI
# schema): an ASCII URI (RFC 3986; give international host names in their xn-- form) with
# http(s), a host name or IPv4 address without user info, an optional port up to 65535, and no
# fragment.
_HOST = r"[A-Za-z0-9._-]+"
_PORT = r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
_REST = r"([/?]([A-Za-z0-9._~:/?@!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*)?"
WEBHOOK_URL_PATTERN = rf"^https?://{_HOST}{_PORT}{_REST}$"
_WEBHOOK_URL = re.compile(WEBHOOK_URL_PATTERN)


def retry_delay(
    attempts: int, *, base_seconds: float, max_seconds: float, rng: random.Random | None = None
) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt.

    delay = min(base * 2 ** (attempts - 1), max), then spread by +-10% so that messages which
    failed together (SMTP or the shop's server down) do not all come back in the same second.
    With the defaults (base 10 s, max 6 h, 12 attempts) the waits between attempts are about
    10 s, 20 s, 40 s, 80 s, 2.7 min, 5.3 min, 10.7 min, 21 min, 43 min, 85 min and 2.8 h: the
    12th and last attempt happens about 5.7 h after the first, and the message is then `dead`
    (kept and visible, never deleted; it can be re-queued through the API). The 6 h cap only
    bites when `outbox_max_attempts` is raised above 12.
    """
    exponent = max(attempts - 1, 0)
    # Cap the exponent so a long-dead message re-queued many times cannot overflow a float.
    seconds = min(base_seconds * 2 ** min(exponent, 60), max_seconds)
    factor = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return timedelta(seconds=seconds * factor)


def is_exhausted(attempts: int, *, max_attempts: int) -> bool:
    """After this many failed attempts the message is given up (status `dead`)."""
    return attempts >= max_attempts


def webhook_url_problem(url: str, *, allow_http: bool) -> str | None:
    """Why `url` cannot receive webhooks, or None when it can."""
    if not url.startswith(("https://", "http://")):
        return "The URL must start with https://."
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return "The URL is not valid."
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return "The URL must start with https://."
    if scheme == "http" and not allow_http:
        return "The URL must use https://."
    if not parts.hostname:
        return "The URL must name a host."
    if parts.username is not None or parts.password is not None:
        return "The URL must not contain a user name or password."
    if parts.fragment:
        return "The URL must not contain a fragment (#...)."
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "The URL must not contain spaces or control characters."
    if not _WEBHOOK_URL.match(url):
        return (
            "The URL is not valid: use an ASCII host name or IPv4 address, a port up to 65535, "
            "and percent-encode anything else."
        )
    return None
