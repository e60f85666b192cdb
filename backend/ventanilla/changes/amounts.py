"""Pure recalculation of an order whose items a shopper amends (no database, no I/O).

Money rules (all integers in minor units):
- Unit prices are tax-inclusive. A line's total is unit price x quantity.
- Tax is computed per rate group over the lines: for the lines at rate r (basis points) adding up
  to T, tax = T - round_half_up(T * 10000 / (10000 + r)); rounding happens once per group.
- Shipping and discount stay as the shop set them; total = subtotal + shipping - discount.
- The order's tax_minor may include tax the shop charged on shipping or other parts: that part
  (old tax_minor - tax of the old lines, never below zero) is kept, and the tax of the new lines
  is added to it.
- A product added to the order costs its CURRENT catalog price and gets the order's standard tax
  rate: the most common tax_rate_bp among the order's lines (ties: the higher rate), or 2100
  (Spanish general VAT) for an order without lines. The catalog has no tax rates of its own.
- difference = new total - old total: > 0 the shopper pays more, < 0 the shop refunds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ventanilla.core.i18n import N_

MAX_QUANTITY = 99
DEFAULT_TAX_RATE_BP = 2100

Settlement = Literal["none", "refund", "payment", "waived", "shop_to_settle"]


@dataclass(frozen=True)
class CurrentLine:
    line_no: int
    sku: str
    name: str
    unit_price_minor: int
    quantity: int
    tax_rate_bp: int
    product_id: int | None = None


@dataclass(frozen=True)
class ProductInfo:
    """What the recalculation needs to know about a product that may be added."""

    sku: str
    name: str
    price_minor: int
    currency: str
    stock_on_hand: int
    product_id: int | None = None


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "sku": self.sku,
            "name": self.name,
            "unit_price_minor": self.unit_price_minor,
            "quantity_before": self.quantity_before,
            "quantity": self.quantity,
            "tax_rate_bp": self.tax_rate_bp,
            "total_minor": self.total_minor,
            "product_id": self.product_id,
            "state": self.state,
        }


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


# --- tax --------------------------------------------------------------------------------------


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


def standard_rate(lines: Sequence[CurrentLine]) -> int:
    """The order's standard rate: its most common line rate (ties: the higher), else 21 %."""
    if not lines:
        return DEFAULT_TAX_RATE_BP
    counts = Counter(line.tax_rate_bp for line in lines)
    return max(counts.items(), key=lambda item: (item[1], item[0]))[0]


# --- the amendment ----------------------------------------------------------------------------


