"""VAT contained in tax-inclusive amounts, in integers (no floats), as amendments recompute it.

- A line's tax is included in its total; tax is computed per rate group (basis points): for the
  lines at rate r adding up to T, tax = T - round_half_up(T * 10000 / (10000 + r)); rounding
  happens once per group, not per line.
- A product added to an order gets the order's standard rate: the most common rate among its
  lines (ties: the higher), or 2100 (Spanish general VAT, Ley 37/1992 art. 90) without lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

DEFAULT_TAX_RATE_BP = 2100


class HasRate(Protocol):
    @property
    def tax_rate_bp(self) -> int: ...


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


def standard_rate(lines: Sequence[HasRate]) -> int:
    """The order's standard rate: its most common line rate (ties: the higher), else 21 %."""
    if not lines:
        return DEFAULT_TAX_RATE_BP
    counts = Counter(line.tax_rate_bp for line in lines)
    return max(counts.items(), key=lambda item: (item[1], item[0]))[0]
