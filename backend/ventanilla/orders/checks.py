"""Rules across the fields of an order push (unknown SKUs, totals that do not add up), reported
together with their locations as FieldErrors (422), before anything is written."""

from __future__ import annotations

from ventanilla.catalog.models import Product
from ventanilla.core.errors import FieldErrors
from ventanilla.core.fields import INT32_MAX
from ventanilla.orders.address_rules import check_address
from ventanilla.orders.addresses import AddressCreate
from ventanilla.orders.schemas import OrderCreate


def check_order(data: OrderCreate, products: dict[str, Product]) -> None:
    """Rules across fields, reported together with their locations; raises FieldErrors."""
    errors: list[tuple[tuple[str | int, ...], str, str]] = []
    subtotal = 0
    for index, line in enumerate(data.lines):
        loc: tuple[str | int, ...] = ("body", "lines", index)
        product = products.get(line.sku)
        if product is None:
            errors.append(
                (
                    (*loc, "sku"),
                    f"Unknown SKU {line.sku!r}: push the product first (PUT /api/v1/products/"
                    f"{line.sku}).",
                    "unknown_sku",
                )
            )
        elif product.currency != data.currency:
            errors.append(
                (
                    (*loc, "sku"),
                    f"Product {line.sku!r} is priced in {product.currency}, the order is in "
                    f"{data.currency}.",
                    "currency_mismatch",
                )
            )
        line_total = line.unit_price_minor * line.quantity
        if line_total > INT32_MAX:
            errors.append(((*loc, "quantity"), "The line total is too large.", "too_large"))
        subtotal += line_total
    totals = data.totals
    if totals.subtotal_minor != subtotal:
        errors.append(
            (
                ("body", "totals", "subtotal_minor"),
                f"subtotal_minor is {totals.subtotal_minor} but the lines add up to {subtotal}.",
                "subtotal_mismatch",
            )
        )
    expected = totals.subtotal_minor + totals.shipping_minor - totals.discount_minor
    if totals.total_minor != expected:
        errors.append(
            (
                ("body", "totals", "total_minor"),
                f"total_minor is {totals.total_minor} but subtotal + shipping - discount is "
                f"{expected}.",
                "total_mismatch",
            )
        )
    if errors:
        raise FieldErrors(errors)


def normalised_addresses(data: OrderCreate) -> OrderCreate:
    """The push with its addresses read by the shopper's rules (`orders.address_rules`).

    ES `8001` becomes `08001`, spaces and Unicode forms are tidied, a Spanish province is filled
    in from the postcode or must match it, phones become E.164. Any country the shop delivers to
    is accepted (the shopper's form only offers the EU). Raises FieldErrors (422) with one error
    per field (`loc` body.shipping_address.postcode, `type` the rule's kind, e.g.
    `region_mismatch`) and writes nothing.
    """
    errors: list[tuple[tuple[str | int, ...], str, str]] = []
    update: dict[str, AddressCreate] = {}
    for name in ("shipping_address", "billing_address"):
        pushed = getattr(data, name)
        if pushed is None:
            continue
        checked = check_address(pushed.model_dump(), also_allow=[pushed.country])
        if checked.address is None:
            for field_name, problem in checked.errors.items():
                errors.append((("body", name, field_name), problem.text(), problem.kind))
            continue
        update[name] = AddressCreate(**checked.address.as_dict())
    if errors:
        raise FieldErrors(errors)
    return data.model_copy(update=update)
