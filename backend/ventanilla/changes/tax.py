"""VAT contained in tax-inclusive amounts, in integers (no floats), as amendments recompute it.

- A line's tax is included in its total; tax is computed per rate group (basis points): for the
  lines at rate r adding up to T, tax = T - round_half_up(T * 10000 / (10000 + r)); rounding
  happens once per group, not per line, as an invoice states one tax amount per rate (Spain:
  RD 1619/2012 art. 6.1). Pages and the demo's invoices use this same rounding.
- Amounts are what the lines cost after their share of the order discount (`orders.discounts`).
- A product added to an order carries its own rate (`products.tax_rate_bp`); there is no guess.
"""

from __future__ import annotations

from collections.abc import Iterable


def _div_round_half_up(numerator: int, denominator: int) -> int:
    """round(numerator / denominator) with halves away from zero, in integers (no floats)."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def included_tax(total_minor: int, rate_bp: int) -> int:
    """The tax contained in a tax-inclusive amount at `rate_bp`."""
    if rate_bp <= 0:
        return 0
    return total_minor - _div_round_half_up(total_minor * 10000, 10000 + rate_bp)


def tax_by_rate(lines: Iterable[tuple[int, int]]) -> dict[int, int]:
    """(total_minor, rate_bp) pairs -> tax per rate, rounded once per rate group."""
    groups: dict[int, int] = {}
    for total, rate in lines:
        groups[rate] = groups.get(rate, 0) + total
    return {rate: included_tax(total, rate) for rate, total in groups.items()}
