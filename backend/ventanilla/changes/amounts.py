"""Pure recalculation of an order whose items a shopper amends (no database, no I/O).

Money rules (all integers in minor units):
- Unit prices are tax-inclusive. A line's total is unit price x quantity.
- Tax is computed per rate group over the lines (`changes.tax`): for the lines at rate r (basis
  points) adding up to T, tax = T - round_half_up(T * 10000 / (10000 + r)), rounded once per group.
- The order discount belongs to the lines it was given on (`orders.discounts`): each line keeps
  its stored share; removed units take their share with them (`paid_for_units`: what was paid
  for them is what goes back), units added later carry none. Shipping stays as the shop set it,
  and the order's discount becomes the sum of what the lines keep plus any part not allocated
  to lines; total = subtotal + shipping - discount.
- Tax is computed on what the lines cost after their discount. The order's tax_minor may include
  tax the shop charged on shipping or other parts: that part (old tax_minor - tax of the old
  lines) is kept, and the tax of the new lines is added to it.
- A product added to the order costs its CURRENT catalog price and its OWN tax rate (the shop
  pushes `tax_rate` with each product); a product without a rate cannot be added.
- difference = new total - old total: > 0 the shopper pays more, < 0 the shop refunds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from ventanilla.changes.amendments import (
    Action,
    AddProduct,
    Amendment,
    AmendmentRejected,
    CurrentLine,
    NewLine,
    Problem,
    ProductInfo,
    SetQuantity,
    Totals,
)
from ventanilla.changes.tax import tax_by_rate
from ventanilla.core.i18n import N_
from ventanilla.orders.discounts import discount_for_units

MAX_QUANTITY = 99

Settlement = Literal["none", "refund", "payment", "waived", "shop_to_settle", "lower_charge"]


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
    wanted, added, cause, problems = _read_actions(currency, lines, actions, products)
    new_lines = _new_lines(lines, wanted, added)
    stock_delta = _stock_delta(new_lines)
    problems += _stock_problems(lines, products, cause, stock_delta)
    if not problems:
        problems += _shape_problems(new_lines)
    if problems:
        raise AmendmentRejected(_dedupe(problems))
    old, new = _totals(
        lines,
        new_lines,
        subtotal_minor=subtotal_minor,
        shipping_minor=shipping_minor,
        discount_minor=discount_minor,
        tax_minor=tax_minor,
        total_minor=total_minor,
    )
    return Amendment(
        currency=currency,
        lines=new_lines,
        old=old,
        new=new,
        stock_delta={sku: d for sku, d in stock_delta.items() if d},
    )


Added = tuple[int, AddProduct, ProductInfo]  # (index of the action, the action, the product)


def _read_actions(
    currency: str,
    lines: Sequence[CurrentLine],
    actions: Sequence[Action],
    products: Mapping[str, ProductInfo],
) -> tuple[dict[int, int], list[Added], dict[str, int], list[Problem]]:
    """The quantities wanted by line, the products added, which action changes each SKU, and
    the problems of the actions themselves."""
    problems: list[Problem] = []
    by_no = {line.line_no: line for line in lines}
    wanted: dict[int, int] = {}
    added: list[Added] = []
    cause: dict[str, int] = {}  # SKU -> index of the accepted action that changes it
    if not actions:
        problems.append(Problem(("actions",), N_("Choose at least one change."), "no_changes"))
    for index, action in enumerate(actions):
        loc: tuple[str | int, ...] = ("actions", index)
        if isinstance(action, SetQuantity):
            problem = _set_quantity_problem(loc, action, by_no, wanted)
            if problem is None:
                wanted[action.line_no] = action.quantity
                cause[by_no[action.line_no].sku] = index
        else:
            product = products.get(action.sku)
            problem = _add_problem(loc, action, product, currency, by_no, added)
            if problem is None and product is not None:
                added.append((index, action, product))
                cause[action.sku] = index
        if problem is not None:
            problems.append(problem)
    return wanted, added, cause, problems


def _set_quantity_problem(
    loc: tuple[str | int, ...],
    action: SetQuantity,
    by_no: Mapping[int, CurrentLine],
    wanted: Mapping[int, int],
) -> Problem | None:
    if action.line_no not in by_no:
        return Problem(
            (*loc, "line_no"),
            N_("Line %(line)s is not in this order."),
            "unknown_line",
            {"line": action.line_no},
        )
    if action.line_no in wanted:
        return Problem(
            (*loc, "line_no"),
            N_("Line %(line)s is changed twice."),
            "duplicate_line",
            {"line": action.line_no},
        )
    return _quantity_problem(loc, action.quantity, allow_zero=True)


def _add_problem(
    loc: tuple[str | int, ...],
    action: AddProduct,
    product: ProductInfo | None,
    currency: str,
    by_no: Mapping[int, CurrentLine],
    added: Sequence[Added],
) -> Problem | None:
    if product is None:
        return Problem(
            (*loc, "sku"),
            N_("We do not sell a product with reference %(sku)s."),
            "unknown_sku",
            {"sku": action.sku},
        )
    quantity_problem = _quantity_problem(loc, action.quantity, allow_zero=False)
    if quantity_problem:
        return quantity_problem
    on_order = {line.sku for line in by_no.values()}
    if action.sku in on_order or any(a.sku == action.sku for _i, a, _p in added):
        return Problem(
            (*loc, "sku"),
            N_("%(name)s is already in your order: change its quantity instead."),
            "already_on_order",
            {"name": product.name},
        )
    if product.currency != currency:
        return Problem(
            (*loc, "sku"),
            N_("%(name)s cannot be added to this order."),
            "currency_mismatch",
            {"name": product.name},
        )
    if product.tax_rate_bp is None:
        return Problem(
            (*loc, "sku"),
            N_(
                "%(name)s cannot be added online: the shop has not given its VAT rate. "
                "Please contact the shop."
            ),
            "no_tax_rate",
            {"name": product.name},
        )
    return None


def _new_lines(
    lines: Sequence[CurrentLine], wanted: Mapping[int, int], added: Sequence[Added]
) -> list[NewLine]:
    """Every line after the change: kept, changed, removed (quantity 0), then the added ones."""
    new_lines: list[NewLine] = []
    for line in lines:
        after = wanted.get(line.line_no, line.quantity)
        if after == 0:
            state: Literal["unchanged", "changed", "removed", "added"] = "removed"
        elif after != line.quantity:
            state = "changed"
        else:
            state = "unchanged"
        # Removed units take their share of the discount; added units carry none.
        gone = max(0, line.quantity - after)
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
                discount_minor=line.discount_minor - discount_for_units(line, gone),
            )
        )
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
                tax_rate_bp=product.tax_rate_bp or 0,  # never None here: _add_problem
                total_minor=product.price_minor * action.quantity,
                product_id=product.product_id,
                state="added",
            )
        )
    return new_lines


def _stock_delta(new_lines: Sequence[NewLine]) -> dict[str, int]:
    """What each product must give for raised quantities and additions (< 0: gets back)."""
    stock_delta: dict[str, int] = {}
    for new_line in new_lines:
        delta = new_line.quantity - new_line.quantity_before
        if delta:
            stock_delta[new_line.sku] = stock_delta.get(new_line.sku, 0) + delta
    return stock_delta


def _stock_problems(
    lines: Sequence[CurrentLine],
    products: Mapping[str, ProductInfo],
    cause: Mapping[str, int],
    stock_delta: Mapping[str, int],
) -> list[Problem]:
    on_order = {line.sku: line for line in lines}
    problems = []
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
    return problems


def _shape_problems(new_lines: Sequence[NewLine]) -> list[Problem]:
    """Something must change, and something must be left."""
    if not any(line.state != "unchanged" for line in new_lines):
        return [
            Problem(("actions",), N_("Nothing would change: choose a new quantity."), "no_changes")
        ]
    if not any(line.quantity > 0 for line in new_lines):
        return [
            Problem(
                ("actions",),
                N_(
                    "An order cannot be left without items. To cancel the whole order, use "
                    '"Cancel the order" on the order page.'
                ),
                "empty_order",
            )
        ]
    return []


def _totals(
    lines: Sequence[CurrentLine],
    new_lines: Sequence[NewLine],
    *,
    subtotal_minor: int,
    shipping_minor: int,
    discount_minor: int,
    tax_minor: int,
    total_minor: int,
) -> tuple[Totals, Totals]:
    """The totals before and after; raises AmendmentRejected when the discount would not fit."""
    # What each line costs after its share of the discount: the tax is in that.
    old_pairs = [
        (line.unit_price_minor * line.quantity - line.discount_minor, line.tax_rate_bp)
        for line in lines
    ]
    new_pairs = [(line.paid_minor, line.tax_rate_bp) for line in new_lines if line.quantity > 0]
    old_by_rate = tax_by_rate(old_pairs)
    new_by_rate = tax_by_rate(new_pairs)
    change = sum(t for t, _r in new_pairs) - sum(t for t, _r in old_pairs)
    subtotal_change = sum(line.total_minor for line in new_lines) - sum(
        line.unit_price_minor * line.quantity for line in lines
    )
    discount_change = subtotal_change - change  # < 0: removed units took their share
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
        subtotal_minor=subtotal_minor + subtotal_change,
        shipping_minor=shipping_minor,
        discount_minor=discount_minor + discount_change,
        tax_minor=max(0, other_tax + sum(new_by_rate.values())),
        total_minor=total_minor + change,
        tax_by_rate=new_by_rate,
    )
    return old, new


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
    captured: bool = True,
) -> Settlement:
    """How the price difference is settled: refund, payment, waived, shop, lower_charge.

    Nothing is refunded that was not captured: a lower total on an order whose payment has
    not been taken yet (`captured=False`) lowers what will be charged (`lower_charge`), with or
    without Stripe, and whatever the amount.
    """
    if difference_minor == 0:
        return "none"
    if difference_minor < 0 and not captured:
        return "lower_charge"
    if abs(difference_minor) < waive_under_minor:
        return "waived"
    if stripe_enabled and difference_minor < 0 and has_payment_reference:
        return "refund"
    if stripe_enabled and difference_minor > 0:
        return "payment"
    return "shop_to_settle"
