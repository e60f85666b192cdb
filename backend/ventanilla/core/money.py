"""Money is integer minor units beside an ISO 4217 currency; never floats."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision

CURRENCY_PATTERN = r"^[A-Z]{3}$"


def minor_digits(currency: str) -> int:
    return int(get_currency_precision(currency))


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    value = Decimal(amount_minor).scaleb(-minor_digits(currency))
    return str(format_currency(value, currency, locale=locale))
