"""An email as the outbox queues it: subject, plain text and simple HTML; and the absolute
links emails carry."""

from __future__ import annotations

from dataclasses import dataclass

from ventanilla.config import get_settings


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def absolute_url(path: str) -> str:
    """`path` (a portal URL such as `/orders/LP-1006`) on the configured `base_url`: links that
    leave the browser (emails) need the host. An already absolute URL is returned unchanged."""
    if not path.startswith("/"):
        return path
    return get_settings().base_url.rstrip("/") + path
