"""The words of an item amendment: what the shopper asks for (SetQuantity, AddProduct), what the
recalculation needs (CurrentLine, ProductInfo), what comes out (NewLine, Totals, Amendment) and
why not (Problem, AmendmentRejected). Plain values; `changes.amounts` does the arithmetic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class CurrentLine:
    line_no: int
    sku: str
    name: str
    unit_price_minor: int
    quantity: int
    tax_rate_bp: int
    product_id: int | None = None
    discount_minor: int = 0  # the line's stored share of the order discount


@dataclass(frozen=True)
class ProductInfo:
    """What the recalculation needs to know about a product that may be added."""

    sku: str
    name: str
    price_minor: int
    currency: str
    stock_on_hand: int
    product_id: int | None = None
    tax_rate_bp: int | None = None  # None: the shop gave no rate, so it cannot be added


@dataclass(frozen=True)
class SetQuantity:
    line_no: int
    quantity: int  # 0 removes the line


@dataclass(frozen=True)
class AddProduct:
    sku: str
    quantity: int


Action = SetQuantity | AddProduct


@dataclass(frozen=True)
class Problem:
    """One reason an amendment cannot be computed: where, a msgid with params, a stable code."""

    loc: tuple[str | int, ...]
    message: str  # English msgid, %(name)s params
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.message % dict(self.params) if self.params else self.message


class AmendmentRejected(Exception):
    """Raised by `compute` with every problem found (not only the first)."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__("; ".join(p.text for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class NewLine:
    line_no: int
    sku: str
    name: str
    unit_price_minor: int
    quantity_before: int
    quantity: int  # after; 0 = removed
    tax_rate_bp: int
    total_minor: int
    product_id: int | None
    state: Literal["unchanged", "changed", "removed", "added"]
    discount_minor: int = 0  # the line's share of the order discount after the change

    @property
    def paid_minor(self) -> int:
        """What the line costs after the change: its total less its discount."""
        return self.total_minor - self.discount_minor

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Totals:
    subtotal_minor: int
    shipping_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    tax_by_rate: dict[int, int]  # rate_bp -> tax of the lines at that rate

    def as_dict(self) -> dict[str, Any]:
        return {
            "subtotal_minor": self.subtotal_minor,
            "shipping_minor": self.shipping_minor,
            "discount_minor": self.discount_minor,
            "tax_minor": self.tax_minor,
            "total_minor": self.total_minor,
            # JSON object keys are strings; a list keeps the rates as integers.
            "tax_by_rate": [
                {"rate_bp": rate, "tax_minor": tax}
                for rate, tax in sorted(self.tax_by_rate.items())
            ],
        }


@dataclass(frozen=True)
class Amendment:
    """The order as it would be after the actions, and what changed."""

    currency: str
    lines: list[NewLine]  # every line: kept, changed, removed (quantity 0) and added
    old: Totals
    new: Totals
    # Stock each product must give (> 0) or gets back (< 0), by SKU.
    stock_delta: dict[str, int]

    @property
    def difference_minor(self) -> int:
        return self.new.total_minor - self.old.total_minor

    @property
    def changed_lines(self) -> list[NewLine]:
        return [line for line in self.lines if line.state != "unchanged"]

    @property
    def kept_lines(self) -> list[NewLine]:
        return [line for line in self.lines if line.state != "removed"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "lines": [line.as_dict() for line in self.lines],
            "old": self.old.as_dict(),
            "new": self.new.as_dict(),
            "difference_minor": self.difference_minor,
        }
