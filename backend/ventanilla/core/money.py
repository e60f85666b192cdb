"""Money is integer minor units beside an ISO 4217 currency; never floats."""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_percent, get_currency_precision

CURRENCY_PATTERN = r"^[A-Z]{3}$"


def minor_digits(currency: str) -> int:
    return int(get_currency_precision(currency))


def format_money(amount_minor: int, currency: str, locale: str | Locale) -> str:
    value = Decimal(amount_minor).scaleb(-minor_digits(currency))
    return str(format_currency(value, currency, locale=locale))


def percent_text(rate: Decimal | None) -> str:
    """A VAT rate in percent, formatted for the active language (21 % / 21%)."""
    if rate is None:
        return ""
    from ventanilla.core import i18n  # i18n reads the catalogs; money stays light

    value = rate / Decimal(100)
    return str(format_percent(value, locale=i18n.current_locale.get(), decimal_quantization=False))
