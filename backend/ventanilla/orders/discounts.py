"""An order-level discount belongs to the lines it was given on: one rule for amendments,
returns and credit notes (all amounts integers in minor units, tax included).

- `allocate(discount, amounts)`: the discount is split over the lines in proportion to their
  totals (unit price x quantity); the cents left by the proportional split go, one each, to the
  lines with the largest remainders (Hamilton's method; ties to the earlier line), so the shares
  always add up to the discount. A discount larger than the lines (one that also covers
  shipping) allocates at most the lines' sum; the rest stays on the order.
- The shares are STORED (`order_lines.discount_minor`), set when the shop pushes the order, so
  every later calculation uses the same figures. Fixed-amount and percentage discounts are
  allocated alike: the shop states the amount (`totals.discount_minor`) either way.
- `paid_for_units(line, units)`: what the shopper paid for `units` of the line's units, i.e. the
  most a refund of them may give back: their price minus their share of the line's discount,
  the share rounded UP (so the refund rounds down), and all of what is left when the last units
  go. Refunding a line unit by unit therefore gives back exactly what the line cost, never more.
- Units added later (a raised quantity, an added product) carry no discount: the shop gave it
  on what was ordered, at the prices of then.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class DiscountedLine(Protocol):
    @property
    def unit_price_minor(self) -> int: ...

    @property
    def quantity(self) -> int: ...

    @property
    def discount_minor(self) -> int: ...


def allocate(discount_minor: int, amounts: Sequence[int]) -> list[int]:
    """Split `discount_minor` over `amounts` in proportion, cents by largest remainder.

    Returns one share per amount, each between 0 and its amount; the shares add up to
    min(discount_minor, sum(amounts)). Raises ValueError for negative input.
    """
    if discount_minor < 0 or any(a < 0 for a in amounts):
        raise ValueError("discounts and line amounts are never negative")
    base = sum(amounts)
    to_give = min(discount_minor, base)
    if to_give == 0:
        return [0] * len(amounts)
    shares = [to_give * a // base for a in amounts]
    remainders = [to_give * a % base for a in amounts]
    left = to_give - sum(shares)
    # Largest remainder first; on equal remainders the earlier line (stable order).
    for index in sorted(range(len(amounts)), key=lambda i: -remainders[i])[:left]:
        shares[index] += 1
    return shares


def discount_for_units(line: DiscountedLine, units: int) -> int:
    """The part of the line's discount that goes with `units` of its units (rounded up)."""
    if not 0 <= units <= line.quantity:
        raise ValueError(f"{units} units of a line of {line.quantity}")
    if units == line.quantity:
        return line.discount_minor
    return -(-line.discount_minor * units // line.quantity)


def paid_for_units(line: DiscountedLine, units: int) -> int:
    """What was paid for `units` of the line: the most a refund of those units may give back."""
    return line.unit_price_minor * units - discount_for_units(line, units)


def paid_for_line(line: DiscountedLine) -> int:
    """What was paid for the whole line (its total less its share of the order discount)."""
    return paid_for_units(line, line.quantity)
