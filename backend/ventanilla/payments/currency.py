"""What Stripe accepts as an amount, per currency: the one place amounts cross to the provider.

Ventanilla keeps money in the currency's minor units as Babel (CLDR) counts them
(`core.money.minor_digits`: EUR 2, JPY 0, KWD 3). Stripe's API has its own units and rules
(https://docs.stripe.com/currencies, "Minor units in API amounts", "Zero-decimal", "Three-decimal"
and "Special cases"):
- zero-decimal currencies (BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF):
  the amount is in whole units;
- three-decimal currencies (BHD JOD KWD OMR TND): thousandths, and the last digit must be 0;
- ISK: two decimals in the API, but only whole krónur (the amount divisible by 100);
- HUF and TWD: two decimals for charges and refunds (only payouts are whole units), so nothing
  special here;
- every other currency: two decimals.

`to_stripe` rounds TOWARD ZERO to what Stripe accepts: a refund never gives back more than was
asked and a charge never takes more; what could not be sent is the remainder, which Ventanilla
shows and leaves to the shop (it is never silently dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

from ventanilla.core.money import minor_digits

ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
# Stripe amount units an amount must be a multiple of (in Stripe's units).
STEP = {**{code: 10 for code in THREE_DECIMAL}, "ISK": 100}


@dataclass(frozen=True)
class ProviderAmount:
    """An amount as sent to Stripe, and what of the asked amount could not be sent.

    amount: in Stripe's units for the currency; sent_minor: the same in our minor units;
    remainder_minor: asked - sent (>= 0), for the shop to settle by hand.
    """

    amount: int
    sent_minor: int
    remainder_minor: int


def stripe_decimals(currency: str) -> int:
    """How many decimals Stripe's API amounts carry for `currency` (ISO 4217 code)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_stripe(amount_minor: int, currency: str) -> ProviderAmount:
    """Turn a non-negative amount in our minor units into what Stripe accepts (rounded down).

    Raises ValueError for a negative amount.
    """
    if amount_minor < 0:
        raise ValueError(f"amounts sent to Stripe are positive, got {amount_minor}")
    shift = stripe_decimals(currency) - minor_digits(currency)
    amount = amount_minor * 10**shift if shift >= 0 else amount_minor // 10**-shift
    step = STEP.get(currency.upper(), 1)
    amount -= amount % step
    sent = from_stripe(amount, currency)
    return ProviderAmount(amount=amount, sent_minor=sent, remainder_minor=amount_minor - sent)


def from_stripe(amount: int, currency: str) -> int:
    """An amount in Stripe's units for `currency` in our minor units (exact for what we sent)."""
    shift = stripe_decimals(currency) - minor_digits(currency)
    return amount // 10**shift if shift >= 0 else amount * 10**-shift