def compute(
    *,
    currency: str,
    lines: Sequence[CurrentLine],
    actions: Sequence[Action],
    products: Mapping[str, ProductInfo],
    subtotal_minor: int,
    shipping_minor: int,
    discount_minor: int,
    tax_minor: int,
    total_minor: int,
) -> Amendment:
    """Apply `actions` to `lines`; raises AmendmentRejected listing every problem.

    `products` holds the catalog entries of the SKUs being added (and may hold more). Stock is
    checked against `stock_on_hand` here for a clear message; the caller still reserves it
    atomically, as this check alone cannot stop two shoppers taking the last unit.
    """
    problems: list[Problem] = []
    by_no = {line.line_no: line for line in lines}
    wanted: dict[int, int] = {}
    added: list[tuple[int, AddProduct, ProductInfo]] = []
    on_order = {line.sku: line for line in lines}
    cause: dict[str, int] = {}  # SKU -> index of the accepted action that changes it

    if not actions:
        problems.append(Problem(("actions",), N_("Choose at least one change."), "no_changes"))
    for index, action in enumerate(actions):
        loc: tuple[str | int, ...] = ("actions", index)
        if isinstance(action, SetQuantity):
            if action.line_no not in by_no:
                problems.append(
                    Problem(
                        (*loc, "line_no"),
                        N_("Line %(line)s is not in this order."),
                        "unknown_line",
                        {"line": action.line_no},
                    )
                )
                continue
            if action.line_no in wanted:
                problems.append(
                    Problem(
                        (*loc, "line_no"),
                        N_("Line %(line)s is changed twice."),
                        "duplicate_line",
                        {"line": action.line_no},
                    )
                )
                continue
            quantity_problem = _quantity_problem(loc, action.quantity, allow_zero=True)
            if quantity_problem:
                problems.append(quantity_problem)
                continue
            wanted[action.line_no] = action.quantity
            cause[by_no[action.line_no].sku] = index
            continue
        # add a product
        product = products.get(action.sku)
        if product is None:
            problems.append(
                Problem(
                    (*loc, "sku"),
                    N_("We do not sell a product with reference %(sku)s."),
                    "unknown_sku",
                    {"sku": action.sku},
                )
            )
            continue
        quantity_problem = _quantity_problem(loc, action.quantity, allow_zero=False)
        if quantity_problem:
            problems.append(quantity_problem)
            continue
        if action.sku in on_order or any(a.sku == action.sku for _i, a, _p in added):
            problems.append(
                Problem(
                    (*loc, "sku"),
                    N_("%(name)s is already in your order: change its quantity instead."),
                    "already_on_order",
                    {"name": product.name},
                )
            )
            continue
        if product.currency != currency:
            problems.append(
                Problem(
                    (*loc, "sku"),
                    N_("%(name)s cannot be added to this order."),
                    "currency_mismatch",
                    {"name": product.name},
                )
            )
            continue
        added.append((index, action, product))
        cause[action.sku] = index

    new_lines: list[NewLine] = []
    for line in lines:
        after = wanted.get(line.line_no, line.quantity)
        if after == 0:
            state: Literal["unchanged", "changed", "removed", "added"] = "removed"
        elif after != line.quantity:
            state = "changed"
        else:
            state = "unchanged"
        new_lines.append(
            NewLine(
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                unit_price_minor=line.unit_price_minor,
                quantity_before=line.quantity,
                quantity=after,
                tax_rate_bp=line.tax_rate_bp,
                total_minor=line.unit_price_minor * after,
                product_id=line.product_id,
                state=state,
            )
        )
    rate = standard_rate(lines)
    next_no = max((line.line_no for line in lines), default=0) + 1
    for offset, (_index, action, product) in enumerate(added):
        new_lines.append(
            NewLine(
                line_no=next_no + offset,
                sku=product.sku,
                name=product.name,
                unit_price_minor=product.price_minor,
                quantity_before=0,
                quantity=action.quantity,
                tax_rate_bp=rate,
                total_minor=product.price_minor * action.quantity,
                product_id=product.product_id,
                state="added",
            )
        )

    # Stock: what each product must give for raised quantities and additions (< 0: gets back).
    stock_delta: dict[str, int] = {}
    for new_line in new_lines:
        delta = new_line.quantity - new_line.quantity_before
        if delta:
            stock_delta[new_line.sku] = stock_delta.get(new_line.sku, 0) + delta
    for sku, index in cause.items():
        need = stock_delta.get(sku, 0)
        if need <= 0:
            continue
        product = products.get(sku)
        existing = on_order.get(sku)
        if product is None or (existing is not None and existing.product_id is None):
            problems.append(
                Problem(
                    ("actions", index, "quantity"),
                    N_("We cannot add more of %(name)s: the shop no longer sells it."),
                    "not_sold",
                    {"name": existing.name if existing else sku},
                )
            )
        elif product.stock_on_hand < need:
            problems.append(stock_problem(index, product))

    if not problems and not any(line.state != "unchanged" for line in new_lines):
        problems.append(
            Problem(("actions",), N_("Nothing would change: choose a new quantity."), "no_changes")
        )
    if not problems and not any(line.quantity > 0 for line in new_lines):
        problems.append(
            Problem(
                ("actions",),
                N_(
                    "An order cannot be left without items. To cancel the whole order, "
                    "contact the shop."
                ),
                "empty_order",
            )
        )
    if problems:
        raise AmendmentRejected(_dedupe(problems))

    old_pairs = [(line.unit_price_minor * line.quantity, line.tax_rate_bp) for line in lines]
    new_pairs = [(line.total_minor, line.tax_rate_bp) for line in new_lines if line.quantity > 0]
    old_by_rate = tax_by_rate(old_pairs)
    new_by_rate = tax_by_rate(new_pairs)
    change = sum(t for t, _r in new_pairs) - sum(t for t, _r in old_pairs)
    if total_minor + change < 0:
        # A fixed discount bigger than what would be left: the shop must decide, not a formula.
        raise AmendmentRejected(
            [
                Problem(
                    ("actions",),
                    N_(
                        "With its discount, this order cannot be reduced that much online. "
                        "Please contact the shop."
                    ),
                    "discount_exceeds",
                )
            ]
        )
    # Whatever the shop's stated tax differs from the lines' (tax on shipping, or less tax
    # because of a discount) is kept, with its sign, so only the lines' change moves it. A shop
    # that states no tax at all (0, the default) gets the lines' tax.
    other_tax = tax_minor - sum(old_by_rate.values()) if tax_minor else 0
    old = Totals(
        subtotal_minor=subtotal_minor,
        shipping_minor=shipping_minor,
        discount_minor=discount_minor,
        tax_minor=tax_minor,
        total_minor=total_minor,
        tax_by_rate=old_by_rate,
    )
    new = Totals(
        subtotal_minor=subtotal_minor + change,
        shipping_minor=shipping_minor,
        discount_minor=discount_minor,
        tax_minor=max(0, other_tax + sum(new_by_rate.values())),
        total_minor=total_minor + change,
        tax_by_rate=new_by_rate,
    )
    return Amendment(
        currency=currency,
        lines=new_lines,
        old=old,
        new=new,
        stock_delta={sku: d for sku, d in stock_delta.items() if d},
    )


