"""An email as the outbox queues it: subject, plain text and simple HTML."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
