"""Customer data as the shop sends it inside an order, and as the API returns it."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from ventanilla.config import get_settings
from ventanilla.core import typed
from ventanilla.core.fields import LocaleTag, StrictModel

# Deliberately loose: the shop already took the address; we only refuse what cannot be one.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def normalize_email(value: str) -> str:
    """Addresses are compared and stored lower-cased."""
    return value.strip().lower()


def _email(value: str) -> str:
    """Lower case, the domain in IDNA (`cliente@bücher.example` -> `cliente@xn--bcher-kva.example`);
    a non-ASCII local part only when the mail server offers SMTPUTF8 (`smtp_utf8`)."""
    value = normalize_email(value)
    if not _EMAIL.match(value):
        raise ValueError("is not an email address")
    local, _at, domain = value.rpartition("@")
    encoded = typed.email_domain(domain)
    if encoded is None:
        raise ValueError("has a domain that cannot be an internet domain name")
    if not local.isascii() and not get_settings().smtp_utf8:
        raise ValueError(
            "has non-ASCII characters before the @, which our mail server cannot deliver "
            "(it does not offer SMTPUTF8); ask the customer for another address"
        )
    return f"{local}@{encoded}"


Email = Annotated[
    str,
    Field(min_length=3, max_length=254, examples=["lucia.garcia@example.com"]),
    AfterValidator(_email),
]
Phone = Annotated[str, Field(min_length=1, max_length=32, examples=["+34 600 123 456"])]


class CustomerCreate(StrictModel):
    email: Email
    name: str = Field(min_length=1, max_length=200, examples=["Lucía García"])
    phone: Phone | None = None
    locale: LocaleTag | None = None


class CustomerRead(BaseModel):
    email: str
    name: str
    phone: str | None
    locale: str | None