def _sku_of(by_no: Mapping[int, CurrentLine], line_no: int) -> str | None:
    line = by_no.get(line_no)
    return line.sku if line else None


def _quantity_problem(
    loc: tuple[str | int, ...], quantity: int, *, allow_zero: bool
) -> Problem | None:
    lowest = 0 if allow_zero else 1
    if quantity < lowest:
        return Problem(
            (*loc, "quantity"),
            N_("The quantity cannot be negative.")
            if quantity < 0
            else N_("Choose at least one unit."),
            "quantity_too_low",
        )
    if quantity > MAX_QUANTITY:
        return Problem(
            (*loc, "quantity"),
            N_("At most %(max)s units per item."),
            "quantity_too_high",
            {"max": MAX_QUANTITY},
        )
    return None


def stock_problem(index: int, product: ProductInfo) -> Problem:
    """Not enough stock for the action at `index` (also used when the reservation fails)."""
    if product.stock_on_hand <= 0:
        return Problem(
            ("actions", index, "quantity"),
            N_("%(name)s is out of stock."),
            "out_of_stock",
            {"name": product.name},
        )
    return Problem(
        ("actions", index, "quantity"),
        N_("Only %(available)s more of %(name)s in stock."),
        "not_enough_stock",
        {"name": product.name, "available": product.stock_on_hand},
    )


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """Without repeats, in the order of the actions they belong to."""
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    result = []

    def position(problem: Problem) -> int:
        index = problem.loc[1] if len(problem.loc) > 1 else -1
        return index if isinstance(index, int) else -1

    for problem in sorted(problems, key=position):
        key = (problem.loc, problem.code)
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return result


# --- settlement -------------------------------------------------------------------------------


def settlement_for(
    difference_minor: int,
    *,
    waive_under_minor: int,
    stripe_enabled: bool,
    has_payment_reference: bool,
) -> Settlement:
    """How the price difference is settled (see the issue: refund, payment, waived, shop)."""
    if difference_minor == 0:
        return "none"
    if abs(difference_minor) < waive_under_minor:
        return "waived"
    if stripe_enabled and difference_minor < 0 and has_payment_reference:
        return "refund"
    if stripe_enabled and difference_minor > 0:
        return "payment"
    return "shop_to_settle"
